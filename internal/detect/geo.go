package detect

import (
	"errors"
	"fmt"
	"math"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Place is what a GeoIP database says about an address.
type Place struct {
	Country string // ISO 3166-1 alpha-2
	ASN     uint32
	Org     string
	Lat     float64
	Lon     float64
	HasLoc  bool
}

// Geo looks addresses up.
type Geo interface {
	Lookup(a netip.Addr) (Place, bool)
}

// MMDB reads GeoLite2-Country (or -City) and GeoLite2-ASN format databases;
// either may be absent.
type MMDB struct {
	country, asn *maxminddb.Reader
}

var _ Geo = (*MMDB)(nil)

// OpenMMDB opens the databases whose paths are not empty.
func OpenMMDB(countryPath, asnPath string) (*MMDB, error) {
	m := &MMDB{}
	var err error
	if countryPath != "" {
		if m.country, err = maxminddb.Open(countryPath); err != nil {
			return nil, fmt.Errorf("country database %s: %w", countryPath, err)
		}
	}
	if asnPath != "" {
		if m.asn, err = maxminddb.Open(asnPath); err != nil {
			_ = m.Close() // the open error is the one to report
			return nil, fmt.Errorf("ASN database %s: %w", asnPath, err)
		}
	}
	return m, nil
}

// Close closes the databases.
func (m *MMDB) Close() error {
	var errs []error
	if m.country != nil {
		errs = append(errs, m.country.Close())
	}
	if m.asn != nil {
		errs = append(errs, m.asn.Close())
	}
	return errors.Join(errs...)
}

type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

type asnRecord struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// Lookup implements Geo.
func (m *MMDB) Lookup(a netip.Addr) (Place, bool) {
	var p Place
	found := false
	if m.country != nil {
		var r countryRecord
		res := m.country.Lookup(a)
		if res.Found() && res.Decode(&r) == nil {
			p.Country = r.Country.ISOCode
			if r.Location.Latitude != nil && r.Location.Longitude != nil {
				p.Lat, p.Lon, p.HasLoc = *r.Location.Latitude, *r.Location.Longitude, true
			}
			found = true
		}
	}
	if m.asn != nil {
		var r asnRecord
		res := m.asn.Lookup(a)
		if res.Found() && res.Decode(&r) == nil {
			p.ASN, p.Org = r.Number, r.Org
			found = true
		}
	}
	return p, found
}

// distanceKm is the great-circle distance between two places.
func distanceKm(a, b Place) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}
