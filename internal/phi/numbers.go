package phi

import (
	"bytes"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads a run of digits starting at i ('+' or '(' may lead) and
// reports what it is: a date of birth, NHS or CHI number, card, phone,
// SNOMED CT code or record number. It returns where scanning continues.
func (st *scanState) number(i int) int {
	t := st.text
	n := len(t)
	if isDigit(t[i]) {
		if end, date, ok := parseDate(t, i); ok {
			st.dateCandidate(i, end, date)
			return end
		}
		if end, ok := st.mrnAt(i); ok {
			return end
		}
	}
	var digits [24]byte
	var groups [8]uint8
	nd, ng := 0, 0
	j := i
	lead := t[i]
	if lead == '+' || lead == '(' {
		j++
	}
	for j < n && nd < len(digits) {
		c := t[j]
		if isDigit(c) {
			digits[nd] = c
			nd++
			groups[ng]++
			j++
			continue
		}
		if ng+1 < len(groups) && (c == ' ' || c == '-' || c == '.' || c == ')' || c == '(') {
			k := j + 1
			if c == ')' && k < n && t[k] == ' ' {
				k++
			}
			if k < n && isDigit(t[k]) {
				ng++
				j = k
				continue
			}
		}
		break
	}
	ng++
	end := j
	if end < n && isWordByte(t[end]) {
		// Digits glued to letters ("12ab", "9AB"): not a number we know.
		for end < n && isWordByte(t[end]) {
			end++
		}
		return end
	}
	d := digits[:nd]
	g := groups[:ng]
	if nd == 10 && isDigit(lead) && (ng == 1 || eqGroups(g, 3, 3, 4) || eqGroups(g, 6, 4)) && mod11(d) {
		if st.nhsOrCHI(i, end, d) {
			return end
		}
	}
	if nd >= 13 && nd <= 19 && isDigit(lead) && d[0] >= '2' && d[0] <= '6' && (ng == 1 || allGroups(g, 4) || eqGroups(g, 4, 6, 5)) && luhn(d) {
		st.emit(Finding{Type: PaymentCard, Value: string(d), Confidence: 0.9, Offset: i, Len: end - i})
		return end
	}
	if ng == 1 && nd >= 6 && nd <= 18 && isDigit(lead) && st.contextBefore(i, 40, ctxSNOMED) {
		conf := 0.9
		if !verhoeff(d) || !snomedPartition(d) {
			conf = 0.3 // the check digit or partition is wrong: likely not a concept ID
		}
		st.emit(Finding{Type: SNOMED, Value: string(d), Confidence: conf, Offset: i, Len: end - i})
		return end
	}
	northAmerican := nd == 10 && d[0] != '0' && (lead == '(' || eqGroups(g, 3, 3, 4)) && !st.contextBefore(i, 32, ctxNHS) &&
		(lead == '(' || st.contextBefore(i, 24, ctxPhone))
	if nd >= 9 && nd <= 15 && (lead == '+' || d[0] == '0' || northAmerican) {
		st.phone(i, end, lead, d)
	}
	return end
}

func eqGroups(g []uint8, want ...uint8) bool {
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

func allGroups(g []uint8, size uint8) bool {
	for i, v := range g {
		if v != size && !(i == len(g)-1 && v > 0 && v < size) {
			return false
		}
	}
	return true
}

// mod11 checks the NHS/CHI modulus 11 check digit of a 10-digit number.
func mod11(d []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(d[9]-'0')
}

// nhsOrCHI classifies a 10-digit number that passes modulus 11. NHS numbers
// are issued from 320–399 (Northern Ireland's H&C), 400–499 and 600–799
// (England, Wales, Isle of Man) and 999 (the test range); CHI numbers start
// with a date of birth DDMMYY, so with 01–31.
func (st *scanState) nhsOrCHI(i, end int, d []byte) bool {
	p3 := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	nhsCtx := st.contextBefore(i, 32, ctxNHS)
	chiCtx := st.contextBefore(i, 32, ctxCHI)
	switch {
	case p3 < 320 && chiDate(d):
		conf := 0.7
		if chiCtx {
			conf = 0.95
		}
		st.emit(Finding{Type: CHI, Value: string(d), Confidence: conf, Offset: i, Len: end - i})
		return true
	case (p3 >= 320 && p3 < 500) || (p3 >= 600 && p3 < 800) || p3 == 999:
		conf := 0.85
		if nhsCtx {
			conf = 0.97
		}
		st.emit(Finding{Type: NHS, Value: string(d), Confidence: conf, Offset: i, Len: end - i, Register: st.s.reg.byNHS(string(d))})
		return true
	case nhsCtx:
		st.emit(Finding{Type: NHS, Value: string(d), Confidence: 0.5, Offset: i, Len: end - i})
		return true
	}
	return false
}

// chiDate reports whether the first six digits are a real date DDMMYY.
func chiDate(d []byte) bool {
	day := int(d[0]-'0')*10 + int(d[1]-'0')
	month := int(d[2]-'0')*10 + int(d[3]-'0')
	year := 1900 + int(d[4]-'0')*10 + int(d[5]-'0')
	return validDate(year, month, day) || validDate(year+100, month, day)
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func luhn(d []byte) bool {
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

var (
	verhoeffD = [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// verhoeff checks a number whose last digit is a Verhoeff check digit, as
// SNOMED CT identifiers carry.
func verhoeff(d []byte) bool {
	c := uint8(0)
	for i := 0; i < len(d); i++ {
		c = verhoeffD[c][verhoeffP[i%8][d[len(d)-1-i]-'0']]
	}
	return c == 0
}

// snomedPartition checks the partition identifier (the two digits before the
// check digit): 00, 01, 02 for short IDs; 10, 11, 12 for extension IDs.
func snomedPartition(d []byte) bool {
	if len(d) < 3 {
		return false
	}
	p := d[len(d)-3 : len(d)-1]
	return (p[0] == '0' || p[0] == '1') && p[1] >= '0' && p[1] <= '2'
}

// phone validates a phone number candidate. Numbers of the UK's plan (which
// Jersey, Guernsey and the Isle of Man share) are checked by hand against
// Ofcom's number shapes, fast; other countries' go to nyaruka/phonenumbers.
func (st *scanState) phone(i, end int, lead byte, d []byte) {
	national := d
	intl := lead == '+'
	if intl && len(d) > 2 && d[0] == '4' && d[1] == '4' {
		national, intl = d[2:], false
		if len(national) > 0 && national[0] == '0' {
			national = national[1:] // +44 (0)20 …
		}
	} else if !intl && len(d) > 0 && d[0] == '0' {
		national = d[1:]
	}
	conf := 0.0
	switch {
	case !intl && (d[0] == '0' || lead == '+'):
		conf = ukNumber(national)
		if conf == 0 && len(national) >= 9 && len(national) <= 10 && st.contextBefore(i, 24, ctxPhone) {
			conf = 0.6 // the right length after "Tel", outside the shapes we know
		}
	default:
		region := "ZZ"
		if !intl {
			region = "US" // 10 digits, 3-3-4 or (3) 3-4, after a phone word: North American
		}
		num, err := phonenumbers.Parse(string(st.text[i:end]), region)
		if err != nil {
			return
		}
		switch {
		case phonenumbers.IsValidNumber(num):
			conf = 0.85
		case phonenumbers.IsPossibleNumber(num) && st.contextBefore(i, 24, ctxPhone):
			conf = 0.6
		}
	}
	if conf == 0 {
		return
	}
	v := string(d)
	if lead == '+' {
		v = "+" + v
	}
	st.emit(Finding{Type: Phone, Value: v, Confidence: conf, Offset: i, Len: end - i, Register: st.s.reg.byPhone(string(d))})
}

// ukNumber gives the confidence that national (the digits after the trunk
// 0 or +44) is a number of the UK plan: geographic 01/02 (Jersey 01534,
// Guernsey 01481, Isle of Man 01624 among them), non-geographic 03, mobiles
// 071–075 and 077–079, freephone 080. Zero means not one.
func ukNumber(n []byte) float64 {
	if len(n) < 9 || len(n) > 10 {
		return 0
	}
	switch n[0] {
	case '1':
		if len(n) == 10 || len(n) == 9 { // 9 digits: a few small 01xxxx areas
			return 0.9
		}
	case '2', '3':
		if len(n) == 10 {
			return 0.9
		}
	case '7':
		if len(n) == 10 && n[1] != '0' && n[1] != '6' {
			return 0.9
		}
		if len(n) == 10 && n[1] == '6' && n[2] == '2' && n[3] == '4' {
			return 0.9 // 07624: Isle of Man mobiles
		}
	case '8':
		if n[1] == '0' || n[1] == '4' || n[1] == '7' {
			return 0.8
		}
	}
	return 0
}

var months = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// parseDate reads a date at i: D/M/YYYY (also . and -), YYYY-MM-DD, or
// D Month YYYY (full or three-letter month). date is YYYY-MM-DD.
func parseDate(t []byte, i int) (end int, date string, ok bool) {
	num := func(j, least, most int) (int, int) {
		v, k := 0, j
		for k < len(t) && k-j < most && isDigit(t[k]) {
			v = v*10 + int(t[k]-'0')
			k++
		}
		if k-j < least || (k < len(t) && isDigit(t[k])) {
			return -1, j
		}
		return v, k
	}
	var y, m, d int
	a, j := num(i, 1, 4)
	if a < 0 || j >= len(t) {
		return 0, "", false
	}
	switch sep := t[j]; {
	case j-i == 4 && sep == '-':
		y = a
		if m, j = num(j+1, 2, 2); m < 0 || j >= len(t) || t[j] != '-' {
			return 0, "", false
		}
		if d, j = num(j+1, 2, 2); d < 0 {
			return 0, "", false
		}
	case j-i <= 2 && (sep == '/' || sep == '.' || sep == '-'):
		d = a
		if m, j = num(j+1, 1, 2); m < 0 || j >= len(t) || t[j] != sep {
			return 0, "", false
		}
		if y, j = num(j+1, 4, 4); y < 0 {
			return 0, "", false
		}
	case j-i <= 2 && sep == ' ':
		d = a
		k := j + 1
		for k < len(t) && k-j <= 10 && (t[k]|0x20) >= 'a' && (t[k]|0x20) <= 'z' {
			k++
		}
		word := bytes.ToLower(t[j+1 : k])
		m = 0
		for mi, name := range months {
			if len(word) >= 3 && (string(word) == name || string(word) == name[:3] || (len(word) == 4 && string(word) == "sept" && mi == 8)) {
				m = mi + 1
				break
			}
		}
		if m == 0 || k >= len(t) || t[k] != ' ' {
			return 0, "", false
		}
		if y, j = num(k+1, 4, 4); y < 0 {
			return 0, "", false
		}
	default:
		return 0, "", false
	}
	if j < len(t) && isWordByte(t[j]) {
		return 0, "", false
	}
	if y < 1890 || y > 2100 || !validDate(y, m, d) {
		return 0, "", false
	}
	b := [10]byte{'0', '0', '0', '0', '-', '0', '0', '-', '0', '0'}
	for _, v := range [...]struct{ pos, val int }{{3, y}, {6, m}, {9, d}} {
		for p := v.pos; v.val > 0 && p >= 0 && b[p] != '-'; p-- {
			b[p] = "0123456789"[v.val%10]
			v.val /= 10
		}
	}
	return j, string(b[:]), true
}

// dateCandidate reports a date as a date of birth when a context word comes
// before it, or when it sits in a CSV column whose header names a birth date.
func (st *scanState) dateCandidate(i, end int, date string) {
	conf := 0.0
	window := min(32, i-st.lastDate) // a context word before an earlier date is that date's
	st.lastDate = end
	switch {
	case st.contextBefore(i, window, ctxDOB):
		conf = 0.9
	case st.csvColumnIs(i, ctxDOB):
		conf = 0.85
	default:
		return
	}
	st.emit(Finding{Type: DOB, Value: date, Confidence: conf, Offset: i, Len: end - i, Register: st.s.reg.byDOB(date)})
}

// csvColumnIs reports whether i is in a comma-separated line whose column,
// in the text's first line, is named by one of words.
func (st *scanState) csvColumnIs(i int, set *ctxSet) bool {
	t := st.text
	ls := bytes.LastIndexByte(t[:i], '\n') + 1
	if ls == 0 {
		return false // on the header line itself
	}
	col := bytes.Count(t[ls:i], []byte{','})
	if col == 0 && bytes.IndexByte(t[i:min(len(t), i+64)], ',') < 0 {
		return false
	}
	if !st.headerOK {
		st.headerOK = true
		hl := bytes.IndexByte(t, '\n')
		st.header = bytes.Split(bytes.ToLower(t[:hl]), []byte{','})
	}
	header := st.header
	if col >= len(header) {
		return false
	}
	for _, w := range set.words {
		if bytes.Contains(header[col], w) {
			return true
		}
	}
	return false
}
