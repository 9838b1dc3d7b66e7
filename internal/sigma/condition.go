package sigma

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

type matcher func(*event.Event) bool

// tokenize splits a condition into words and parentheses.
func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case '(', ')':
			flush()
			toks = append(toks, string(r))
		case ' ', '\t', '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// condParser compiles a condition (or, and, not, parentheses, "1 of X*",
// "all of them") over the named selections into one closure.
type condParser struct {
	toks []string
	pos  int
	sels map[string]matcher
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) next() string { t := p.peek(); p.pos++; return t }

func compileCondition(cond string, sels map[string]matcher) (matcher, error) {
	p := &condParser{toks: tokenize(cond), sels: sels}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("%w: empty condition", ErrRule)
	}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: condition: unexpected %q", ErrRule, p.peek())
	}
	return m, nil
}

func (p *condParser) or() (matcher, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(ev *event.Event) bool { return a(ev) || b(ev) }
	}
	return l, nil
}

func (p *condParser) and() (matcher, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "and") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(ev *event.Event) bool { return a(ev) && b(ev) }
	}
	return l, nil
}

func (p *condParser) not() (matcher, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.next()
		m, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(ev *event.Event) bool { return !m(ev) }, nil
	}
	return p.atom()
}

func (p *condParser) atom() (matcher, error) {
	t := p.next()
	switch {
	case t == "":
		return nil, fmt.Errorf("%w: condition ends too early", ErrRule)
	case t == "(":
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("%w: condition: missing )", ErrRule)
		}
		return m, nil
	case t == "1" || strings.EqualFold(t, "all") || strings.EqualFold(t, "any"):
		if !strings.EqualFold(p.next(), "of") {
			return nil, fmt.Errorf("%w: condition: %q must be followed by 'of'", ErrRule, t)
		}
		return p.quantified(t != "1" && !strings.EqualFold(t, "any"), p.next())
	}
	m, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("%w: condition names %q, which is not a selection", ErrRule, t)
	}
	return m, nil
}

// quantified is "1 of PATTERN" or "all of PATTERN" ("them" = every selection).
func (p *condParser) quantified(all bool, pattern string) (matcher, error) {
	var ms []matcher
	var names []string
	for name := range p.sels {
		ok := pattern == "them"
		if !ok {
			ok, _ = path.Match(pattern, name)
		}
		if ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		ms = append(ms, p.sels[n])
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: condition: no selection matches %q", ErrRule, pattern)
	}
	return combine(ms, all), nil
}

// combine joins matchers: all of them must match, or any one.
func combine(ms []matcher, all bool) matcher {
	if len(ms) == 1 {
		return ms[0]
	}
	if all {
		return func(ev *event.Event) bool {
			for _, m := range ms {
				if !m(ev) {
					return false
				}
			}
			return true
		}
	}
	return func(ev *event.Event) bool {
		for _, m := range ms {
			if m(ev) {
				return true
			}
		}
		return false
	}
}

// aggregation is the legacy Sigma "| count([field]) [by field] OP N".
type aggregation struct {
	distinct *field // count(field): distinct values
	by       *field // by field: one counter per value
	op       string
	n        int
}

func parseAggregation(s string) (*aggregation, error) {
	toks := strings.Fields(s)
	if len(toks) < 3 || !strings.HasPrefix(toks[0], "count(") || !strings.HasSuffix(toks[0], ")") {
		return nil, fmt.Errorf("%w: aggregation %q: want 'count([field]) [by field] OP N'", ErrRule, s)
	}
	a := &aggregation{}
	if inner := strings.TrimSuffix(strings.TrimPrefix(toks[0], "count("), ")"); inner != "" {
		f, ok := fields[strings.ToLower(inner)]
		if !ok {
			return nil, fmt.Errorf("%w: aggregation counts unknown field %q", ErrRule, inner)
		}
		a.distinct = f
	}
	toks = toks[1:]
	if len(toks) >= 2 && strings.EqualFold(toks[0], "by") {
		f, ok := fields[strings.ToLower(toks[1])]
		if !ok {
			return nil, fmt.Errorf("%w: aggregation groups by unknown field %q", ErrRule, toks[1])
		}
		a.by = f
		toks = toks[2:]
	}
	if len(toks) != 2 {
		return nil, fmt.Errorf("%w: aggregation %q: want a comparison such as '> 8'", ErrRule, s)
	}
	switch toks[0] {
	case ">", ">=", "<", "<=", "=", "==":
		a.op = toks[0]
	default:
		return nil, fmt.Errorf("%w: aggregation operator %q", ErrRule, toks[0])
	}
	n, err := strconv.Atoi(toks[1])
	if err != nil {
		return nil, fmt.Errorf("%w: aggregation threshold %q is not a number", ErrRule, toks[1])
	}
	a.n = n
	return a, nil
}

func (a *aggregation) holds(n int) bool {
	switch a.op {
	case ">":
		return n > a.n
	case ">=":
		return n >= a.n
	case "<":
		return n < a.n
	case "<=":
		return n <= a.n
	}
	return n == a.n
}
