// Package subjects resolves findings of personal data into data subjects:
// the distinct people a set of messages is about. Within a message, findings
// close together (a name, then its date of birth and NHS number) are read as
// one person's; across messages, people are linked by register ID when a
// register is given, else by NHS, CHI or National Insurance number, then by
// name with date of birth, then by email address. A register entry whose NHS
// or CHI number, date of birth or email address differs from the block's is
// a namesake, not the person; an address several entries share (a family's)
// does not link them. The rule behind every link is recorded, and the count
// says whether it is exact.
//
// It must not detect anything itself (internal/phi does), print, or log.
package subjects

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vigilhq/vigil/internal/phi"
)

// Mention is one finding in its place.
type Mention struct {
	Message string // the message's key (path, imap://…/UID)
	Part    string
	Finding phi.Finding
}

// Subject is one person the findings are about.
type Subject struct {
	ID         string // register ID, or U0001… for people not on the register
	RegisterID string
	Patient    bool // on the register, or with an NHS/CHI number or health data
	Categories map[phi.Type]int
	Messages   map[string]bool
	Rules      map[string]bool // the rules that linked this person's mentions
	// Identifiers holds one value per type (register values first), for the
	// notification list only.
	Identifiers map[phi.Type]string
}

// Resolver groups mentions into subjects. Feed it message by message.
type Resolver struct {
	reg      *phi.Register
	parent   map[string]string
	rules    map[string][]string // per key: rules of the links made at it
	mentions []Mention
	keyOf    []string // per mention: its block's first key ("" if none)
	blocks   []*block
}

type block struct {
	message  string
	keys     []string
	mentions []int
	entry    *phi.Entry
	health   bool
	strong   bool
	identity map[phi.Type]string
}

// New returns a Resolver; reg may be nil.
func New(reg *phi.Register) *Resolver {
	return &Resolver{reg: reg, parent: map[string]string{}, rules: map[string][]string{}}
}

func (r *Resolver) find(k string) string {
	if _, ok := r.parent[k]; !ok {
		r.parent[k] = k
	}
	for r.parent[k] != k {
		r.parent[k] = r.parent[r.parent[k]]
		k = r.parent[k]
	}
	return k
}

func (r *Resolver) union(a, b, rule string) {
	ra, rb := r.find(a), r.find(b)
	if ra != rb {
		r.parent[rb] = ra
	}
	r.rules[a] = append(r.rules[a], rule)
}

// maxGap is how far (bytes) a finding may be from the start of the person's
// block it joins.
const maxGap = 400

// Add takes the findings of one message, part by part in order.
func (r *Resolver) Add(mentions []Mention) {
	var cur *block
	var all []*block
	start := 0
	for _, m := range mentions {
		i := len(r.mentions)
		r.mentions = append(r.mentions, m)
		r.keyOf = append(r.keyOf, "")
		f := m.Finding
		if f.Confidence < 0.5 {
			continue
		}
		newPart := cur == nil || r.mentions[cur.mentions[0]].Part != m.Part
		switch f.Type {
		case phi.PersonName:
			cur = &block{message: m.Message, identity: map[phi.Type]string{}}
			all, start = append(all, cur), f.Offset
		case phi.NHS, phi.CHI, phi.NINO, phi.DOB, phi.Email, phi.Phone, phi.Postcode, phi.MRN:
			if newPart || f.Offset-start > maxGap || (cur.identity[f.Type] != "" && cur.identity[f.Type] != f.Value) {
				cur = &block{message: m.Message, identity: map[phi.Type]string{}}
				all, start = append(all, cur), f.Offset
			}
		default: // health data and the rest: to the current person, if any
			if cur != nil && !newPart {
				cur.mentions = append(cur.mentions, i)
				cur.health = cur.health || f.Type.Health()
			} else if len(all) > 0 {
				last := all[len(all)-1]
				last.mentions = append(last.mentions, i)
				last.health = last.health || f.Type.Health()
			}
			continue
		}
		cur.mentions = append(cur.mentions, i)
		if cur.identity[f.Type] == "" {
			cur.identity[f.Type] = f.Value
		}
	}
	for _, b := range all {
		r.resolve(b)
	}
}

// resolve gives a block its keys and links them.
func (r *Resolver) resolve(b *block) {
	if r.reg != nil {
		b.entry = r.registerEntry(b)
	}
	id := b.identity
	if b.entry != nil {
		b.keys = append(b.keys, "reg:"+b.entry.ID)
	}
	for _, t := range []phi.Type{phi.NHS, phi.CHI, phi.NINO} {
		if v := id[t]; v != "" {
			b.keys = append(b.keys, string(t)+":"+v)
			b.strong = true
		}
	}
	if id[phi.PersonName] != "" && id[phi.DOB] != "" {
		b.keys = append(b.keys, "namedob:"+strings.ToLower(id[phi.PersonName])+"|"+id[phi.DOB])
	}
	if id[phi.Email] != "" {
		b.keys = append(b.keys, "email:"+id[phi.Email])
	}
	if len(b.keys) == 0 && id[phi.PersonName] != "" {
		b.keys = append(b.keys, "name:"+strings.ToLower(id[phi.PersonName]))
	}
	if len(b.keys) == 0 {
		return // a lone phone number, postcode or date: not a person we can tell apart
	}
	for _, k := range b.keys[1:] {
		r.union(b.keys[0], k, ruleName(b.keys[0], k))
	}
	if b.entry != nil { // the register's own identifiers link too
		keys := []string{"nhs_number:" + b.entry.NHS, "chi_number:" + b.entry.CHI}
		if r.reg.EmailHolders(b.entry.Email) == 1 { // an address two entries share would merge them
			keys = append(keys, "email:"+b.entry.Email)
		}
		for _, k := range keys {
			if !strings.HasSuffix(k, ":") {
				r.union(b.keys[0], k, "register entry")
			}
		}
	}
	for _, i := range b.mentions {
		r.keyOf[i] = b.keys[0]
	}
	r.blocks = append(r.blocks, b)
}

func ruleName(a, b string) string {
	kind := func(k string) string { return k[:strings.IndexByte(k, ':')] }
	return kind(a) + "=" + kind(b) + " in one block"
}

// registerEntry picks the register entry the block's findings agree on.
func (r *Resolver) registerEntry(b *block) *phi.Entry {
	var cands map[*phi.Entry]int
	for _, i := range b.mentions {
		f := r.mentions[i].Finding
		if len(f.Register) == 0 || f.Type == phi.Phone || f.Type == phi.DOB {
			continue
		}
		if cands == nil {
			cands = map[*phi.Entry]int{}
		}
		for _, e := range f.Register {
			if !contradicts(e, b.identity) {
				cands[e]++
			}
		}
	}
	var best *phi.Entry
	bestN, tie := 0, false
	for e, n := range cands {
		if id := b.identity[phi.DOB]; id != "" && e.DOB == id {
			n++ // the date of birth breaks ties between namesakes
		}
		if n > bestN || (n == bestN && best != nil && e.ID < best.ID) {
			tie = n == bestN
			best, bestN = e, n
		} else if n == bestN {
			tie = true
		}
	}
	if tie && bestN > 0 {
		// Namesakes with nothing else to tell them apart: take none.
		counted := 0
		for _, n := range cands {
			if n == bestN {
				counted++
			}
		}
		if counted > 1 {
			return nil
		}
	}
	return best
}

// Result is the people found, with each mention's subject.
type Result struct {
	Subjects []*Subject
	// MentionSubject is the subject ID of each mention, in the order added
	// ("" for a mention not tied to a person).
	MentionSubject []string
	Mentions       []Mention
	// Exact says whether the number of patients is exact; Why says why not.
	Exact bool
	Why   []string
}

// Result groups everything added so far.
func (r *Resolver) Result() *Result {
	byRoot := map[string]*Subject{}
	var order []*Subject
	nameOnly := 0
	for _, b := range r.blocks {
		root := r.find(b.keys[0])
		s := byRoot[root]
		if s == nil {
			s = &Subject{Categories: map[phi.Type]int{}, Messages: map[string]bool{}, Rules: map[string]bool{}, Identifiers: map[phi.Type]string{}}
			byRoot[root] = s
			order = append(order, s)
		}
		if b.entry != nil && s.RegisterID == "" {
			s.RegisterID = b.entry.ID
			e := b.entry
			for t, v := range map[phi.Type]string{phi.PersonName: e.Name(), phi.DOB: e.DOB, phi.NHS: e.NHS, phi.Email: e.Email, phi.Postcode: e.Postcode} {
				if v != "" {
					s.Identifiers[t] = v
				}
			}
		}
		s.Patient = s.Patient || b.entry != nil || b.strong || b.health
		s.Messages[b.message] = true
		for _, i := range b.mentions {
			f := r.mentions[i].Finding
			s.Categories[f.Type]++
			if s.Identifiers[f.Type] == "" && !f.Type.Health() {
				s.Identifiers[f.Type] = f.Value
			}
		}
		for _, k := range b.keys {
			for _, rule := range r.rules[k] {
				s.Rules[rule] = true
			}
		}
	}
	res := &Result{Mentions: r.mentions, Exact: true}
	ids := map[*Subject]string{}
	n := 0
	for _, s := range order {
		if s.RegisterID != "" {
			s.ID = s.RegisterID
		} else {
			n++
			s.ID = fmt.Sprintf("U%04d", n)
			if s.Patient && s.Identifiers[phi.NHS] == "" && s.Identifiers[phi.CHI] == "" && s.Identifiers[phi.NINO] == "" && s.Identifiers[phi.DOB] == "" {
				nameOnly++
			}
		}
		ids[s] = s.ID
		res.Subjects = append(res.Subjects, s)
	}
	if nameOnly > 0 {
		res.Exact = false
		res.Why = append(res.Why, fmt.Sprintf("%d patient(s) known by name or email only: some may be the same person (upper bound)", nameOnly))
	}
	res.MentionSubject = make([]string, len(r.mentions))
	for i, k := range r.keyOf {
		if k != "" {
			res.MentionSubject[i] = ids[byRoot[r.find(k)]]
		}
	}
	sort.SliceStable(res.Subjects, func(i, j int) bool { return res.Subjects[i].ID < res.Subjects[j].ID })
	return res
}

// Patients counts the subjects who are patients.
func (res *Result) Patients() int {
	n := 0
	for _, s := range res.Subjects {
		if s.Patient {
			n++
		}
	}
	return n
}

// contradicts reports whether the block names a different NHS or CHI
// number, date of birth or email address than the register entry: a
// namesake, not them.
func contradicts(e *phi.Entry, id map[phi.Type]string) bool {
	differs := func(have, want string) bool { return have != "" && want != "" && have != want }
	return differs(id[phi.NHS], e.NHS) || differs(id[phi.CHI], e.CHI) || differs(id[phi.DOB], e.DOB) ||
		differs(strings.ToLower(id[phi.Email]), strings.ToLower(e.Email))
}
