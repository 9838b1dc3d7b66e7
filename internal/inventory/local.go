package inventory

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local reads the inventory of the host whose file system is at root ("/"
// for this machine): the dpkg status file or the apk database, and
// /etc/os-release for the OS when the packages cannot tell.
func Local(root string) (*Inventory, []error, error) {
	var inv *Inventory
	var errs []error
	found := false
	for _, rel := range []string{"var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/apk/db/installed"} {
		path := filepath.Join(root, rel)
		data, err := readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if strings.HasPrefix(rel, "var/lib/dpkg") {
			inv, errs = ParseDpkgStatus(bytes.NewReader(data), path)
		} else {
			inv, errs = ParseApk(bytes.NewReader(data), path)
		}
		inv.Source = path
		found = true
		break
	}
	if !found {
		return nil, nil, fmt.Errorf("%w: no dpkg status or apk database under %s (on an RPM system run: rpm -qa --queryformat '%s')", ErrFormat, root, strings.ReplaceAll(RPMQueryFormat, "\n", `\n`))
	}
	if inv.OS == "" {
		if eco := osRelease(filepath.Join(root, "etc/os-release")); eco != "" {
			inv.SetOS(eco)
		}
	}
	if h, err := os.Hostname(); err == nil && root == "/" {
		inv.Host = h
	} else {
		inv.Host = filepath.Base(filepath.Clean(root))
	}
	return inv, errs, nil
}

// osRelease reads ID and VERSION_ID from an os-release file and returns the
// OSV ecosystem ("Debian:12"), or "" when it cannot tell.
func osRelease(path string) string {
	f, err := os.Open(path) //nolint:gosec // a fixed path under the root the user gave
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }() // read-only
	var id, ver string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			ver = v
		}
	}
	if id == "" || ver == "" {
		return ""
	}
	if e := distroEcosystem(id, ver); strings.Contains(e, ":") {
		return e
	}
	return ""
}
