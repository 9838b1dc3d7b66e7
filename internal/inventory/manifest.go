package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// manifest is vigil's host file: what no package manager says about a host.
//
//	host: mail.clinic.example
//	os: Debian:10                 # OSV ecosystem, when the package list cannot tell
//	internet_facing: true
//	auto_updates: false           # are automatic security updates on? (leave out when unknown)
//	roles: [mail]
//	packages: mail1.status        # dpkg status, rpm -qa output, apk db or SBOM, relative to this file
//	history: [history.log, history.log.1.gz]
//	products:
//	  - name: roundcube           # a known product: roundcube, exchange
//	    version: 1.4.11
//	  - ecosystem: Packagist      # or any OSV ecosystem and package name
//	    package: roundcube/roundcubemail
//	    version: 1.4.11
type manifest struct {
	Host           string            `yaml:"host"`
	OS             string            `yaml:"os"`
	InternetFacing bool              `yaml:"internet_facing"`
	AutoUpdates    *bool             `yaml:"auto_updates"`
	Roles          []string          `yaml:"roles"`
	Packages       string            `yaml:"packages"`
	History        []string          `yaml:"history"`
	Products       []manifestProduct `yaml:"products"`
}

type manifestProduct struct {
	Name      string `yaml:"name"`
	Ecosystem string `yaml:"ecosystem"`
	Package   string `yaml:"package"`
	Version   string `yaml:"version"`
}

// knownProducts maps a product's everyday name to its ecosystem and package.
var knownProducts = map[string][2]string{
	"roundcube":       {"Packagist", "roundcube/roundcubemail"},
	"exchange":        {"Exchange", "exchange-server"},
	"exchange-server": {"Exchange", "exchange-server"},
}

func loadManifest(data []byte, file string) (*Inventory, []error, error) {
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, &LineError{File: file, Reason: "host file: " + err.Error()}
	}
	if m.Host == "" {
		return nil, nil, &LineError{File: file, Reason: "host file has no host: name"}
	}
	inv := &Inventory{}
	var errs []error
	if m.Packages != "" {
		path := m.Packages
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(file), path)
		}
		sub, subErrs, err := Load(path)
		if err != nil {
			return nil, subErrs, fmt.Errorf("%s: packages: %w", file, err)
		}
		if sub.History != nil || len(sub.Packages) == 0 && sub.Host != "" && strings.HasSuffix(path, ".yaml") {
			return nil, subErrs, &LineError{File: file, Reason: "packages: names another host file"}
		}
		inv, errs = sub, subErrs
	}
	inv.Host = m.Host
	inv.InternetFacing = m.InternetFacing
	inv.Roles = m.Roles
	if m.AutoUpdates != nil {
		inv.AutoUpdates = map[bool]string{true: "on", false: "off"}[*m.AutoUpdates]
	}
	if m.OS != "" {
		inv.SetOS(m.OS)
	}
	for _, h := range m.History {
		if !filepath.IsAbs(h) {
			h = filepath.Join(filepath.Dir(file), h)
		}
		inv.History = append(inv.History, h)
	}
	for i, p := range m.Products {
		eco, name := p.Ecosystem, p.Package
		if k, ok := knownProducts[strings.ToLower(p.Name)]; ok && eco == "" && name == "" {
			eco, name = k[0], k[1]
		}
		if eco == "" || name == "" || p.Version == "" {
			errs = append(errs, &LineError{File: file, Reason: fmt.Sprintf("products[%d]: want a known name (roundcube, exchange) or ecosystem and package, and a version", i)})
			continue
		}
		inv.Packages = append(inv.Packages, Package{Name: name, Version: p.Version, Ecosystem: eco})
	}
	return inv, errs, nil
}

// SetOS sets the host's OS ecosystem and moves the OS packages to it
// (those whose ecosystem was the old OS, or none).
func (inv *Inventory) SetOS(eco string) {
	old := inv.OS
	inv.OS = eco
	for i, p := range inv.Packages {
		if p.Ecosystem == old || p.Ecosystem == "" {
			inv.Packages[i].Ecosystem = eco
		}
	}
}
