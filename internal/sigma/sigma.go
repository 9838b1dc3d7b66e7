// Package sigma is a compact evaluator of Sigma detection rules (YAML) over
// vigil's normalized events: logsource, selections (maps of field|modifiers:
// values, or lists of such maps), the modifiers contains, startswith,
// endswith, re, cidr, all, exists, gt/gte/lt/lte, conditions with and/or/not,
// parentheses, "1 of"/"all of", and counted time windows (the aggregation
// "| count([field]) [by field] OP N" with timeframe). Rules compile once to
// Go closures. docs/sigma.md maps Sigma field names to event fields.
//
// The package must not read files other than the rules it is pointed at,
// keep state beyond the rules' counting windows, or deliver alerts.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// ErrRule wraps every error about a rule's content.
var ErrRule = errors.New("invalid rule")

// document is a Sigma rule file; unknown top-level keys are an error.
type document struct {
	Title          string               `yaml:"title"`
	ID             string               `yaml:"id"`
	Name           string               `yaml:"name"`
	Status         string               `yaml:"status"`
	Description    string               `yaml:"description"`
	References     []string             `yaml:"references"`
	Author         string               `yaml:"author"`
	Date           string               `yaml:"date"`
	Modified       string               `yaml:"modified"`
	Tags           []string             `yaml:"tags"`
	Level          string               `yaml:"level"`
	Logsource      logsource            `yaml:"logsource"`
	Detection      map[string]yaml.Node `yaml:"detection"`
	Fields         []string             `yaml:"fields"`
	FalsePositives []string             `yaml:"falsepositives"`
	Related        []map[string]string  `yaml:"related"`
	License        string               `yaml:"license"`
}

type logsource struct {
	Product    string `yaml:"product"`
	Service    string `yaml:"service"`
	Category   string `yaml:"category"`
	Definition string `yaml:"definition"`
}

// Rule is one compiled rule.
type Rule struct {
	Name        string // the rule name alerts carry: "sigma:" + name, or id
	Title       string
	Description string
	Level       alert.Severity
	Attack      []string
	File        string

	match     matcher
	agg       *aggregation
	timeframe time.Duration
	windows   map[string]*countWindow
}

type countWindow struct {
	times  []time.Time
	values map[string]time.Time
}

// Parse compiles one rule; file names it in errors.
func Parse(file string, data []byte) (*Rule, error) {
	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", file, ErrRule, err)
	}
	r, err := compile(&doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	r.File = file
	return r, nil
}

func compile(doc *document) (*Rule, error) {
	if doc.Title == "" {
		return nil, fmt.Errorf("%w: no title", ErrRule)
	}
	level := doc.Level
	if level == "" {
		level = "medium"
	}
	sev, err := alert.ParseSeverity(level)
	if err != nil {
		return nil, fmt.Errorf("%w: level: %w", ErrRule, err)
	}
	name := doc.Name
	if name == "" {
		name = doc.ID
	}
	if name == "" {
		name = strings.ToLower(strings.Join(strings.Fields(doc.Title), "-"))
	}
	r := &Rule{Name: "sigma:" + name, Title: doc.Title, Description: strings.TrimSpace(doc.Description), Level: sev, windows: map[string]*countWindow{}}
	for _, t := range doc.Tags {
		if id, ok := strings.CutPrefix(strings.ToLower(t), "attack.t"); ok {
			r.Attack = append(r.Attack, "T"+strings.ToUpper(id))
		}
	}
	sels := map[string]matcher{}
	var cond string
	for key, node := range doc.Detection {
		switch key {
		case "condition":
			if err := node.Decode(&cond); err != nil {
				return nil, fmt.Errorf("%w: condition must be one string: %w", ErrRule, err)
			}
		case "timeframe":
			var tf string
			if err := node.Decode(&tf); err != nil {
				return nil, fmt.Errorf("%w: timeframe: %w", ErrRule, err)
			}
			if r.timeframe, err = parseTimeframe(tf); err != nil {
				return nil, err
			}
		default:
			m, err := compileSelection(key, &node)
			if err != nil {
				return nil, err
			}
			sels[key] = m
		}
	}
	if cond == "" {
		return nil, fmt.Errorf("%w: detection has no condition", ErrRule)
	}
	cond, aggText, hasAgg := strings.Cut(cond, "|")
	m, err := compileCondition(cond, sels)
	if err != nil {
		return nil, err
	}
	if hasAgg {
		if r.agg, err = parseAggregation(aggText); err != nil {
			return nil, err
		}
		if r.timeframe == 0 {
			return nil, fmt.Errorf("%w: a count needs a timeframe", ErrRule)
		}
	}
	ls, err := compileLogsource(doc.Logsource)
	if err != nil {
		return nil, err
	}
	r.match = func(ev *event.Event) bool { return ls(ev) && m(ev) }
	return r, nil
}

func parseTimeframe(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: timeframe %q (want 30s, 5m, 1h, 2d)", ErrRule, s)
	}
	return d, nil
}

func compileLogsource(ls logsource) (matcher, error) {
	var class event.Class
	if ls.Category != "" {
		c, ok := categories[ls.Category]
		if !ok {
			return nil, fmt.Errorf("%w: logsource category %q (known: authentication, network, email, imap_command, mail_read)", ErrRule, ls.Category)
		}
		class = c
	}
	product, service := ls.Product, ls.Service
	return func(ev *event.Event) bool {
		return (class == 0 || ev.Class == class) &&
			(product == "" || strings.EqualFold(ev.Product, product)) &&
			(service == "" || strings.EqualFold(ev.Service, service))
	}, nil
}

// compileSelection: a map is an AND of its fields; a list of maps an OR.
func compileSelection(name string, n *yaml.Node) (matcher, error) {
	switch n.Kind {
	case yaml.MappingNode:
		var ms []matcher
		for i := 0; i+1 < len(n.Content); i += 2 {
			m, err := compileField(n.Content[i].Value, n.Content[i+1])
			if err != nil {
				return nil, fmt.Errorf("selection %s: %w", name, err)
			}
			ms = append(ms, m)
		}
		return func(ev *event.Event) bool {
			for _, m := range ms {
				if !m(ev) {
					return false
				}
			}
			return true
		}, nil
	case yaml.SequenceNode:
		var ms []matcher
		for _, c := range n.Content {
			if c.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%w: selection %s: keyword lists are not supported; name the field", ErrRule, name)
			}
			m, err := compileSelection(name, c)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		return func(ev *event.Event) bool {
			for _, m := range ms {
				if m(ev) {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("%w: selection %s must be a map or a list of maps", ErrRule, name)
}

// compileField compiles "field|mod|mod: value(s)".
func compileField(key string, n *yaml.Node) (matcher, error) {
	parts := strings.Split(key, "|")
	f, ok := fields[strings.ToLower(parts[0])]
	if !ok {
		return nil, fmt.Errorf("%w: unknown field %q (docs/sigma.md lists them)", ErrRule, parts[0])
	}
	var values []string
	switch n.Kind {
	case yaml.ScalarNode:
		values = []string{n.Value}
		if n.Tag == "!!null" {
			values = []string{""}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%w: field %s: values must be scalars", ErrRule, parts[0])
			}
			values = append(values, c.Value)
		}
	default:
		return nil, fmt.Errorf("%w: field %s: value must be a scalar or a list", ErrRule, parts[0])
	}
	op, all := "eq", false
	for _, mod := range parts[1:] {
		switch mod {
		case "all":
			all = true
		case "contains", "startswith", "endswith", "re", "cidr", "exists", "gt", "gte", "lt", "lte":
			if op != "eq" {
				return nil, fmt.Errorf("%w: field %s: modifiers %s and %s together", ErrRule, parts[0], op, mod)
			}
			op = mod
		default:
			return nil, fmt.Errorf("%w: field %s: modifier %q is not supported", ErrRule, parts[0], mod)
		}
	}
	var preds []matcher
	for _, v := range values {
		p, err := predicate(f, op, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", parts[0], err)
		}
		preds = append(preds, p)
	}
	return combine(preds, all), nil
}

func predicate(f *field, op, v string) (func(*event.Event) bool, error) {
	get := f.str
	lv := strings.ToLower(v)
	switch op {
	case "exists":
		want := strings.EqualFold(v, "true") || v == "yes"
		return func(ev *event.Event) bool { return (get(ev) != "") == want }, nil
	case "contains":
		return func(ev *event.Event) bool { return containsFold(get(ev), lv) }, nil
	case "startswith":
		return func(ev *event.Event) bool { s := get(ev); return len(s) >= len(v) && strings.EqualFold(s[:len(v)], v) }, nil
	case "endswith":
		return func(ev *event.Event) bool {
			s := get(ev)
			return len(s) >= len(v) && strings.EqualFold(s[len(s)-len(v):], v)
		}, nil
	case "re":
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("%w: re %q: %w", ErrRule, v, err)
		}
		return func(ev *event.Event) bool { return re.MatchString(get(ev)) }, nil
	case "cidr":
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, fmt.Errorf("%w: cidr %q: %w", ErrRule, v, err)
		}
		if f.ip == nil {
			return nil, fmt.Errorf("%w: cidr on %s, which is not an address", ErrRule, f.name)
		}
		ip := f.ip
		return func(ev *event.Event) bool { a := ip(ev); return a.IsValid() && p.Contains(a.Unmap()) }, nil
	case "gt", "gte", "lt", "lte":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || f.num == nil {
			return nil, fmt.Errorf("%w: %s needs a number on a numeric field", ErrRule, op)
		}
		num := f.num
		return func(ev *event.Event) bool {
			x, ok := num(ev)
			if !ok {
				return false
			}
			switch op {
			case "gt":
				return x > n
			case "gte":
				return x >= n
			case "lt":
				return x < n
			}
			return x <= n
		}, nil
	}
	if strings.ContainsAny(v, "*?") {
		return func(ev *event.Event) bool { return globFold(get(ev), lv) }, nil
	}
	return func(ev *event.Event) bool { return strings.EqualFold(get(ev), v) }, nil
}

// containsFold reports whether s contains the lower-case sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// globFold matches Sigma wildcards (* any run, ? one character), ignoring case.
func globFold(s, pat string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globFold(s[i:], pat[1:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globFold(s[1:], pat[1:])
	}
	return s != "" && strings.EqualFold(s[:1], pat[:1]) && globFold(s[1:], pat[1:])
}

// Eval matches ev and, for counted rules, updates the window; it returns the
// alert the rule raises, if any.
func (r *Rule) Eval(ev *event.Event) []*alert.Alert {
	if !r.match(ev) {
		return nil
	}
	count := 0
	first := ev.Time
	if r.agg != nil {
		key := ""
		if r.agg.by != nil {
			key = r.agg.by.str(ev)
		}
		w := r.windows[key]
		if w == nil {
			w = &countWindow{values: map[string]time.Time{}}
			r.windows[key] = w
		}
		if r.agg.distinct != nil {
			w.values[r.agg.distinct.str(ev)] = ev.Time
			for k, t := range w.values {
				if ev.Time.Sub(t) > r.timeframe {
					delete(w.values, k)
				}
				if t.Before(first) {
					first = t
				}
			}
			count = len(w.values)
		} else {
			w.times = append(w.times, ev.Time)
			i := 0
			for i < len(w.times) && ev.Time.Sub(w.times[i]) > r.timeframe {
				i++
			}
			w.times = w.times[i:]
			count = len(w.times)
			first = w.times[0]
		}
		if !r.agg.holds(count) {
			return nil
		}
		if len(r.windows) > 100000 {
			r.prune(ev.Time)
		}
	}
	a := &alert.Alert{
		Time: ev.Time, Rule: r.Name, Severity: r.Level, User: ev.User, Attack: append([]string(nil), r.Attack...),
		FirstSeen: first, LastSeen: ev.Time,
		Summary: r.summary(ev, count),
	}
	if ev.Src.IP.IsValid() {
		a.SrcIP = ev.Src.IP.String()
	}
	if ev.LogName != "" {
		a.Evidence.Events = []string{ev.LogName + ":" + strconv.FormatInt(ev.LogLine, 10)}
	}
	a.Evidence.Count = count
	if ev.Session != "" {
		a.Evidence.Sessions = []string{ev.Session}
	}
	return []*alert.Alert{a}
}

func (r *Rule) summary(ev *event.Event, count int) string {
	var b strings.Builder
	b.WriteString(r.Title)
	if ev.User != "" {
		b.WriteString(": account " + ev.User)
	}
	if ev.Src.IP.IsValid() {
		b.WriteString(" from " + ev.Src.IP.String())
	}
	if count > 0 {
		fmt.Fprintf(&b, " (%d in %s)", count, r.timeframe)
	}
	b.WriteString(".")
	if r.Description != "" {
		b.WriteString(" " + r.Description)
	}
	return b.String()
}

func (r *Rule) prune(now time.Time) {
	for k, w := range r.windows {
		if len(w.times) > 0 && now.Sub(w.times[len(w.times)-1]) > r.timeframe {
			delete(r.windows, k)
		} else if len(w.times) == 0 && len(w.values) == 0 {
			delete(r.windows, k)
		}
	}
}

// Load compiles every *.yml and *.yaml file under dir of fsys (but the
// *.test.yml files of 'vigil test rules'), in name order. A bad rule is reported with its file; the others still load.
func Load(fsys fs.FS, dir string) ([]*Rule, error) {
	var names []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		isTest := strings.HasSuffix(p, ".test.yml") || strings.HasSuffix(p, ".test.yaml")
		if !d.IsDir() && !isTest && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var rules []*Rule
	var errs []error
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r, err := Parse(n, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}
