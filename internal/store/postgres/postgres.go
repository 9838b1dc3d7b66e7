// Package postgres is the scale-out store: store.Store on PostgreSQL through
// jackc/pgx/v5, for deployments that run many vigil workers.
//
// The package must not hold logic of its own beyond connecting: queries and
// migrations live in store/sqlstore, shared with SQLite.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vigilhq/vigil/internal/store/sqlstore"
)

// Options configure Open.
type Options struct {
	// DSN is a libpq connection string or postgres:// URL.
	DSN string
	// Schema, when set, is created if missing and used for every table.
	Schema string
	// MaxConns caps the connection pool. Default 8.
	MaxConns int
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to PostgreSQL and migrates the schema.
func Open(ctx context.Context, opts Options) (*sqlstore.DB, error) {
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if opts.Schema != "" {
		if !schemaName.MatchString(opts.Schema) {
			return nil, fmt.Errorf("postgres store: schema %q: want lower-case letters, digits and _", opts.Schema)
		}
		cfg.RuntimeParams["search_path"] = opts.Schema
	}
	db := stdlib.OpenDB(*cfg)
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	db.SetMaxOpenConns(opts.MaxConns)
	if opts.Schema != "" {
		if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+opts.Schema); err != nil {
			_ = db.Close() // the exec error is the one to report
			return nil, fmt.Errorf("postgres store: create schema: %w", err)
		}
	}
	s, err := sqlstore.New(ctx, db, sqlstore.Dialect{Name: "postgres", Dollar: true, Blob: "BYTEA", BigInt: "BIGINT"})
	if err != nil {
		_ = db.Close() // as above
		return nil, err
	}
	return s, nil
}

// DropSchema drops a schema and everything in it (tests use one per run).
func DropSchema(ctx context.Context, db *sql.DB, schema string) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("postgres store: schema %q: want lower-case letters, digits and _", schema)
	}
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		return fmt.Errorf("postgres store: drop schema: %w", err)
	}
	return nil
}
