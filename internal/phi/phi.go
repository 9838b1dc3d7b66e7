// Package phi finds personal and health data in text: NHS, CHI and National
// Insurance numbers, dates of birth, UK and Channel Islands postcodes, phone
// numbers, email addresses, ICD-10 and SNOMED CT codes, medications, payment
// cards, IBANs, a clinic's own record-number patterns, and person names (from
// a patient register when one is given, else from salutations and labels).
// Each detector validates what can be validated (check digits, dates, issued
// ranges) and gives a confidence. It is one hand-written pass over the bytes,
// not a set of regular expressions.
//
// It must not log, print or store what it finds: findings go back to the
// caller, whose outputs mask them (Mask) unless the user asks otherwise.
package phi

import (
	"fmt"
	"strings"
)

// Type is the kind of a finding, as vigil scan --json names it.
type Type string

// Finding types.
const (
	NHS         Type = "nhs_number"
	CHI         Type = "chi_number"
	NINO        Type = "nino"
	DOB         Type = "date_of_birth"
	Postcode    Type = "postcode"
	Phone       Type = "phone"
	Email       Type = "email"
	PersonName  Type = "person_name"
	ICD10       Type = "icd10"
	SNOMED      Type = "snomed_ct"
	Medication  Type = "medication"
	PaymentCard Type = "payment_card"
	IBAN        Type = "iban"
	MRN         Type = "mrn"
)

// Health reports whether findings of type t are health data (special
// category under UK GDPR article 9).
func (t Type) Health() bool { return t == ICD10 || t == SNOMED || t == Medication }

// Finding is one piece of personal data in a text.
type Finding struct {
	Type       Type
	Value      string  // normalised: digits only, upper case, YYYY-MM-DD, "First Last", lower-case email
	Confidence float64 // 0–1
	Offset     int     // byte offset in the scanned text
	Len        int     // bytes of the text it covers
	// Register holds the register entries a finding matches (a name may match
	// several); empty without a register or when none matches.
	Register []*Entry
}

// Options configures a Scanner. Zero fields take defaults.
type Options struct {
	// Register is the clinic's patient register; nil scans without one.
	Register *Register
	// MRN lists the clinic's record-number patterns: '#' a digit, '@' an
	// upper-case letter, anything else itself ("RX######", "@@#######").
	MRN []string
	// Medications replaces the shipped list of medication names.
	Medications []string
}

// Scanner finds personal data in text. It is safe for concurrent use.
type Scanner struct {
	words map[string]wordInfo
	// maybe has a bit set for the first two (lower-case) bytes and the
	// length of every listed word: most words are rejected without a map lookup.
	maybe [1 << 10]uint64
	reg   *Register
	mrn   [][]byte
}

// wordInfo says what a (lower-cased) word means to the detectors.
type wordInfo struct {
	flags wordFlag
	names []int // register: indexes of name sequences starting with this word
}

type wordFlag uint16

const (
	wMedication   wordFlag = 1 << iota
	wTitle                 // Mr, Mrs, Dr …: a name follows
	wLabel                 // Patient:, Name:, Re:, Dear: a name follows
	wFirstName             // a common given name (no-register mode)
	wParticle              // de, le, van, …: part of a surname
	wPatientLabel          // Patient:, Name: — the name of a patient follows
)

// New builds a Scanner.
func New(opts Options) (*Scanner, error) {
	s := &Scanner{words: map[string]wordInfo{}, reg: opts.Register}
	meds := opts.Medications
	if meds == nil {
		meds = shippedList(medicationList)
	}
	for _, m := range meds {
		s.flag(strings.ToLower(m), wMedication)
	}
	for _, w := range []string{"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "master"} {
		s.flag(w, wTitle)
	}
	for _, w := range []string{"patient", "name", "re", "dear", "forename", "surname", "pt"} {
		s.flag(w, wLabel)
	}
	for _, w := range []string{"patient", "name", "pt"} {
		s.flag(w, wPatientLabel)
	}
	for _, w := range []string{"de", "le", "la", "van", "von", "der", "den", "du", "da", "di", "mac", "st"} {
		s.flag(w, wParticle)
	}
	for _, n := range shippedList(firstNameList) {
		s.flag(strings.ToLower(n), wFirstName)
	}
	if s.reg != nil {
		for i, seq := range s.reg.seqs {
			tok := firstToken(seq.text)
			s.setMaybe(tok)
			wi := s.words[tok]
			wi.names = append(wi.names, i)
			s.words[tok] = wi
		}
	}
	for _, p := range opts.MRN {
		if len(p) < 4 || !strings.ContainsAny(p, "#@") {
			return nil, fmt.Errorf("phi: MRN pattern %q: want at least 4 characters with # (digit) or @ (letter)", p)
		}
		s.mrn = append(s.mrn, []byte(p))
	}
	return s, nil
}

func (s *Scanner) flag(w string, f wordFlag) {
	s.setMaybe(w)
	wi := s.words[w]
	wi.flags |= f
	s.words[w] = wi
}

func shippedList(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func maybeKey(c0, c1 byte, n int) uint32 {
	return (uint32(c0)*131 + uint32(c1)*31 + uint32(n&63)) & (1<<16 - 1) //nolint:gosec // n&63 fits
}

func (s *Scanner) setMaybe(w string) {
	if len(w) >= 2 {
		k := maybeKey(w[0], w[1], len(w))
		s.maybe[k>>6] |= 1 << (k & 63)
	}
}

func (s *Scanner) mayBeListed(c0, c1 byte, n int) bool {
	k := maybeKey(c0, c1, n)
	return s.maybe[k>>6]&(1<<(k&63)) != 0
}

// Scan reports every finding in text to emit, as it finds them: in order
// of offset, except that a name may be reported after an email address
// that follows it closely.
func (s *Scanner) Scan(text []byte, emit func(Finding)) {
	st := scanState{s: s, text: text, emit: emit}
	st.run()
}

// class of each byte, for the main loop.
const (
	cOther = iota
	cDigit
	cUpper
	cLower
	cAt
	cPlus
	cParen
	cHigh // non-ASCII byte: part of a word
)

var class = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = cUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cLower
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = cHigh
	}
	t['@'], t['+'], t['('] = cAt, cPlus, cParen
	return t
}()

func isWordByte(c byte) bool {
	k := class[c]
	return k == cDigit || k == cUpper || k == cLower || k == cHigh
}

type scanState struct {
	s        *Scanner
	lastDate int      // where the last date ended
	header   [][]byte // the first line's comma-separated cells, lower case; nil until needed
	headerOK bool
	text     []byte
	emit     func(Finding)
}

func (st *scanState) run() {
	t := st.text
	n := len(t)
	for i := 0; i < n; {
		c := t[i]
		k := class[c]
		if k == cOther {
			i++
			continue
		}
		if i > 0 && isWordByte(t[i-1]) && k != cAt {
			// Inside a word or number that started earlier: skip to its end.
			i++
			for i < n && isWordByte(t[i]) {
				i++
			}
			continue
		}
		switch k {
		case cDigit:
			i = st.number(i)
		case cPlus, cParen:
			if i+1 < n && class[t[i+1]] == cDigit {
				i = st.number(i)
			} else {
				i++
			}
		case cAt:
			i = st.email(i)
		default: // a word
			i = st.word(i)
		}
	}
}

// ctxSet is a list of context words (lower case) with the set of their
// first bytes in either case, so a window is searched in one pass.
type ctxSet struct {
	words [][]byte
	first [256]bool
}

func newCtx(words ...string) *ctxSet {
	c := &ctxSet{}
	for _, w := range words {
		c.words = append(c.words, []byte(w))
		c.first[w[0]] = true
		if isLower(w[0]) {
			c.first[w[0]-('a'-'A')] = true
		}
	}
	return c
}

// Context words, looked for before a candidate.
var (
	ctxDOB    = newCtx("dob", "d.o.b", "birth", "born")
	ctxNHS    = newCtx("nhs")
	ctxCHI    = newCtx("chi")
	ctxPhone  = newCtx("tel", "phone", "mob", "call", "fax", "contact")
	ctxSNOMED = newCtx("snomed", "sct", "concept")
	ctxICD    = newCtx("icd", "diagnos", "history", "dx", "known", "(", "code")
	ctxName   = newCtx("name")
	ctxNINO   = newCtx("ni ", "nino", "insurance")
)

// contextBefore reports whether one of the set's words occurs in the
// window bytes before i, ignoring ASCII case.
func (st *scanState) contextBefore(i, window int, set *ctxSet) bool {
	w := st.text[max(0, i-window):i]
	for k := 0; k < len(w); k++ {
		if !set.first[w[k]] {
			continue
		}
		for _, word := range set.words {
			if len(w)-k < len(word) || (w[k]|0x20 != word[0] && w[k] != word[0]) {
				continue
			}
			m := 1
			for ; m < len(word); m++ {
				c := w[k+m]
				if isUpper(c) {
					c += 'a' - 'A'
				}
				if c != word[m] {
					break
				}
			}
			if m == len(word) {
				return true
			}
		}
	}
	return false
}
