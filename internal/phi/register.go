package phi

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrRegister is returned for a patient register that cannot be used.
var ErrRegister = errors.New("patient register")

// Entry is one patient of the clinic's register.
type Entry struct {
	ID, First, Last, DOB, NHS, CHI, Email, Phone, Postcode string
}

// Name is "First Last".
func (e *Entry) Name() string { return e.First + " " + e.Last }

// Register is the clinic's patient register, indexed for the detectors.
type Register struct {
	Entries []*Entry
	nhs     map[string][]*Entry
	dob     map[string][]*Entry
	email   map[string][]*Entry
	phone   map[string][]*Entry
	seqs    []nameSeq
}

// nameSeq is one way a registered name is written, lower case: "jane smith"
// or "smith, jane", with the entries that bear it.
type nameSeq struct {
	text    string
	entries []*Entry
}

// columns a register CSV may use, by field.
var registerColumns = map[string][]string{
	"id":    {"id", "patient_id", "register_id"},
	"first": {"first_name", "forename", "given_name", "first"},
	"last":  {"last_name", "surname", "family_name", "last"},
	"name":  {"name", "full_name"},
	"dob":   {"date_of_birth", "dob", "birth_date"},
	"nhs":   {"nhs_number", "nhs", "nhs_no"},
	"chi":   {"chi_number", "chi"},
	"email": {"email", "email_address"},
	"phone": {"phone", "telephone", "phone_number", "mobile"},
	"post":  {"postcode", "post_code"},
	"addr":  {"address"},
}

// LoadRegister reads a register CSV export with a header row naming its
// columns: id and names (first_name and last_name, or name) are required;
// date_of_birth (YYYY-MM-DD or DD/MM/YYYY), nhs_number, chi_number, email,
// phone, postcode and address are used when present. name labels errors.
func LoadRegister(r io.Reader, name string) (*Register, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no header row: %w", ErrRegister, name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for field, names := range registerColumns {
			for _, n := range names {
				if h == n {
					col[field], known = i, true
				}
			}
		}
		if !known {
			return nil, fmt.Errorf("%w: %s: unknown column %q (known: id, first_name, last_name, name, date_of_birth, nhs_number, chi_number, email, phone, postcode, address)", ErrRegister, name, h)
		}
	}
	_, hasFirst := col["first"]
	_, hasName := col["name"]
	if _, ok := col["id"]; !ok || (!hasFirst && !hasName) {
		return nil, fmt.Errorf("%w: %s: the header needs id and first_name/last_name (or name)", ErrRegister, name)
	}
	reg := &Register{nhs: map[string][]*Entry{}, dob: map[string][]*Entry{}, email: map[string][]*Entry{}, phone: map[string][]*Entry{}}
	seqIndex := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrRegister, name, line, err)
		}
		get := func(f string) string {
			if i, ok := col[f]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := &Entry{ID: get("id"), First: get("first"), Last: get("last"), NHS: digitsOnly(get("nhs")), CHI: digitsOnly(get("chi")),
			Email: strings.ToLower(get("email")), Phone: digitsOnly(get("phone")), Postcode: strings.ReplaceAll(strings.ToUpper(get("post")), " ", "")}
		if e.First == "" && e.Last == "" {
			if f := strings.Fields(get("name")); len(f) > 0 {
				e.First, e.Last = strings.Join(f[:len(f)-1], " "), f[len(f)-1]
			}
		}
		if e.ID == "" || e.Last == "" {
			return nil, fmt.Errorf("%w: %s line %d: a patient needs an id and a name", ErrRegister, name, line)
		}
		if dob := get("dob"); dob != "" {
			end, d, ok := parseDate([]byte(dob), 0)
			if !ok || end != len(dob) {
				return nil, fmt.Errorf("%w: %s line %d: date_of_birth is not a date (want YYYY-MM-DD or DD/MM/YYYY)", ErrRegister, name, line)
			}
			e.DOB = d
		}
		reg.Entries = append(reg.Entries, e)
		for _, kv := range []struct {
			m map[string][]*Entry
			k string
		}{{reg.nhs, e.NHS}, {reg.nhs, e.CHI}, {reg.dob, e.DOB}, {reg.email, e.Email}, {reg.phone, e.Phone}} {
			if kv.k != "" {
				kv.m[kv.k] = append(kv.m[kv.k], e)
			}
		}
		first, last := squeeze(e.First), squeeze(e.Last)
		for _, form := range []string{first + " " + last, last + ", " + first} {
			if first == "" {
				form = last
			}
			i, ok := seqIndex[form]
			if !ok {
				i = len(reg.seqs)
				seqIndex[form] = i
				reg.seqs = append(reg.seqs, nameSeq{text: form})
			}
			reg.seqs[i].entries = append(reg.seqs[i].entries, e)
		}
	}
	return reg, nil
}

func squeeze(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func (r *Register) byNHS(v string) []*Entry {
	if r == nil {
		return nil
	}
	return r.nhs[v]
}

func (r *Register) byDOB(v string) []*Entry {
	if r == nil {
		return nil
	}
	return r.dob[v]
}

// EmailHolders returns how many register entries give the email address v
// (a family may share one).
func (r *Register) EmailHolders(v string) int { return len(r.byEmail(strings.ToLower(v))) }

func (r *Register) byEmail(v string) []*Entry {
	if r == nil {
		return nil
	}
	return r.email[v]
}

func (r *Register) byPhone(v string) []*Entry {
	if r == nil {
		return nil
	}
	return r.phone[v]
}
