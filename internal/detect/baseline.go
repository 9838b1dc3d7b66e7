package detect

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Caps keep a baseline under 2 KiB whatever an account does: networks,
// ASNs, countries and mailbox owners beyond these evict the least recent.
const (
	maxNets      = 20
	maxASNs      = 8
	maxCountries = 6
	maxOwners    = 6
)

// Baseline is what vigil has learned about one account's normal behaviour.
type Baseline struct {
	// FirstDay, LastDay and Day are days since 1970-01-01 (UTC).
	FirstDay   int32     `json:"first_day"`
	LastDay    int32     `json:"last_day"`
	ActiveDays int       `json:"active_days"`
	Nets       []NetSeen `json:"nets,omitempty"`
	ASNs       []uint32  `json:"asns,omitempty"`
	Countries  []string  `json:"countries,omitempty"`
	// Services is a set of bits (serviceBit).
	Services uint8 `json:"services,omitempty"`
	// Hours has bit h set when the account logged in during UTC hour h.
	Hours uint32 `json:"hours,omitempty"`
	// MaxSession and MaxDay are the most messages read in one session and
	// in one day; MaxOld the most old messages in one session.
	MaxSession int `json:"max_session"`
	MaxDay     int `json:"max_day"`
	MaxOld     int `json:"max_old"`
	// MaxBytes is the most body bytes fetched in one session (logout counts).
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// Owners are other accounts whose shared mailboxes this one reads.
	Owners []string `json:"owners,omitempty"`
	// Day and DayRead accumulate the current day's reads.
	Day     int32 `json:"day"`
	DayRead int   `json:"day_read"`

	dirty bool
}

// NetSeen is a network (IPv4 /24, IPv6 /48) and the last day it was used.
type NetSeen struct {
	Net netip.Prefix `json:"net"`
	Day int32        `json:"day"`
}

type netKey = netip.Prefix

// netOf is the network an address belongs to for baselines.
func netOf(a netip.Addr) netKey {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, _ := a.Prefix(bits)
	return p
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) } //nolint:gosec // G115: days since 1970 fit in int32 until the year 5.8 million

// HasNet reports whether the account used a's network.
func (b *Baseline) HasNet(a netip.Addr) bool {
	k := netOf(a)
	for _, n := range b.Nets {
		if n.Net == k {
			return true
		}
	}
	return false
}

// HasCountry reports whether the account logged in from the country.
func (b *Baseline) HasCountry(c string) bool { return slices.Contains(b.Countries, c) }

// HasASN reports whether the account logged in from the ASN.
func (b *Baseline) HasASN(n uint32) bool { return slices.Contains(b.ASNs, n) }

var services = []string{"imap", "pop3", "webmail", "submission", "smtp", "managesieve"}

func serviceBit(s string) uint8 {
	if i := slices.Index(services, s); i >= 0 {
		return 1 << i
	}
	return 0
}

// HasService reports whether the account used the protocol.
func (b *Baseline) HasService(s string) bool {
	bit := serviceBit(s)
	return bit == 0 || b.Services&bit != 0
}

// ServiceNames lists the protocols the account used.
func (b *Baseline) ServiceNames() []string {
	var out []string
	for i, s := range services {
		if b.Services&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

// learnSession adds a session that raised nothing high to its account's baseline.
func (e *Engine) learnSession(s *Session) {
	if s.flagged >= 3 || s.User == "" { // alert.High
		return
	}
	b, _ := e.baseline(s.User)
	b.dirty = true
	day := dayOf(s.Start)
	if b.FirstDay == 0 {
		b.FirstDay = day
	}
	if day != b.LastDay {
		b.ActiveDays++
		b.LastDay = day
	}
	if s.Src.IsValid() {
		e.addNet(b, netOf(s.Src), day)
	}
	if s.HasPlace {
		if s.Place.ASN != 0 && !b.HasASN(s.Place.ASN) {
			b.ASNs = appendCapped(b.ASNs, s.Place.ASN, maxASNs)
		}
		if s.Place.Country != "" && !b.HasCountry(s.Place.Country) {
			b.Countries = appendCapped(b.Countries, s.Place.Country, maxCountries)
		}
	}
	b.Services |= serviceBit(s.Service)
	b.Hours |= 1 << uint(s.Start.UTC().Hour())
	n := s.Opened()
	b.MaxSession = max(b.MaxSession, n)
	b.MaxOld = max(b.MaxOld, s.old)
	b.MaxBytes = max(b.MaxBytes, s.bodyBytes)
	if b.Day != day {
		// A day counts towards the usual maximum once it is over, so that
		// today's reading does not raise today's threshold.
		b.MaxDay = max(b.MaxDay, b.DayRead)
		b.Day, b.DayRead = day, 0
	}
	b.DayRead += n
	for _, mb := range s.Mailboxes() {
		if o := mailboxOwner(mb); o != "" && o != s.User && !slices.Contains(b.Owners, o) {
			b.Owners = appendCapped(b.Owners, o, maxOwners)
		}
	}
}

func (e *Engine) addNet(b *Baseline, k netKey, day int32) {
	for i := range b.Nets {
		if b.Nets[i].Net == k {
			b.Nets[i].Day = day
			return
		}
	}
	if len(b.Nets) >= maxNets {
		oldest := 0
		for i, n := range b.Nets {
			if n.Day < b.Nets[oldest].Day {
				oldest = i
			}
		}
		e.netIndex[b.Nets[oldest].Net]--
		b.Nets = slices.Delete(b.Nets, oldest, oldest+1)
	}
	b.Nets = append(b.Nets, NetSeen{Net: k, Day: day})
	e.netIndex[k]++
}

func appendCapped[T any](s []T, v T, n int) []T {
	if len(s) >= n {
		s = s[1:]
	}
	return append(s, v)
}

// mailboxOwner is the owner named by a shared-namespace mailbox
// ("Shared/reception/INBOX" → "reception"), or "".
func mailboxOwner(mb string) string {
	for _, p := range []string{"Shared/", "shared/", "Other Users/", "user/"} {
		if rest, ok := strings.CutPrefix(mb, p); ok {
			o, _, _ := strings.Cut(rest, "/")
			return o
		}
	}
	return ""
}

// baseline returns the account's baseline, loading it from the store first.
func (e *Engine) baseline(user string) (*Baseline, error) {
	if b := e.baselines[user]; b != nil {
		return b, nil
	}
	b, err := e.store.Load(user)
	if errors.Is(err, ErrNoBaseline) || (err == nil && b == nil) {
		b, err = &Baseline{}, nil
	}
	if err != nil {
		e.log.Warn("baseline unreadable; learning afresh", "err", err)
		b = &Baseline{}
	}
	for _, n := range b.Nets {
		e.netIndex[n.Net]++
	}
	e.baselines[user] = b
	return b, err
}

// BaselineStore persists baselines per account. The pipeline's store
// implements it; FileStore and MemoryStore are the ones here.
type BaselineStore interface {
	// Load returns the account's baseline, or an error wrapping ErrNoBaseline.
	Load(account string) (*Baseline, error)
	Save(account string, b *Baseline) error
	// List returns every account with a baseline.
	List() ([]string, error)
}

// BatchBaselineStore is a BaselineStore that saves many baselines in one
// write (the pipeline's store: one transaction instead of one per account).
type BatchBaselineStore interface {
	BaselineStore
	SaveAll(bs map[string]*Baseline) error
}

// ErrNoBaseline is returned by Load for an account never seen.
var ErrNoBaseline = errors.New("no baseline")

var (
	_ BaselineStore = (*FileStore)(nil)
	_ BaselineStore = (*MemoryStore)(nil)
)

// MemoryStore keeps baselines in memory (tests, one-shot analysis).
type MemoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string][]byte{}} }

// Load implements BaselineStore.
func (s *MemoryStore) Load(account string) (*Baseline, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.m[account]
	if !ok {
		return nil, ErrNoBaseline
	}
	var b Baseline
	return &b, json.Unmarshal(raw, &b)
}

// Save implements BaselineStore.
func (s *MemoryStore) Save(account string, b *Baseline) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.m[account] = raw
	s.mu.Unlock()
	return nil
}

// List implements BaselineStore.
func (s *MemoryStore) List() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// FileStore keeps one JSON file per account in a directory, written
// atomically (a temporary file renamed over the old one). File names are the
// hex of the account name: account names are the client's to choose.
type FileStore struct{ Dir string }

// NewFileStore creates dir if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("baseline directory: %w", err)
	}
	return &FileStore{Dir: dir}, nil
}

type baselineFile struct {
	Account  string    `json:"account"`
	Baseline *Baseline `json:"baseline"`
}

func (s *FileStore) path(account string) string {
	return filepath.Join(s.Dir, hex.EncodeToString([]byte(account))+".json")
}

// Load implements BaselineStore.
func (s *FileStore) Load(account string) (*Baseline, error) {
	raw, err := os.ReadFile(s.path(account))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", account, ErrNoBaseline)
	}
	if err != nil {
		return nil, err
	}
	var f baselineFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(account), err)
	}
	if f.Baseline == nil {
		return nil, fmt.Errorf("%s: %w", account, ErrNoBaseline)
	}
	return f.Baseline, nil
}

// Save implements BaselineStore.
func (s *FileStore) Save(account string, b *Baseline) error {
	raw, err := json.Marshal(baselineFile{Account: account, Baseline: b})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".baseline-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()           // the write error is the one to report
		_ = os.Remove(tmp.Name()) // best effort
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()           // as above
		_ = os.Remove(tmp.Name()) // best effort
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name()) // best effort
		return err
	}
	return os.Rename(tmp.Name(), s.path(account))
}

// List implements BaselineStore.
func (s *FileStore) List() ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		acct, err := hex.DecodeString(name)
		if err != nil {
			continue
		}
		out = append(out, string(acct))
	}
	return out, nil
}
