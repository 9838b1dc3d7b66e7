package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/internal/store"
)

func (s *DB) fail(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s store: %s: %w", s.d.Name, op, store.ErrNotFound)
	}
	return fmt.Errorf("%s store: %s: %w", s.d.Name, op, err)
}

// PutAlert implements store.Alerts.
func (s *DB) PutAlert(ctx context.Context, a store.Alert) error {
	ids, err := marshalStrings(a.EventIDs)
	if err != nil {
		return s.fail("put alert", err)
	}
	_, err = s.db.ExecContext(ctx, s.query(qPutAlert), a.ID, nanos(a.Time), a.Rule, a.Account, int(a.Severity), a.Summary, ids, a.IncidentID, a.Data)
	if err != nil {
		return s.fail("put alert", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

// queryAll runs the already-rewritten query text and scans every row with
// scan; op names the operation in errors.
func queryAll[T any](ctx context.Context, s *DB, op, text string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer func() { _ = rows.Close() }() // read-only; rows.Err reports failures
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func scanAlert(r scanner) (store.Alert, error) {
	var a store.Alert
	var t int64
	var sev int
	var ids string
	if err := r.Scan(&a.ID, &t, &a.Rule, &a.Account, &sev, &a.Summary, &ids, &a.IncidentID, &a.Data); err != nil {
		return a, err
	}
	a.Time, a.Severity = fromNanos(t), store.Severity(sev)
	var err error
	a.EventIDs, err = unmarshalStrings(ids)
	return a, err
}

// Alert implements store.Alerts.
func (s *DB) Alert(ctx context.Context, id string) (store.Alert, error) {
	a, err := scanAlert(s.db.QueryRowContext(ctx, s.rewrite(qAlertCols+` WHERE id = ?`), id))
	if err != nil {
		return a, s.fail("alert", err)
	}
	return a, nil
}

// QueryAlerts implements store.Alerts.
func (s *DB) QueryAlerts(ctx context.Context, q store.AlertQuery) ([]store.Alert, error) {
	var where []string
	var args []any
	if q.Account != "" {
		where, args = append(where, "account = ?"), append(args, q.Account)
	}
	if q.IncidentID != "" {
		where, args = append(where, "incident_id = ?"), append(args, q.IncidentID)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "t >= ?"), append(args, q.Since.UnixNano())
	}
	text := qAlertCols
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	return queryAll(ctx, s, "query alerts", s.rewrite(text+" ORDER BY t, id"), args, scanAlert)
}

// PutIncident implements store.Incidents.
func (s *DB) PutIncident(ctx context.Context, i store.Incident) error {
	accts, err := marshalStrings(i.Accounts)
	if err != nil {
		return s.fail("put incident", err)
	}
	if i.Status == "" {
		i.Status = store.IncidentOpen
	}
	_, err = s.db.ExecContext(ctx, s.query(qPutIncident), i.ID, nanos(i.Opened), nanos(i.Updated), string(i.Status), i.Title, accts, i.Data)
	if err != nil {
		return s.fail("put incident", err)
	}
	return nil
}

func scanIncident(r scanner) (store.Incident, error) {
	var i store.Incident
	var opened, updated int64
	var status, accts string
	if err := r.Scan(&i.ID, &opened, &updated, &status, &i.Title, &accts, &i.Data); err != nil {
		return i, err
	}
	i.Opened, i.Updated, i.Status = fromNanos(opened), fromNanos(updated), store.IncidentStatus(status)
	var err error
	i.Accounts, err = unmarshalStrings(accts)
	return i, err
}

// Incident implements store.Incidents.
func (s *DB) Incident(ctx context.Context, id string) (store.Incident, error) {
	i, err := scanIncident(s.db.QueryRowContext(ctx, s.rewrite(qIncidentCols+` WHERE id = ?`), id))
	if err != nil {
		return i, s.fail("incident", err)
	}
	return i, nil
}

// ListIncidents implements store.Incidents.
func (s *DB) ListIncidents(ctx context.Context, status store.IncidentStatus) ([]store.Incident, error) {
	text, args := qIncidentCols, []any{}
	if status != "" {
		text, args = text+" WHERE status = ?", append(args, string(status))
	}
	return queryAll(ctx, s, "list incidents", s.rewrite(text+" ORDER BY opened DESC, id"), args, scanIncident)
}

// SaveCheckpoint implements store.Checkpoints.
func (s *DB) SaveCheckpoint(ctx context.Context, c store.Checkpoint) error {
	meta := c.Meta
	if meta == nil {
		meta = []byte{}
	}
	if _, err := s.db.ExecContext(ctx, s.query(qSaveCkpt), c.Source, c.Key, c.Offset, meta, nanos(c.Updated)); err != nil {
		return s.fail("save checkpoint", err)
	}
	return nil
}

// Checkpoints implements store.Checkpoints.
func (s *DB) Checkpoints(ctx context.Context, source string) ([]store.Checkpoint, error) {
	return queryAll(ctx, s, "checkpoints", s.query(qCkpts), []any{source}, func(r scanner) (store.Checkpoint, error) {
		var c store.Checkpoint
		var updated int64
		if err := r.Scan(&c.Source, &c.Key, &c.Offset, &c.Meta, &updated); err != nil {
			return c, err
		}
		c.Updated = fromNanos(updated)
		if len(c.Meta) == 0 {
			c.Meta = nil
		}
		return c, nil
	})
}

// DeleteCheckpoint implements store.Checkpoints.
func (s *DB) DeleteCheckpoint(ctx context.Context, source, key string) error {
	if _, err := s.db.ExecContext(ctx, s.query(qDelCkpt), source, key); err != nil {
		return s.fail("delete checkpoint", err)
	}
	return nil
}

// PutBaseline implements store.Baselines.
func (s *DB) PutBaseline(ctx context.Context, kind, account string, blob []byte) error {
	if blob == nil {
		blob = []byte{}
	}
	if _, err := s.db.ExecContext(ctx, s.query(qPutBaseline), kind, account, blob); err != nil {
		return s.fail("put baseline", err)
	}
	return nil
}

// PutBaselines implements store.Baselines: one transaction for them all,
// with multi-row upserts of baselineRows baselines each.
func (s *DB) PutBaselines(ctx context.Context, kind string, blobs map[string][]byte) error {
	if len(blobs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail("put baselines", err)
	}
	if err := s.putBaselinesTx(ctx, tx, kind, blobs); err != nil {
		_ = tx.Rollback() // the put error is the one to report
		return s.fail("put baselines", err)
	}
	if err := tx.Commit(); err != nil {
		return s.fail("put baselines", err)
	}
	return nil
}

// baselineRows is how many baselines one upsert carries (3 parameters each).
const baselineRows = 128

// upsertBaselines returns the upsert of n baselines in this dialect.
func (s *DB) upsertBaselines(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO baselines (kind, account, blob) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (kind, account) DO UPDATE SET blob = excluded.blob`)
	return s.rewrite(b.String())
}

func (s *DB) putBaselinesTx(ctx context.Context, tx *sql.Tx, kind string, blobs map[string][]byte) error {
	var full *sql.Stmt
	if len(blobs) >= baselineRows {
		st, err := tx.PrepareContext(ctx, s.upsertBaselines(baselineRows))
		if err != nil {
			return err
		}
		defer func() { _ = st.Close() }() // closed with the transaction anyway
		full = st
	}
	args := make([]any, 0, 3*min(len(blobs), baselineRows))
	flush := func() error {
		var err error
		if n := len(args) / 3; n == baselineRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, s.upsertBaselines(n), args...)
		}
		args = args[:0]
		return err
	}
	// Each account once per statement (the map's keys are distinct): a
	// PostgreSQL upsert may not touch one row twice.
	for account, blob := range blobs {
		if blob == nil {
			blob = []byte{}
		}
		args = append(args, kind, account, blob)
		if len(args) == 3*baselineRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(args) > 0 {
		return flush()
	}
	return nil
}

// Baseline implements store.Baselines.
func (s *DB) Baseline(ctx context.Context, kind, account string) ([]byte, error) {
	var b []byte
	if err := s.db.QueryRowContext(ctx, s.query(qBaseline), kind, account).Scan(&b); err != nil {
		return nil, s.fail("baseline", err)
	}
	return b, nil
}

// BaselineAccounts implements store.Baselines.
func (s *DB) BaselineAccounts(ctx context.Context, kind string) ([]string, error) {
	return queryAll(ctx, s, "baseline accounts", s.query(qBaseAccts), []any{kind}, func(r scanner) (string, error) {
		var a string
		err := r.Scan(&a)
		return a, err
	})
}

// PutInventory implements store.Inventories.
func (s *DB) PutInventory(ctx context.Context, inv store.Inventory) error {
	pkgs := inv.Packages
	if pkgs == nil {
		pkgs = []store.Package{}
	}
	b, err := json.Marshal(pkgs)
	if err != nil {
		return s.fail("put inventory", err)
	}
	if _, err := s.db.ExecContext(ctx, s.query(qPutInv), inv.Host, nanos(inv.Taken), string(b)); err != nil {
		return s.fail("put inventory", err)
	}
	return nil
}

// Inventory implements store.Inventories.
func (s *DB) Inventory(ctx context.Context, host string) (store.Inventory, error) {
	inv := store.Inventory{Host: host}
	var taken int64
	var pkgs string
	if err := s.db.QueryRowContext(ctx, s.query(qInv), host).Scan(&taken, &pkgs); err != nil {
		return inv, s.fail("inventory", err)
	}
	inv.Taken = fromNanos(taken)
	if err := json.Unmarshal([]byte(pkgs), &inv.Packages); err != nil {
		return inv, s.fail("inventory", err)
	}
	if len(inv.Packages) == 0 {
		inv.Packages = nil
	}
	return inv, nil
}

// ReplaceFindings implements store.Findings, in one transaction.
func (s *DB) ReplaceFindings(ctx context.Context, host string, fs []store.Finding) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail("replace findings", err)
	}
	if _, err := tx.ExecContext(ctx, s.query(qDelFindings), host); err != nil {
		_ = tx.Rollback() // the exec error is the one to report
		return s.fail("replace findings", err)
	}
	for _, f := range fs {
		kev := 0
		if f.KEV {
			kev = 1
		}
		if _, err := tx.ExecContext(ctx, s.query(qPutFinding), host, f.Package, f.Version, f.Vuln, f.Fixed, kev, nanos(f.Found)); err != nil {
			_ = tx.Rollback() // as above
			return s.fail("replace findings", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.fail("replace findings", err)
	}
	return nil
}

// HostFindings implements store.Findings.
func (s *DB) HostFindings(ctx context.Context, host string) ([]store.Finding, error) {
	return queryAll(ctx, s, "findings", s.query(qFindings), []any{host}, func(r scanner) (store.Finding, error) {
		var f store.Finding
		var kev int
		var found int64
		if err := r.Scan(&f.Host, &f.Package, &f.Version, &f.Vuln, &f.Fixed, &kev, &found); err != nil {
			return f, err
		}
		f.KEV, f.Found = kev != 0, fromNanos(found)
		return f, nil
	})
}
