package inventory

import (
	"fmt"
	"net/url"
	"strings"
)

// purl is the part of a package URL (github.com/package-url/purl-spec)
// vigil uses.
type purl struct {
	typ, namespace, name, version string
	qualifiers                    url.Values
}

func parsePURL(s string) (purl, error) {
	var p purl
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("package URL does not start with 'pkg:' (%w)", ErrFormat)
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("package URL qualifiers: %w", err)
		}
		p.qualifiers = q
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("package URL version: %w", err)
		}
		p.version = v
		rest = rest[:i]
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) < 2 {
		return p, fmt.Errorf("package URL has no type/name")
	}
	p.typ = strings.ToLower(parts[0])
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil {
			return p, fmt.Errorf("package URL path: %w", err)
		}
		parts[i] = u
	}
	p.name = parts[len(parts)-1]
	p.namespace = strings.Join(parts[1:len(parts)-1], "/")
	return p, nil
}

// pkg turns an OS package URL into a Package; ok is false for types vigil
// does not match (npm, golang…), which it skips.
func (p purl) pkg() (Package, bool) {
	pk := Package{Name: p.name, Version: p.version, Arch: p.qualifiers.Get("arch")}
	if e := p.qualifiers.Get("epoch"); e != "" && e != "0" && !strings.Contains(pk.Version, ":") {
		pk.Version = e + ":" + pk.Version
	}
	if up := p.qualifiers.Get("upstream"); up != "" {
		src, ver, _ := strings.Cut(up, "@")
		if src != pk.Name {
			pk.Source = src
		}
		if ver != "" && ver != pk.Version {
			pk.SourceVersion = ver
		}
	}
	distro := strings.ToLower(p.qualifiers.Get("distro"))
	switch p.typ {
	case "deb":
		pk.Ecosystem = distroEcosystem(strings.ToLower(p.namespace), distro)
	case "apk":
		pk.Ecosystem = distroEcosystem("alpine", distro)
		if o := p.qualifiers.Get("origin"); o != "" && o != pk.Name {
			pk.Source = o
		}
	case "rpm":
		pk.Ecosystem = distroEcosystem(strings.ToLower(p.namespace), distro)
	case "composer":
		pk.Name = strings.Trim(p.namespace+"/"+p.name, "/")
		pk.Ecosystem = "Packagist"
	default:
		return pk, false
	}
	return pk, true
}

// distroEcosystem maps a purl namespace and distro qualifier
// ("debian", "debian-12" or "bookworm") to an OSV ecosystem ("Debian:12").
func distroEcosystem(ns, distro string) string {
	ver := distro
	if i := strings.IndexByte(distro, '-'); i >= 0 {
		ver = distro[i+1:]
	}
	if v, ok := debianCodenames[ver]; ok {
		ver = v
	}
	switch ns {
	case "debian":
		if ver == "" {
			return "Debian"
		}
		major, _, _ := strings.Cut(ver, ".")
		return "Debian:" + major
	case "ubuntu":
		if ver == "" {
			return "Ubuntu"
		}
		return "Ubuntu:" + ver
	case "alpine":
		if ver == "" {
			return "Alpine"
		}
		parts := strings.SplitN(strings.TrimPrefix(ver, "v"), ".", 3)
		if len(parts) < 2 {
			return "Alpine"
		}
		return "Alpine:v" + parts[0] + "." + parts[1]
	case "almalinux":
		major, _, _ := strings.Cut(ver, ".")
		return "AlmaLinux:" + major
	case "rocky", "rocky-linux":
		major, _, _ := strings.Cut(ver, ".")
		return "Rocky Linux:" + major
	case "redhat", "rhel":
		return "Red Hat"
	}
	return ""
}

var debianCodenames = map[string]string{
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
	"focal": "20.04", "jammy": "22.04", "noble": "24.04",
}

// formatPURL writes the package URL of a package; "" for ecosystems
// without a package URL type (Exchange).
func formatPURL(p Package) string {
	eco, release, _ := strings.Cut(p.Ecosystem, ":")
	var typ, ns, distro string
	switch eco {
	case "Debian":
		typ, ns, distro = "deb", "debian", "debian-"+release
	case "Ubuntu":
		typ, ns, distro = "deb", "ubuntu", "ubuntu-"+release
	case "Alpine":
		typ, ns, distro = "apk", "alpine", "alpine-"+strings.TrimPrefix(release, "v")
	case "AlmaLinux":
		typ, ns, distro = "rpm", "almalinux", "almalinux-"+release
	case "Rocky Linux":
		typ, ns, distro = "rpm", "rocky", "rocky-"+release
	case "Red Hat":
		typ, ns = "rpm", "redhat"
	case "Packagist":
		return "pkg:composer/" + p.Name + "@" + url.PathEscape(p.Version)
	default:
		return ""
	}
	q := url.Values{}
	if p.Arch != "" {
		q.Set("arch", p.Arch)
	}
	if release != "" {
		q.Set("distro", distro)
	}
	if p.Source != "" || p.SourceVersion != "" {
		up := p.SourceName()
		if p.SourceVersion != "" {
			up += "@" + p.SourceVersion
		}
		q.Set("upstream", up)
	}
	s := "pkg:" + typ + "/" + ns + "/" + url.PathEscape(p.Name) + "@" + url.PathEscape(p.Version)
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}
