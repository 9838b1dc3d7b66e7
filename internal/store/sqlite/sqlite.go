// Package sqlite is the embedded default store: store.Store on a SQLite file
// (modernc.org/sqlite, pure Go), in WAL mode with synchronous=FULL so that a
// committed write survives a crash and a power cut.
//
// The package must not hold logic of its own beyond opening the file:
// queries and migrations live in store/sqlstore, shared with PostgreSQL.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/vigilhq/vigil/internal/store/sqlstore"
)

// Options configure Open.
type Options struct {
	// Path is the database file; it is created when missing.
	Path string
	// NoSync lowers synchronous to NORMAL: a crash of vigil still loses
	// nothing, a power cut may lose the last transactions. Default: FULL.
	NoSync bool
}

// Open opens (creating and migrating) the SQLite store at opts.Path.
func Open(ctx context.Context, opts Options) (*sqlstore.DB, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("sqlite store: no path")
	}
	sync := "FULL"
	if opts.NoSync {
		sync = "NORMAL"
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+opts.Path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", opts.Path, err)
	}
	// One connection: SQLite has one writer anyway, and one connection keeps
	// every transaction free of SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // the ping error is the one to report
		return nil, fmt.Errorf("sqlite store %s: %w", opts.Path, err)
	}
	s, err := sqlstore.New(ctx, db, sqlstore.Dialect{Name: "sqlite", Blob: "BLOB", BigInt: "INTEGER"})
	if err != nil {
		_ = db.Close() // as above
		return nil, fmt.Errorf("%s: %w", opts.Path, err)
	}
	return s, nil
}
