package vulndb

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// zipNames is the name cache of one all.zip: for each entry, the package
// names it mentions.
type zipNames struct {
	Names   []string   // distinct names
	Entries [][]uint32 // per entry: indexes into Names
	Any     []bool     // per entry: a name could not be read plainly: always read it
}

// cacheVersion changes when the cache's layout or meaning does.
const cacheVersion = "1"

// cachePath names the cache of the zip at path, or "" without a cache.
func (db *DB) cachePath(path string, st fs.FileInfo) string {
	if db.cacheDir == "" || db.rd.want == nil {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	h := sha256.Sum256([]byte(cacheVersion + "\x00" + abs + "\x00" + strconv.FormatInt(st.Size(), 10) + "\x00" + strconv.FormatInt(st.ModTime().UnixNano(), 10)))
	return filepath.Join(db.cacheDir, "osv-names-"+hex.EncodeToString(h[:16])+".gob")
}

func readZipNames(path string, entries int) (*zipNames, error) {
	f, err := os.Open(path) //nolint:gosec // vigil's own cache file
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	var zn zipNames
	if err := gob.NewDecoder(f).Decode(&zn); err != nil {
		return nil, fmt.Errorf("name cache: %w", err)
	}
	if len(zn.Entries) != entries || len(zn.Any) != entries {
		return nil, fmt.Errorf("name cache: %d entries, the zip has %d", len(zn.Entries), entries)
	}
	for _, e := range zn.Entries {
		for _, i := range e {
			if int(i) >= len(zn.Names) {
				return nil, fmt.Errorf("name cache: name index out of range")
			}
		}
	}
	return &zn, nil
}

// skip returns, per entry, whether it is about no package of want.
func (zn *zipNames) skip(want *PackageSet) []bool {
	wanted := make([]bool, len(zn.Names))
	for i, n := range zn.Names {
		wanted[i] = want.names[n]
	}
	skip := make([]bool, len(zn.Entries))
	for i, e := range zn.Entries {
		skip[i] = !zn.Any[i]
		for _, n := range e {
			if wanted[n] {
				skip[i] = false
				break
			}
		}
	}
	return skip
}

// writeZipNames writes the cache atomically (a reader sees the old file or
// the new one).
func writeZipNames(path string, names [][]string, anyName []bool) error {
	zn := zipNames{Entries: make([][]uint32, len(names)), Any: anyName}
	idx := map[string]uint32{}
	for i, ns := range names {
		for _, n := range ns {
			j, ok := idx[n]
			if !ok {
				j = uint32(len(zn.Names)) //nolint:gosec // fewer names than entries in a zip
				idx[n] = j
				zn.Names = append(zn.Names, n)
			}
			zn.Entries[i] = append(zn.Entries[i], j)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".osv-names-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename; cleans up after a failure
	if err := gob.NewEncoder(tmp).Encode(&zn); err != nil {
		_ = tmp.Close() // the encode error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
