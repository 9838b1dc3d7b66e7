// Package founding holds vigil's founding case as data (README.md here): the
// clinic's Debian 10 mail server whose updates stopped in July 2020 — its
// dpkg status, apt history, host file, the OSV records and KEV entries that
// judge it — embedded for 'vigil demo', and read from this directory by the
// posture tests.
//
// The package must not hold code that judges the data, nor data copied from
// outside the project (the records were written for vigil; see README.md).
package founding

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

//go:embed README.md mail1.status mail1.yaml history.log history.log.1.gz kev.json osv/*.json
var files embed.FS

// Now is the date the founding case is judged as of: the month its breach
// began, 13 months after the server's last update.
var Now = time.Date(2021, 8, 31, 0, 0, 0, 0, time.UTC)

// LastUpdate is the day of the server's last update (apt history).
var LastUpdate = time.Date(2020, 7, 14, 0, 0, 0, 0, time.UTC)

// Paths of the written files, relative to the directory given to Write.
const (
	HostFile = "mail1.yaml" // the host file naming the others
	OSVDir   = "osv"        // OSV records (OSV schema 1.6)
	KEVFile  = "kev.json"   // the catalogue's entries for the host's bugs
)

// Write writes the founding case's files into dir (created if need be).
func Write(dir string) error {
	return fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o750); err != nil {
				return fmt.Errorf("founding: %w", err)
			}
			return nil
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return fmt.Errorf("founding: %w", err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return fmt.Errorf("founding: %w", err)
		}
		return nil
	})
}
