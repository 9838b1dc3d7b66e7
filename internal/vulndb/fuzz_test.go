package vulndb

import (
	"testing"
)

// FuzzOSVRecord: OSV data is downloaded, so untrusted. Reading a record and
// matching versions against it must not panic, whatever its ranges hold.
func FuzzOSVRecord(f *testing.F) {
	f.Add(string(rec(f, "DSA-1", "Debian:10", "openssl", ev("introduced", "0", "fixed", "1.1.1d-0+deb10u6"), nil)), "1.1.1d-0+deb10u5")
	f.Add(string(rec(f, "X-1", "Alpine:v3.20", "openssl", ev("fixed", "3.3.2-r0", "introduced", "3.0.0-r0", "last_affected", "3.4-r0"), nil)), "3.3.1-r3")
	f.Add(string(rec(f, "X-2", "Debian:10", "openssl", ev("introduced", "1:", "limit", "~~"), nil)), "1:")
	f.Add(`{"id":"X","affected":[{"package":{"ecosystem":"Debian:10","name":"openssl"},"versions":["1"]}]}`, "1")
	f.Fuzz(func(t *testing.T, record, version string) {
		db := New(Options{})
		if err := db.AddJSON([]byte(record), "fuzz"); err != nil {
			return
		}
		for _, eco := range []string{"Debian:10", "Alpine:v3.20", "Ubuntu:22.04"} {
			ms, _ := db.Affecting(eco, "openssl", version)
			for _, m := range ms {
				if m.Vuln == nil {
					t.Fatal("match without record")
				}
			}
		}
	})
}
