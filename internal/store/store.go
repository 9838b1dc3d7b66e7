// Package store defines vigil's durable state behind one Store interface: the
// index of events used to look up an alert's evidence, alerts, incidents,
// source checkpoints, per-account baselines, host inventories and posture
// findings. Each backend (SQLite in store/sqlite, PostgreSQL in
// store/postgres) implements it and passes the one conformance suite in
// store/storetest.
//
// The package holds types and contracts only: it must not open databases,
// decide what is an alert, or interpret baseline blobs (detection owns them).
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// Store is vigil's state. Implementations are safe for concurrent use.
type Store interface {
	Events
	Alerts
	Incidents
	Checkpoints
	Baselines
	Inventories
	Findings
	// Close releases the database.
	Close() error
}

// Event is one stored event: the normalized event's JSON and the columns
// evidence lookups filter on.
type Event struct {
	// ID is the event's identity on the bus (source identity + position);
	// storing an ID twice keeps the first copy.
	ID string
	// Time is when the event happened (UTC).
	Time time.Time
	// Account is the user the event is about ("" when none).
	Account string
	// Source names where the event was read (a file, a syslog listener).
	Source string
	// Class is the event's OCSF class UID.
	Class int
	// Data is the event's JSON (event.Event's MarshalJSON).
	Data []byte
}

// EventQuery selects events for an evidence lookup. Zero fields do not filter.
type EventQuery struct {
	Account  string
	From, To time.Time // From inclusive, To exclusive
	IDs      []string  // exact IDs; when set, other fields still filter
	Limit    int       // 0 means 10,000
}

// Events is the event index.
type Events interface {
	// AppendEvents stores events, skipping any whose ID is already stored,
	// and returns how many were new. It returns after the events are durable.
	AppendEvents(ctx context.Context, evs []Event) (int, error)
	// QueryEvents returns matching events ordered by time, then ID.
	QueryEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// CountEvents returns the number of stored events.
	CountEvents(ctx context.Context) (int64, error)
	// PruneEvents deletes events older than before (when not zero) and then
	// the oldest events beyond keep (when keep > 0); it returns how many went.
	PruneEvents(ctx context.Context, before time.Time, keep int64) (int64, error)
}

// Severity of an alert, from 1 (informational) to 5 (critical).
type Severity int

// Alert is a detector's finding about an account, with its evidence.
type Alert struct {
	ID       string
	Time     time.Time
	Rule     string
	Account  string
	Severity Severity
	Summary  string
	// EventIDs are the stored events that are the alert's evidence.
	EventIDs []string
	// IncidentID is the incident the alert was grouped into ("" when none).
	IncidentID string
	// Data is the whole alert as detection wrote it (its JSON, with the
	// evidence: sessions, messages read); nil when none.
	Data []byte
}

// AlertQuery selects alerts. Zero fields do not filter.
type AlertQuery struct {
	Account    string
	IncidentID string
	Since      time.Time
}

// Alerts holds detectors' alerts.
type Alerts interface {
	// PutAlert inserts or replaces the alert with a.ID.
	PutAlert(ctx context.Context, a Alert) error
	// Alert returns the alert with id, or ErrNotFound.
	Alert(ctx context.Context, id string) (Alert, error)
	// QueryAlerts returns matching alerts ordered by time, then ID.
	QueryAlerts(ctx context.Context, q AlertQuery) ([]Alert, error)
}

// IncidentStatus is where an incident is in its handling.
type IncidentStatus string

// Incident statuses.
const (
	IncidentOpen   IncidentStatus = "open"
	IncidentClosed IncidentStatus = "closed"
)

// Incident groups alerts into one case.
type Incident struct {
	ID      string
	Opened  time.Time
	Updated time.Time
	Status  IncidentStatus
	Title   string
	// Accounts are the accounts involved.
	Accounts []string
	// Data is the incident as detection's grouping wrote it (its JSON);
	// nil when none.
	Data []byte
}

// Incidents holds incident cases.
type Incidents interface {
	// PutIncident inserts or replaces the incident with i.ID.
	PutIncident(ctx context.Context, i Incident) error
	// Incident returns the incident with id, or ErrNotFound.
	Incident(ctx context.Context, id string) (Incident, error)
	// ListIncidents returns incidents with the status (all when ""), newest
	// opened first.
	ListIncidents(ctx context.Context, status IncidentStatus) ([]Incident, error)
}

// Checkpoint is how far a source has read one input. Sources define Key and
// Meta; the store keeps them as given.
type Checkpoint struct {
	// Source is the source's configured name.
	Source string
	// Key identifies the input within the source (a file's identity).
	Key string
	// Offset is the position up to which everything is on the bus.
	Offset int64
	// Meta is the source's own description of the input (identity fields).
	Meta []byte
	// Updated is when the checkpoint was last saved.
	Updated time.Time
}

// Checkpoints holds sources' positions.
type Checkpoints interface {
	// SaveCheckpoint inserts or replaces the checkpoint (Source, Key).
	SaveCheckpoint(ctx context.Context, c Checkpoint) error
	// Checkpoints returns the source's checkpoints ordered by Key.
	Checkpoints(ctx context.Context, source string) ([]Checkpoint, error)
	// DeleteCheckpoint removes one checkpoint; removing a missing one is not an error.
	DeleteCheckpoint(ctx context.Context, source, key string) error
}

// Baselines holds detection's per-account baselines as opaque blobs.
type Baselines interface {
	// PutBaseline stores the blob for (kind, account), replacing any earlier one.
	PutBaseline(ctx context.Context, kind, account string, blob []byte) error
	// PutBaselines stores many blobs of kind (by account) at once: all or
	// none, in one write.
	PutBaselines(ctx context.Context, kind string, blobs map[string][]byte) error
	// Baseline returns the blob for (kind, account), or ErrNotFound.
	Baseline(ctx context.Context, kind, account string) ([]byte, error)
	// BaselineAccounts returns the accounts that have a baseline of kind, sorted.
	BaselineAccounts(ctx context.Context, kind string) ([]string, error)
}

// Package is one installed package on a host.
type Package struct {
	Name    string
	Version string
	// Ecosystem is the package world the name belongs to (OSV's term: "Debian:12").
	Ecosystem string
	// Source and SourceVersion name the source package it was built from
	// when it differs (Debian: libssl3 from openssl); vulnerability data
	// is by source package.
	Source        string `json:",omitempty"`
	SourceVersion string `json:",omitempty"`
	// InstalledAt is when this version arrived, where the host said so.
	InstalledAt time.Time `json:",omitzero"`
}

// Inventory is a host's installed packages at one time.
type Inventory struct {
	Host     string
	Taken    time.Time
	Packages []Package
}

// Inventories holds hosts' package inventories, the latest per host.
type Inventories interface {
	// PutInventory replaces the host's inventory.
	PutInventory(ctx context.Context, inv Inventory) error
	// Inventory returns the host's inventory, or ErrNotFound.
	Inventory(ctx context.Context, host string) (Inventory, error)
}

// Finding is one posture finding: a host runs a vulnerable package.
type Finding struct {
	Host    string
	Package string
	Version string
	// Vuln is the vulnerability ID (CVE-…, OSV ID).
	Vuln string
	// Fixed is the first fixed version ("" when none is known).
	Fixed string
	// KEV is true when the vulnerability is in CISA's KEV catalogue.
	KEV   bool
	Found time.Time
}

// Findings holds posture findings, the latest set per host.
type Findings interface {
	// ReplaceFindings replaces all of the host's findings with fs.
	ReplaceFindings(ctx context.Context, host string, fs []Finding) error
	// HostFindings returns the host's findings ordered by package, then Vuln.
	HostFindings(ctx context.Context, host string) ([]Finding, error)
}
