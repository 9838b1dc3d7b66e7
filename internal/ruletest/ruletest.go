// Package ruletest runs rule and detector test cases written as files, the
// way promtool test rules does: log lines in (optionally a history to learn
// from first), the alerts expected out. 'vigil test rules DIR' and vigil's
// own test suite use it on rules/tests/.
//
// The package must not change the rules or detectors it tests, or read
// anything but the test files and rules it is pointed at.
package ruletest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/internal/sim"
)

// ErrTestFile wraps errors in a test file itself (not a failed expectation).
var ErrTestFile = errors.New("invalid test file")

// File is one test file: a list of cases.
type File struct {
	Tests []Case `yaml:"tests"`
}

// Case is one test: lines in, alerts out.
type Case struct {
	Name string `yaml:"name"`
	// Config overrides detector thresholds (keys of detect.LoadConfig).
	Config yaml.Node `yaml:"config"`
	// Geoip "sim" gives the simulated clinic's 127.x networks countries and ASNs.
	Geoip string `yaml:"geoip"`
	// Learn is history read first, raising nothing (vigil learn).
	Learn string `yaml:"learn"`
	// Input is the log lines the alerts come from; InputFile names a log file
	// instead, relative to the test file's directory, with $VARIABLES
	// expanded ($VIGIL_SHARED defaults to ../../../shared, the shared data
	// beside the repository as seen from rules/tests/).
	Input     string `yaml:"input"`
	InputFile string `yaml:"input_file"`
	// Rules limits the comparison to alerts of these rules; default: the
	// rules named in Expect. Every alert of those rules must be expected.
	Rules  []string   `yaml:"rules"`
	Expect []Expected `yaml:"expect"`
	// Absent lists rules that must raise nothing.
	Absent []string `yaml:"absent"`
}

// Expected is an alert's fields that must match; empty fields match anything.
type Expected struct {
	Rule     string `yaml:"rule"`
	Severity string `yaml:"severity"`
	User     string `yaml:"user"`
	SrcIP    string `yaml:"src_ip"`
	Time     string `yaml:"time"`
	// Summary must be contained in the alert's summary.
	Summary string `yaml:"summary"`
	// UIDs must be one of the evidence's UID sets.
	UIDs  string `yaml:"uids"`
	Count int    `yaml:"count"`
}

// Result is the outcome of one case.
type Result struct {
	File, Name string
	Failures   []string
}

// Run runs every *.test.yml file under dir in fsys against the Sigma rules
// found in dir (files *.yml that are not tests) and all detectors. base is
// the directory on disk that fsys is rooted at, for input_file; "" refuses
// input_file.
func Run(fsys fs.FS, dir, base string) ([]Result, error) {
	var testFiles, ruleFiles []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case strings.HasSuffix(p, ".test.yml") || strings.HasSuffix(p, ".test.yaml"):
			testFiles = append(testFiles, p)
		case strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml"):
			ruleFiles = append(ruleFiles, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(testFiles) == 0 {
		return nil, fmt.Errorf("%w: no *.test.yml files under %s", ErrTestFile, dir)
	}
	sort.Strings(testFiles)
	var results []Result
	var errs []error
	for _, tf := range testFiles {
		raw, err := fs.ReadFile(fsys, tf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var f File
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %w", tf, ErrTestFile, err))
			continue
		}
		for i, c := range f.Tests {
			if c.Name == "" {
				c.Name = fmt.Sprintf("case %d", i+1)
			}
			res, err := runCase(fsys, ruleFiles, c, base, path.Dir(tf))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", tf, c.Name, err))
				continue
			}
			res.File = tf
			results = append(results, res)
		}
	}
	return results, errors.Join(errs...)
}

func loadRules(fsys fs.FS, files []string) ([]detect.EventRule, error) {
	var out []detect.EventRule
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		r, err := sigma.Parse(f, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func runCase(fsys fs.FS, ruleFiles []string, c Case, base, testDir string) (Result, error) {
	res := Result{Name: c.Name}
	if c.InputFile != "" {
		if base == "" || c.Input != "" {
			return res, fmt.Errorf("%w: input_file needs a test directory on disk and no input", ErrTestFile)
		}
		name := os.Expand(c.InputFile, func(v string) string {
			if val := os.Getenv(v); val != "" {
				return val
			}
			if v == "VIGIL_SHARED" {
				return "../../../shared"
			}
			return ""
		})
		if !filepath.IsAbs(name) {
			name = filepath.Join(base, filepath.FromSlash(testDir), name)
		}
		raw, err := os.ReadFile(name) //nolint:gosec // G304: the log file the test case names
		if err != nil {
			return res, fmt.Errorf("%w: input_file: %w", ErrTestFile, err)
		}
		c.Input = string(raw)
	}
	var geo detect.Geo
	if c.Geoip != "" {
		if c.Geoip != "sim" {
			return res, fmt.Errorf("%w: geoip %q (only \"sim\")", ErrTestFile, c.Geoip)
		}
		dir, err := os.MkdirTemp("", "vigil-ruletest-")
		if err != nil {
			return res, err
		}
		defer func() { _ = os.RemoveAll(dir) }() // a temporary directory
		cp, ap, err := sim.WriteGeoDBs(dir)
		if err != nil {
			return res, err
		}
		g, err := detect.OpenMMDB(cp, ap)
		if err != nil {
			return res, err
		}
		defer func() { _ = g.Close() }() // read-only
		geo = g
	}
	var cfg detect.Config
	if !c.Config.IsZero() {
		raw, err := yaml.Marshal(&c.Config)
		if err != nil {
			return res, fmt.Errorf("%w: config: %w", ErrTestFile, err)
		}
		if cfg, err = detect.LoadConfig(bytes.NewReader(raw)); err != nil {
			return res, fmt.Errorf("%w: %w", ErrTestFile, err)
		}
	}
	store := detect.NewMemoryStore()
	if c.Learn != "" {
		eng, err := detect.New(detect.Options{Baselines: store, Geo: geo, LearnOnly: true, Config: cfg})
		if err != nil {
			return res, err
		}
		if _, err := feed(eng, "learn", c.Learn); err != nil {
			return res, err
		}
	}
	// Fresh rule state per case: counting windows must not leak between cases.
	rules, err := loadRules(fsys, ruleFiles)
	if err != nil {
		return res, err
	}
	eng, err := detect.New(detect.Options{Baselines: store, Geo: geo, Rules: rules, Config: cfg})
	if err != nil {
		return res, err
	}
	got, err := feed(eng, "input", c.Input)
	if err != nil {
		return res, err
	}
	res.Failures = compare(c, got)
	return res, nil
}

func feed(eng *detect.Engine, name, lines string) ([]*alert.Alert, error) {
	r, err := analyze.New(analyze.Options{Engine: eng})
	if err != nil {
		return nil, err
	}
	if err := r.Reader(name, strings.NewReader(lines)); err != nil {
		return nil, err
	}
	out, err := r.Finish()
	if err != nil {
		return nil, err
	}
	if out.Unparsed > 0 {
		return nil, fmt.Errorf("%w: %d %s line(s) not understood by the parsers", ErrTestFile, out.Unparsed, name)
	}
	return out.Alerts, nil
}

func compare(c Case, got []*alert.Alert) []string {
	var fails []string
	scope := c.Rules
	if len(scope) == 0 {
		for _, e := range c.Expect {
			if !slices.Contains(scope, e.Rule) {
				scope = append(scope, e.Rule)
			}
		}
	}
	used := make([]bool, len(got))
	for _, e := range c.Expect {
		found := false
		for i, a := range got {
			if !used[i] && matches(e, a) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			fails = append(fails, fmt.Sprintf("expected alert not raised: %s", describe(e)))
		}
	}
	for i, a := range got {
		if !used[i] && slices.Contains(scope, a.Rule) {
			fails = append(fails, fmt.Sprintf("unexpected alert: %s %s user=%s src=%s at %s: %s", a.Rule, a.Severity, a.User, a.SrcIP, a.Time.Format("2006-01-02T15:04:05Z"), a.Summary))
		}
		if slices.Contains(c.Absent, a.Rule) {
			fails = append(fails, fmt.Sprintf("rule %s must raise nothing, raised: %s", a.Rule, a.Summary))
		}
	}
	return fails
}

func matches(e Expected, a *alert.Alert) bool {
	if e.Rule != a.Rule || (e.Severity != "" && e.Severity != a.Severity.String()) || (e.User != "" && e.User != a.User) ||
		(e.SrcIP != "" && e.SrcIP != a.SrcIP) || (e.Summary != "" && !strings.Contains(a.Summary, e.Summary)) ||
		(e.Count != 0 && e.Count != a.Evidence.Count) {
		return false
	}
	if e.Time != "" && e.Time != a.Time.UTC().Format("2006-01-02T15:04:05Z") {
		return false
	}
	if e.UIDs != "" {
		ok := false
		for _, r := range a.Evidence.Reads {
			ok = ok || r.UIDs == e.UIDs
		}
		return ok
	}
	return true
}

func describe(e Expected) string {
	var parts []string
	for _, kv := range [][2]string{{"rule", e.Rule}, {"severity", e.Severity}, {"user", e.User}, {"src_ip", e.SrcIP}, {"time", e.Time}, {"summary~", e.Summary}, {"uids", e.UIDs}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if e.Count != 0 {
		parts = append(parts, fmt.Sprintf("count=%d", e.Count))
	}
	return strings.Join(parts, " ")
}
