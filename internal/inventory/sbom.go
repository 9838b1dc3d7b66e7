package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// cdxBOM is the part of a CycloneDX 1.4–1.6 JSON document vigil reads and writes.
type cdxBOM struct {
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber,omitempty"`
	Version      int            `json:"version"`
	Metadata     *cdxMetadata   `json:"metadata,omitempty"`
	Components   []cdxComponent `json:"components"`
}

type cdxMetadata struct {
	Timestamp  string        `json:"timestamp,omitempty"`
	Tools      *cdxTools     `json:"tools,omitempty"`
	Component  *cdxComponent `json:"component,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components,omitempty"`
}

type cdxComponent struct {
	Type       string        `json:"type"`
	BOMRef     string        `json:"bom-ref,omitempty"`
	Name       string        `json:"name"`
	Version    string        `json:"version,omitempty"`
	PURL       string        `json:"purl,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Property names vigil writes into CycloneDX documents and reads back.
const (
	propHost           = "vigil:host"
	propOS             = "vigil:os"
	propInternetFacing = "vigil:internet_facing"
	propInstalledAt    = "vigil:installed_at"
	propEcosystem      = "vigil:ecosystem"
	propAutoUpdates    = "vigil:auto_updates"
)

// ParseCycloneDX reads a CycloneDX JSON SBOM. OS packages are recognised by
// their package URL (pkg:deb, pkg:apk, pkg:rpm, pkg:composer); the host name
// and OS come from vigil's metadata properties or the operating-system
// component. Components of other types are skipped.
func ParseCycloneDX(data []byte, file string) (*Inventory, error) {
	var b cdxBOM
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, &LineError{File: file, Reason: "CycloneDX JSON: " + err.Error()}
	}
	if b.BOMFormat != "CycloneDX" {
		return nil, &LineError{File: file, Reason: fmt.Sprintf("bomFormat is %q, not CycloneDX", clip(b.BOMFormat))}
	}
	inv := &Inventory{}
	if m := b.Metadata; m != nil {
		for _, p := range m.Properties {
			switch p.Name {
			case propHost:
				inv.Host = p.Value
			case propOS:
				inv.OS = p.Value
			case propInternetFacing:
				inv.InternetFacing = p.Value == "true"
			case propAutoUpdates:
				if p.Value == "on" || p.Value == "off" {
					inv.AutoUpdates = p.Value
				}
			}
		}
		if c := m.Component; c != nil && inv.Host == "" && c.Type == "device" {
			inv.Host = c.Name
		}
	}
	var osName, osVersion string
	for _, c := range b.Components {
		if c.Type == "operating-system" {
			osName, osVersion = strings.ToLower(c.Name), c.Version
			continue
		}
		p, ok := componentPackage(c)
		if ok {
			inv.Packages = append(inv.Packages, p)
		}
	}
	if inv.OS == "" && osName != "" {
		inv.OS = distroEcosystem(osName, osVersion)
	}
	for i, p := range inv.Packages {
		if inv.OS == "" && isOSEcosystem(p.Ecosystem) {
			inv.OS = p.Ecosystem
		}
		if (p.Ecosystem == "Debian" || p.Ecosystem == "Ubuntu" || p.Ecosystem == "Alpine") && strings.HasPrefix(inv.OS, p.Ecosystem+":") {
			inv.Packages[i].Ecosystem = inv.OS // a purl without distro release
		}
	}
	return inv, nil
}

func componentPackage(c cdxComponent) (Package, bool) {
	var p Package
	ok := false
	if c.PURL != "" {
		if u, err := parsePURL(c.PURL); err == nil {
			p, ok = u.pkg()
		}
	}
	var srcName, srcVer, srcRel, srcEpoch string
	for _, pr := range c.Properties {
		switch pr.Name {
		// Source packages as syft and trivy record them.
		case "syft:metadata:source", "aquasecurity:trivy:SrcName":
			srcName = pr.Value
		case "syft:metadata:sourceVersion", "aquasecurity:trivy:SrcVersion":
			srcVer = pr.Value
		case "aquasecurity:trivy:SrcRelease":
			srcRel = pr.Value
		case "aquasecurity:trivy:SrcEpoch":
			srcEpoch = pr.Value
		case propEcosystem:
			if !ok {
				p = Package{Name: c.Name, Version: c.Version, Ecosystem: pr.Value}
				ok = true
			}
		case propInstalledAt:
			if t, err := time.Parse(time.RFC3339, pr.Value); err == nil {
				p.InstalledAt = t
			}
		}
	}
	if ok && srcName != "" && srcName != p.Name && p.Source == "" {
		p.Source = srcName
	}
	if ok && srcVer != "" && p.SourceVersion == "" {
		if srcRel != "" {
			srcVer += "-" + srcRel
		}
		if srcEpoch != "" && srcEpoch != "0" {
			srcVer = srcEpoch + ":" + srcVer
		}
		if srcVer != p.Version {
			p.SourceVersion = srcVer
		}
	}
	return p, ok && p.Name != "" && p.Version != ""
}

func isOSEcosystem(eco string) bool {
	e, rel, _ := strings.Cut(eco, ":")
	switch e {
	case "Debian", "Ubuntu", "Alpine", "AlmaLinux", "Rocky Linux":
		return rel != ""
	case "Red Hat":
		return true
	}
	return false
}

// spdxDoc is the part of an SPDX 2.2/2.3 JSON document vigil reads.
type spdxDoc struct {
	SPDXVersion string `json:"spdxVersion"`
	Name        string `json:"name"`
	Packages    []struct {
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
}

// ParseSPDX reads an SPDX JSON SBOM; packages are taken from their purl
// external references.
func ParseSPDX(data []byte, file string) (*Inventory, error) {
	var d spdxDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, &LineError{File: file, Reason: "SPDX JSON: " + err.Error()}
	}
	if !strings.HasPrefix(d.SPDXVersion, "SPDX-") {
		return nil, &LineError{File: file, Reason: fmt.Sprintf("spdxVersion is %q, not SPDX-x.y", clip(d.SPDXVersion))}
	}
	inv := &Inventory{}
	for _, sp := range d.Packages {
		for _, r := range sp.ExternalRefs {
			if r.Type != "purl" {
				continue
			}
			u, err := parsePURL(r.Locator)
			if err != nil {
				continue
			}
			if p, ok := u.pkg(); ok && p.Name != "" && p.Version != "" {
				inv.Packages = append(inv.Packages, p)
				if inv.OS == "" && isOSEcosystem(p.Ecosystem) {
					inv.OS = p.Ecosystem
				}
			}
		}
	}
	return inv, nil
}

// CycloneDX returns inv as a CycloneDX 1.5 JSON document, the form a host
// ships its inventory in. now stamps the document.
func CycloneDX(inv *Inventory, now time.Time, toolVersion string) ([]byte, error) {
	b := cdxBOM{
		BOMFormat:   "CycloneDX",
		SpecVersion: "1.5",
		Version:     1,
		Metadata: &cdxMetadata{
			Timestamp: now.UTC().Format(time.RFC3339),
			Tools:     &cdxTools{Components: []cdxComponent{{Type: "application", Name: "vigil", Version: toolVersion}}},
			Component: &cdxComponent{Type: "device", Name: inv.Host},
			Properties: []cdxProperty{
				{Name: propHost, Value: inv.Host},
				{Name: propOS, Value: inv.OS},
			},
		},
		Components: make([]cdxComponent, 0, len(inv.Packages)+1),
	}
	if inv.InternetFacing {
		b.Metadata.Properties = append(b.Metadata.Properties, cdxProperty{Name: propInternetFacing, Value: "true"})
	}
	if inv.AutoUpdates != "" {
		b.Metadata.Properties = append(b.Metadata.Properties, cdxProperty{Name: propAutoUpdates, Value: inv.AutoUpdates})
	}
	if eco, rel, ok := strings.Cut(inv.OS, ":"); ok {
		b.Components = append(b.Components, cdxComponent{Type: "operating-system", BOMRef: "os", Name: strings.ToLower(eco), Version: strings.TrimPrefix(rel, "v")})
	}
	for _, p := range inv.Packages {
		c := cdxComponent{Type: "library", Name: p.Name, Version: p.Version, PURL: formatPURL(p)}
		c.BOMRef = c.PURL
		if c.PURL == "" {
			c.BOMRef = p.Ecosystem + "/" + p.Name + "@" + p.Version
			c.Type = "application"
			c.Properties = append(c.Properties, cdxProperty{Name: propEcosystem, Value: p.Ecosystem})
		}
		if !p.InstalledAt.IsZero() {
			c.Properties = append(c.Properties, cdxProperty{Name: propInstalledAt, Value: p.InstalledAt.UTC().Format(time.RFC3339)})
		}
		b.Components = append(b.Components, c)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // package URLs hold '&'
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
