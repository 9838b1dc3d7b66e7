// Package inventory reads what software a host has installed: dpkg status
// files, RPM query output, Alpine apk databases, CycloneDX and SPDX JSON
// SBOMs, and a small YAML host manifest for products no package manager knows
// (an Exchange build, a hand-installed Roundcube). It also writes a host's
// inventory as CycloneDX JSON.
//
// It must not judge what it reads (vulnerability matching is vulndb's job,
// grading is posture's) and must not stop at one bad record: a record it
// cannot read is reported with its file, line and reason, and the rest is kept.
package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrFormat is wrapped by every error about input vigil cannot read.
var ErrFormat = errors.New("inventory format")

// LineError is a record that could not be read, with where it was.
type LineError struct {
	File   string
	Line   int
	Reason string
}

// Error implements error.
func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *LineError) Unwrap() error { return ErrFormat }

// Package is one installed package or product.
type Package struct {
	// Name is the binary package name (dpkg, RPM, apk) or the product's
	// package name in its ecosystem (roundcube/roundcubemail on Packagist).
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source and SourceVersion name the source package it was built from,
	// when it differs; empty means the same as Name and Version.
	Source        string `json:"source,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	Arch          string `json:"arch,omitempty"`
	// Ecosystem is the OSV ecosystem its versions follow: "Debian:12",
	// "Ubuntu:22.04", "Alpine:v3.20", "AlmaLinux:9", "Packagist", or
	// "Exchange" for Microsoft Exchange builds (vigil's own data).
	Ecosystem string `json:"ecosystem"`
	// InstalledAt is when this version arrived, where the input says so.
	InstalledAt time.Time `json:"installed_at,omitzero"`
}

// SourceName is the source package name, or Name when there is none.
func (p Package) SourceName() string {
	if p.Source != "" {
		return p.Source
	}
	return p.Name
}

// SourceVer is the source package version, or Version when there is none.
func (p Package) SourceVer() string {
	if p.SourceVersion != "" {
		return p.SourceVersion
	}
	return p.Version
}

// Inventory is what one host has installed.
type Inventory struct {
	Host string `json:"host"`
	// OS is the OSV ecosystem of the operating system ("Debian:12"), empty
	// when unknown.
	OS string `json:"os,omitempty"`
	// InternetFacing marks a host reachable from the internet (a mail server).
	InternetFacing bool      `json:"internet_facing,omitempty"`
	Roles          []string  `json:"roles,omitempty"`
	Packages       []Package `json:"packages"`
	// AutoUpdates is "on" or "off" when the host said whether automatic
	// security updates are switched on, "" when unknown.
	AutoUpdates string `json:"auto_updates,omitempty"`
	// History lists update-history files named by a host manifest.
	History []string `json:"history,omitempty"`
	// Source is the file the inventory was read from.
	Source string `json:"-"`
}

// Format names an inventory file format.
type Format string

// The formats Load understands.
const (
	FormatDpkg      Format = "dpkg-status"
	FormatRPM       Format = "rpm-qa"
	FormatApk       Format = "apk-installed"
	FormatCycloneDX Format = "cyclonedx-json"
	FormatSPDX      Format = "spdx-json"
	FormatManifest  Format = "vigil-host-yaml"
)

// maxFile is the largest inventory file vigil reads (a dpkg status file of
// 5,000 packages is about 10 MiB).
const maxFile = 256 << 20

// Detect tells an inventory's format from its first bytes.
func Detect(head []byte) (Format, error) {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(h) == 0:
		return "", fmt.Errorf("%w: empty file", ErrFormat)
	case h[0] == '{':
		switch {
		case bytes.Contains(head, []byte(`"bomFormat"`)):
			return FormatCycloneDX, nil
		case bytes.Contains(head, []byte(`"spdxVersion"`)):
			return FormatSPDX, nil
		}
		return "", fmt.Errorf("%w: JSON that is neither CycloneDX (bomFormat) nor SPDX (spdxVersion)", ErrFormat)
	case bytes.HasPrefix(h, []byte("Package:")):
		return FormatDpkg, nil
	case len(h) > 2 && h[1] == ':' && bytes.Contains(head, []byte("\nP:")) || bytes.HasPrefix(h, []byte("P:")):
		return FormatApk, nil
	case bytes.HasPrefix(h, []byte("host:")) || bytes.Contains(head, []byte("\nhost:")) || bytes.HasPrefix(h, []byte("#")) || bytes.HasPrefix(h, []byte("---")):
		return FormatManifest, nil
	case bytes.Count(firstLine(h), []byte("\t")) >= 5:
		return FormatRPM, nil
	}
	return "", fmt.Errorf("%w: not a dpkg status file, rpm -qa output, apk database, SBOM or vigil host file", ErrFormat)
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// Load reads the inventory file at path, whatever its format. Records that
// cannot be read come back in errs; the inventory holds the rest. A file
// with no host name is named after the file.
func Load(path string) (*Inventory, []error, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := Detect(data[:min(len(data), 4096)])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var inv *Inventory
	var errs []error
	switch f {
	case FormatDpkg:
		inv, errs = ParseDpkgStatus(bytes.NewReader(data), path)
	case FormatRPM:
		inv, errs = ParseRPM(bytes.NewReader(data), path)
	case FormatApk:
		inv, errs = ParseApk(bytes.NewReader(data), path)
	case FormatCycloneDX:
		inv, err = ParseCycloneDX(data, path)
	case FormatSPDX:
		inv, err = ParseSPDX(data, path)
	case FormatManifest:
		inv, errs, err = loadManifest(data, path)
	}
	if err != nil {
		return nil, errs, err
	}
	if inv.Host == "" {
		inv.Host = hostFromPath(path)
	}
	inv.Source = path
	return inv, errs, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // the user names the inventory files to read
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("%s: %w: larger than %d MiB", path, ErrFormat, maxFile>>20)
	}
	return data, nil
}

// hostFromPath names a host after its inventory file: "mail1.status" → "mail1".
func hostFromPath(path string) string {
	base := filepath.Base(path)
	if base == "status" || base == "installed" {
		if d := filepath.Base(filepath.Dir(path)); d != "." && d != "/" && d != "dpkg" && d != "db" {
			return d
		}
		if h, err := os.Hostname(); err == nil && path != "" && isLocalDB(path) {
			return h
		}
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		return base[:i]
	}
	return base
}

func isLocalDB(path string) bool {
	return path == "/var/lib/dpkg/status" || path == "/lib/apk/db/installed" || path == "/var/lib/apk/db/installed"
}
