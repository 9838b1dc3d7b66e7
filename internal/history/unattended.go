package history

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Unattended says whether automatic updates are switched on, and which file
// says so.
type Unattended struct {
	// Known is false when no configuration file vigil reads was found.
	Known   bool   `json:"known"`
	Enabled bool   `json:"enabled"`
	File    string `json:"file,omitempty"`
}

var aptPeriodic = regexp.MustCompile(`^\s*APT::Periodic::Unattended-Upgrade\s+"?(\d+)"?\s*;`)

// UnattendedConfig reads apt's configuration under root (etc/apt/apt.conf
// and etc/apt/apt.conf.d/*, later files winning as apt reads them) for
// APT::Periodic::Unattended-Upgrade, and dnf-automatic's apply_updates.
func UnattendedConfig(root string) Unattended {
	var u Unattended
	files := []string{filepath.Join(root, "etc/apt/apt.conf")}
	if d, err := os.ReadDir(filepath.Join(root, "etc/apt/apt.conf.d")); err == nil {
		var names []string
		for _, e := range d {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, filepath.Join(root, "etc/apt/apt.conf.d", n))
		}
	}
	for _, f := range files {
		scanFile(f, func(line string) {
			if m := aptPeriodic.FindStringSubmatch(line); m != nil {
				u = Unattended{Known: true, Enabled: m[1] != "0", File: f}
			}
		})
	}
	dnf := filepath.Join(root, "etc/dnf/automatic.conf")
	scanFile(dnf, func(line string) {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "apply_updates" {
			v = strings.ToLower(strings.TrimSpace(v))
			u = Unattended{Known: true, Enabled: v == "yes" || v == "true" || v == "1", File: dnf}
		}
	})
	return u
}

func scanFile(path string, fn func(string)) {
	f, err := os.Open(path) //nolint:gosec // fixed configuration paths under the root the user gave
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fn(sc.Text())
	}
}
