package sim

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteGeoDBs writes GeoLite2-City-format and GeoLite2-ASN-format databases
// for Networks() into dir (which must exist) and returns their paths. They
// are how tests and the demo give the simulated 127.x addresses a country.
func WriteGeoDBs(dir string) (countryPath, asnPath string, err error) {
	country, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return "", "", err
	}
	asn, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return "", "", err
	}
	for _, n := range Networks() {
		ipnet := &net.IPNet{IP: net.IP(n.Prefix.Addr().AsSlice()), Mask: net.CIDRMask(n.Prefix.Bits(), n.Prefix.Addr().BitLen())}
		err := country.Insert(ipnet, mmdbtype.Map{
			"country":  mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)},
			"location": mmdbtype.Map{"latitude": mmdbtype.Float64(n.Lat), "longitude": mmdbtype.Float64(n.Lon)},
		})
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", n.Prefix, err)
		}
		err = asn.Insert(ipnet, mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.ASN),
			"autonomous_system_organization": mmdbtype.String(n.Org),
		})
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", n.Prefix, err)
		}
	}
	countryPath = filepath.Join(dir, "sim-city.mmdb")
	asnPath = filepath.Join(dir, "sim-asn.mmdb")
	for path, tree := range map[string]*mmdbwriter.Tree{countryPath: country, asnPath: asn} {
		f, err := os.Create(path) //nolint:gosec // G304: the caller's directory
		if err != nil {
			return "", "", err
		}
		if _, err := tree.WriteTo(f); err != nil {
			_ = f.Close() // the write error is the one to report
			return "", "", err
		}
		if err := f.Close(); err != nil {
			return "", "", err
		}
	}
	return countryPath, asnPath, nil
}
