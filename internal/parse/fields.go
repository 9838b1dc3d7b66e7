package parse

import (
	"net/netip"
	"strconv"
	"strings"
)

// addr parses an IPv4 or IPv6 address as a server logged it, unmapping
// IPv4-in-IPv6 so that ::ffff:192.0.2.1 and 192.0.2.1 are one source.
func addr(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	// A zone (fe80::1%eth0) names an interface of the logging host, not part
	// of the client's address.
	return a.WithZone("").Unmap(), true
}

// port parses a TCP port number.
func port(s string) (uint16, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, false
	}
	return uint16(n), true
}

// count parses a non-negative decimal count.
func count(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// pair parses "a/b" into two counts.
func pair(s string) (int64, int64, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	x, ok1 := count(a)
	y, ok2 := count(b)
	return x, y, ok1 && ok2
}

// valueAfter returns the text after key up to the next stop byte (or the end),
// for the first occurrence of key in s.
func valueAfter(s, key string, stop byte) (string, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", false
	}
	v := s[i+len(key):]
	if j := strings.IndexByte(v, stop); j >= 0 {
		v = v[:j]
	}
	return v, true
}

// lastValueAfter is valueAfter for the last occurrence of key.
func lastValueAfter(s, key string, stop byte) (string, bool) {
	i := strings.LastIndex(s, key)
	if i < 0 {
		return "", false
	}
	v := s[i+len(key):]
	if j := strings.IndexByte(v, stop); j >= 0 {
		v = v[:j]
	}
	return v, true
}

// hostBracketAddr parses Postfix's "name[addr]" or "name[addr]:port" as it
// appears at the start of s, returning what follows. The name is the reverse
// DNS name, which the client's DNS controls; only the bracketed part is the
// address.
func hostBracketAddr(s string) (name string, ip netip.Addr, p uint16, rest string, ok bool) {
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return "", netip.Addr{}, 0, "", false
	}
	closeIdx := strings.IndexByte(s[open:], ']')
	if closeIdx < 0 {
		return "", netip.Addr{}, 0, "", false
	}
	closeIdx += open
	ip, ok = addr(strings.TrimPrefix(s[open+1:closeIdx], "IPv6:"))
	if !ok {
		return "", netip.Addr{}, 0, "", false
	}
	name, rest = s[:open], s[closeIdx+1:]
	if len(rest) > 1 && rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if pp, ok := port(rest[1:j]); ok {
			p, rest = pp, rest[j:]
		}
	}
	return name, ip, p, rest, true
}

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
