// Package sqlstore implements store.Store over database/sql for the SQL
// backends (store/sqlite, store/postgres). A Dialect carries what differs
// between them: the schema's types and the placeholder style. Migrations are
// numbered and applied once, in order, inside a transaction.
//
// The package must not open connections itself or know a driver by name: the
// backend packages open the *sql.DB and hand it over.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/store"
)

// Dialect is what differs between SQL backends.
type Dialect struct {
	// Name is the backend's name, for errors.
	Name string
	// Dollar says placeholders are $1, $2 … instead of ?.
	Dollar bool
	// Blob and BigInt are the column types for bytes and 64-bit integers.
	Blob, BigInt string
}

// DB is a store.Store on a SQL database.
type DB struct {
	db *sql.DB
	d  Dialect
	// q caches rewritten queries per source text.
	q map[string]string
}

var _ store.Store = (*DB)(nil)

// New migrates db to the current schema and returns the store. The store
// owns db from then on and closes it in Close.
func New(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	s := &DB{db: db, d: d, q: map[string]string{}}
	for _, src := range queries {
		s.q[src] = s.rewrite(src)
	}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("%s store: migrate: %w", d.Name, err)
	}
	return s, nil
}

// SQL returns the underlying database, for backend-specific maintenance.
func (s *DB) SQL() *sql.DB { return s.db }

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// rewrite turns ? placeholders into $n for dialects that want them.
func (s *DB) rewrite(q string) string {
	if !s.d.Dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (s *DB) query(src string) string {
	if q, ok := s.q[src]; ok {
		return q
	}
	return s.rewrite(src)
}

// migrations are applied in order; each entry is one schema version. Types
// written {BLOB} and {BIGINT} are replaced by the dialect's.
var migrations = []string{
	`CREATE TABLE events (
		id TEXT PRIMARY KEY,
		t {BIGINT} NOT NULL,
		account TEXT NOT NULL,
		source TEXT NOT NULL,
		class INTEGER NOT NULL,
		data {BLOB} NOT NULL,
		seq {BIGINT} NOT NULL
	);
	CREATE INDEX events_account_t ON events (account, t);
	CREATE INDEX events_t ON events (t);
	CREATE INDEX events_seq ON events (seq);
	CREATE TABLE alerts (
		id TEXT PRIMARY KEY,
		t {BIGINT} NOT NULL,
		rule TEXT NOT NULL,
		account TEXT NOT NULL,
		severity INTEGER NOT NULL,
		summary TEXT NOT NULL,
		event_ids TEXT NOT NULL,
		incident_id TEXT NOT NULL
	);
	CREATE INDEX alerts_account_t ON alerts (account, t);
	CREATE INDEX alerts_incident ON alerts (incident_id);
	CREATE TABLE incidents (
		id TEXT PRIMARY KEY,
		opened {BIGINT} NOT NULL,
		updated {BIGINT} NOT NULL,
		status TEXT NOT NULL,
		title TEXT NOT NULL,
		accounts TEXT NOT NULL
	);
	CREATE TABLE checkpoints (
		source TEXT NOT NULL,
		key TEXT NOT NULL,
		off {BIGINT} NOT NULL,
		meta {BLOB} NOT NULL,
		updated {BIGINT} NOT NULL,
		PRIMARY KEY (source, key)
	);
	CREATE TABLE baselines (
		kind TEXT NOT NULL,
		account TEXT NOT NULL,
		blob {BLOB} NOT NULL,
		PRIMARY KEY (kind, account)
	);
	CREATE TABLE inventories (
		host TEXT PRIMARY KEY,
		taken {BIGINT} NOT NULL,
		packages TEXT NOT NULL
	);
	CREATE TABLE findings (
		host TEXT NOT NULL,
		package TEXT NOT NULL,
		version TEXT NOT NULL,
		vuln TEXT NOT NULL,
		fixed TEXT NOT NULL,
		kev INTEGER NOT NULL,
		found {BIGINT} NOT NULL,
		PRIMARY KEY (host, package, vuln)
	);`,
	`ALTER TABLE alerts ADD COLUMN data {BLOB};
	ALTER TABLE incidents ADD COLUMN data {BLOB}`,
}

func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this vigil knows (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		ddl := strings.NewReplacer("{BLOB}", s.d.Blob, "{BIGINT}", s.d.BigInt).Replace(migrations[i])
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range strings.Split(ddl, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				_ = tx.Rollback() // the exec error is the one to report
				return fmt.Errorf("version %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.rewrite(`INSERT INTO schema_version (version) VALUES (?)`), i+1); err != nil {
			_ = tx.Rollback() // as above
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

const (
	qMaxSeq    = `SELECT COALESCE(MAX(seq), 0) FROM events`
	qCount     = `SELECT COUNT(*) FROM events`
	qPruneAge  = `DELETE FROM events WHERE t < ?`
	qPruneKeep = `DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)`
	qPutAlert  = `INSERT INTO alerts (id, t, rule, account, severity, summary, event_ids, incident_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET t = excluded.t, rule = excluded.rule, account = excluded.account, severity = excluded.severity,
		summary = excluded.summary, event_ids = excluded.event_ids, incident_id = excluded.incident_id, data = excluded.data`
	qAlertCols   = `SELECT id, t, rule, account, severity, summary, event_ids, incident_id, data FROM alerts`
	qPutIncident = `INSERT INTO incidents (id, opened, updated, status, title, accounts, data) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET opened = excluded.opened, updated = excluded.updated, status = excluded.status, title = excluded.title,
		accounts = excluded.accounts, data = excluded.data`
	qIncidentCols = `SELECT id, opened, updated, status, title, accounts, data FROM incidents`
	qSaveCkpt     = `INSERT INTO checkpoints (source, key, off, meta, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET off = excluded.off, meta = excluded.meta, updated = excluded.updated`
	qCkpts       = `SELECT source, key, off, meta, updated FROM checkpoints WHERE source = ? ORDER BY key`
	qDelCkpt     = `DELETE FROM checkpoints WHERE source = ? AND key = ?`
	qPutBaseline = `INSERT INTO baselines (kind, account, blob) VALUES (?, ?, ?) ON CONFLICT (kind, account) DO UPDATE SET blob = excluded.blob`
	qBaseline    = `SELECT blob FROM baselines WHERE kind = ? AND account = ?`
	qBaseAccts   = `SELECT account FROM baselines WHERE kind = ? ORDER BY account`
	qPutInv      = `INSERT INTO inventories (host, taken, packages) VALUES (?, ?, ?) ON CONFLICT (host) DO UPDATE SET taken = excluded.taken, packages = excluded.packages`
	qInv         = `SELECT taken, packages FROM inventories WHERE host = ?`
	qDelFindings = `DELETE FROM findings WHERE host = ?`
	qPutFinding  = `INSERT INTO findings (host, package, version, vuln, fixed, kev, found) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (host, package, vuln) DO UPDATE SET version = excluded.version, fixed = excluded.fixed, kev = excluded.kev, found = excluded.found`
	qFindings = `SELECT host, package, version, vuln, fixed, kev, found FROM findings WHERE host = ? ORDER BY package, vuln`
)

var queries = []string{qMaxSeq, qCount, qPruneAge, qPruneKeep, qPutAlert, qPutIncident,
	qSaveCkpt, qCkpts, qDelCkpt, qPutBaseline, qBaseline, qBaseAccts, qPutInv, qInv, qDelFindings, qPutFinding, qFindings}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// AppendEvents implements store.Events. All events go in one transaction.
func (s *DB) AppendEvents(ctx context.Context, evs []store.Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("%s store: append events: %w", s.d.Name, err)
	}
	n, err := s.appendTx(ctx, tx, evs)
	if err != nil {
		_ = tx.Rollback() // the append error is the one to report
		return 0, fmt.Errorf("%s store: append events: %w", s.d.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("%s store: append events: commit: %w", s.d.Name, err)
	}
	return n, nil
}

// insertRows is how many events one INSERT statement carries (7 parameters
// each, well under SQLite's and PostgreSQL's limits).
const insertRows = 128

// insertEvents returns the INSERT of n events in this dialect.
func (s *DB) insertEvents(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (id, t, account, source, class, data, seq) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT (id) DO NOTHING")
	return s.rewrite(b.String())
}

// appendTx inserts evs with multi-row INSERTs: whole chunks of insertRows
// through one prepared statement, the rest in one more statement.
func (s *DB) appendTx(ctx context.Context, tx *sql.Tx, evs []store.Event) (int, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, s.query(qMaxSeq)).Scan(&seq); err != nil {
		return 0, err
	}
	for i := range evs {
		if evs[i].ID == "" {
			return 0, errors.New("event without ID")
		}
	}
	var full *sql.Stmt
	if len(evs) >= insertRows {
		st, err := tx.PrepareContext(ctx, s.insertEvents(insertRows))
		if err != nil {
			return 0, err
		}
		defer func() { _ = st.Close() }() // closed with the transaction anyway
		full = st
	}
	args := make([]any, 0, 7*min(len(evs), insertRows))
	n := 0
	for len(evs) > 0 {
		chunk := evs[:min(len(evs), insertRows)]
		evs = evs[len(chunk):]
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			seq++
			args = append(args, e.ID, nanos(e.Time), e.Account, e.Source, e.Class, e.Data, seq)
		}
		var res sql.Result
		var err error
		if len(chunk) == insertRows {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, s.insertEvents(len(chunk)), args...)
		}
		if err != nil {
			return 0, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += int(k)
	}
	return n, nil
}

// QueryEvents implements store.Events.
func (s *DB) QueryEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	var where []string
	var args []any
	if q.Account != "" {
		where = append(where, "account = ?")
		args = append(args, q.Account)
	}
	if !q.From.IsZero() {
		where = append(where, "t >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "t < ?")
		args = append(args, q.To.UnixNano())
	}
	if len(q.IDs) > 0 {
		where = append(where, "id IN (?"+strings.Repeat(", ?", len(q.IDs)-1)+")")
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10000
	}
	sqlText := `SELECT id, t, account, source, class, data FROM events`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY t, id LIMIT " + strconv.Itoa(limit)
	return queryAll(ctx, s, "query events", s.rewrite(sqlText), args, func(r scanner) (store.Event, error) {
		var e store.Event
		var t int64
		if err := r.Scan(&e.ID, &t, &e.Account, &e.Source, &e.Class, &e.Data); err != nil {
			return e, err
		}
		e.Time = fromNanos(t)
		return e, nil
	})
}

// CountEvents implements store.Events.
func (s *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, s.query(qCount)).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s store: count events: %w", s.d.Name, err)
	}
	return n, nil
}

// PruneEvents implements store.Events.
func (s *DB) PruneEvents(ctx context.Context, before time.Time, keep int64) (int64, error) {
	var total int64
	if !before.IsZero() {
		res, err := s.db.ExecContext(ctx, s.query(qPruneAge), before.UnixNano())
		if err != nil {
			return 0, fmt.Errorf("%s store: prune events: %w", s.d.Name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("%s store: prune events: %w", s.d.Name, err)
		}
		total += n
	}
	if keep > 0 {
		res, err := s.db.ExecContext(ctx, s.query(qPruneKeep), keep)
		if err != nil {
			return total, fmt.Errorf("%s store: prune events: %w", s.d.Name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("%s store: prune events: %w", s.d.Name, err)
		}
		total += n
	}
	return total, nil
}

func marshalStrings(v []string) (string, error) {
	if v == nil {
		v = []string{}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func unmarshalStrings(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}
