package phi

import (
	"math/big"
	"strings"
)

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// word handles a word starting at i: structured codes that start with a
// capital, then the word lists (medications, names).
func (st *scanState) word(i int) int {
	t := st.text
	n := len(t)
	j := i
	for j < n && isWordByte(t[j]) {
		j++
	}
	if isUpper(t[i]) {
		if end, ok := st.nino(i); ok {
			return end
		}
		if end, ok := st.postcode(i); ok {
			return end
		}
		if end, ok := st.iban(i); ok {
			return end
		}
		if end, ok := st.mrnAt(i); ok {
			return end
		}
		if end, ok := st.icd10(i); ok {
			return end
		}
	}
	if j-i < 2 || j-i > 24 {
		return j
	}
	c0, c1 := t[i], t[i+1]
	if isUpper(c0) {
		c0 += 'a' - 'A'
	}
	if isUpper(c1) {
		c1 += 'a' - 'A'
	}
	if !st.s.mayBeListed(c0, c1, j-i) && !(isUpper(t[i]) && (i == 0 || t[i-1] == ',' || t[i-1] == '\n')) {
		return j
	}
	var buf [24]byte
	for k := i; k < j; k++ {
		c := t[k]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		buf[k-i] = c
	}
	wi, ok := st.s.words[string(buf[:j-i])]
	if len(wi.names) > 0 {
		if end, ok := st.registerName(i, wi.names); ok {
			return end
		}
	}
	if isUpper(t[i]) && (i == 0 || t[i-1] == ',' || t[i-1] == '\n') && st.csvColumnIs(i, ctxName) {
		// A cell of a CSV column named "name", "patient_name", "surname" …
		if end, words := captureName(t, i); words > 0 {
			st.emit(Finding{Type: PersonName, Value: naturalOrder(t[i:end]), Confidence: 0.8, Offset: i, Len: end - i})
			return end
		}
	}
	if !ok {
		return j
	}
	if wi.flags&wMedication != 0 {
		st.emit(Finding{Type: Medication, Value: string(buf[:j-i]), Confidence: 0.7, Offset: i, Len: j - i})
		return j
	}
	// Without a register, names come from titles, labels and given names;
	// with one, only labels that mark a patient ("Patient:", "Name:") add
	// names the register lacks (patients not registered yet).
	if wi.flags&(wTitle|wLabel|wFirstName) != 0 && isUpper(t[i]) && (st.s.reg == nil || wi.flags&wPatientLabel != 0) {
		if end, ok := st.heuristicName(i, j, wi.flags); ok {
			return end
		}
	}
	return j
}

// nino reads a National Insurance number: two prefix letters allowed by
// HMRC, six digits (optionally in pairs), and a suffix A–D.
func (st *scanState) nino(i int) (int, bool) {
	t := st.text
	if i+9 > len(t) || !isUpper(t[i+1]) {
		return 0, false
	}
	a, b := t[i], t[i+1]
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return 0, false
	}
	switch string(t[i : i+2]) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return 0, false
	}
	var v [9]byte
	v[0], v[1] = a, b
	j := i + 2
	for pair := 0; pair < 3; pair++ {
		if j < len(t) && t[j] == ' ' {
			j++
		}
		if j+2 > len(t) || !isDigit(t[j]) || !isDigit(t[j+1]) {
			return 0, false
		}
		v[2+2*pair], v[3+2*pair] = t[j], t[j+1]
		j += 2
	}
	if j < len(t) && t[j] == ' ' {
		j++
	}
	if j >= len(t) || t[j] < 'A' || t[j] > 'D' || (j+1 < len(t) && isWordByte(t[j+1])) {
		return 0, false
	}
	v[8] = t[j]
	conf := 0.9
	if st.contextBefore(i, 32, ctxNINO) {
		conf = 0.97
	}
	st.emit(Finding{Type: NINO, Value: string(v[:]), Confidence: conf, Offset: i, Len: j + 1 - i})
	return j + 1, true
}

// postcodeAreas are the UK postcode areas, with Jersey, Guernsey and the Isle of Man.
var postcodeAreas = func() (m [26][27]bool) {
	for _, a := range strings.Fields(`AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY
		E EC EH EN EX FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP
		NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD
		WF WN WR WS WV YO ZE JE GY IM`) {
		second := 0
		if len(a) == 2 {
			second = int(a[1]-'A') + 1
		}
		m[a[0]-'A'][second] = true
	}
	return m
}()

// postcode reads a UK, Jersey or Guernsey postcode: outward code (area
// letters, district) and inward code (digit and two letters), with or
// without the space.
func (st *scanState) postcode(i int) (int, bool) {
	t := st.text
	j := i
	for j < len(t) && j-i < 2 && isUpper(t[j]) {
		j++
	}
	second := 0
	if j-i == 2 {
		second = int(t[i+1]-'A') + 1
	}
	if !postcodeAreas[t[i]-'A'][second] || j >= len(t) || !isDigit(t[j]) {
		return 0, false
	}
	j++
	if j < len(t) && (isDigit(t[j]) || isUpper(t[j])) && !(j+2 < len(t) && isUpper(t[j+1]) && isUpper(t[j+2]) && isDigit(t[j])) {
		j++ // second district character, unless it is the inward code's digit
	}
	out := j
	if j < len(t) && t[j] == ' ' {
		j++
	}
	if j+3 > len(t) || !isDigit(t[j]) || !isUpper(t[j+1]) || !isUpper(t[j+2]) || (j+3 < len(t) && isWordByte(t[j+3])) {
		return 0, false
	}
	for _, c := range t[j+1 : j+3] {
		if strings.IndexByte("CIKMOV", c) >= 0 {
			return 0, false
		}
	}
	v := string(t[i:out]) + string(t[j:j+3])
	st.emit(Finding{Type: Postcode, Value: v, Confidence: 0.85, Offset: i, Len: j + 3 - i})
	return j + 3, true
}

var ibanLengths = map[string]int{"GB": 22, "IE": 22, "DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "CH": 21,
	"AT": 20, "PT": 25, "PL": 28, "SE": 24, "DK": 18, "NO": 15, "FI": 18, "LU": 20, "GR": 27, "CZ": 24, "HU": 28}

// iban reads an IBAN (groups of four may be spaced) and checks it mod 97.
func (st *scanState) iban(i int) (int, bool) {
	t := st.text
	if i+15 > len(t) || !isUpper(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
		return 0, false
	}
	var v []byte
	j := i
	for j < len(t) && len(v) < 34 {
		c := t[j]
		if isDigit(c) || isUpper(c) {
			v = append(v, c)
			j++
			continue
		}
		if c == ' ' && j+1 < len(t) && (isDigit(t[j+1]) || isUpper(t[j+1])) && len(v)%4 == 0 {
			j++
			continue
		}
		break
	}
	if want, ok := ibanLengths[string(v[:2])]; ok && len(v) > want {
		v = v[:want]
		j = i
		for k := 0; k < want; j++ {
			if t[j] != ' ' {
				k++
			}
		}
	} else if ok && len(v) < want {
		return 0, false
	}
	if len(v) < 15 || (j < len(t) && isWordByte(t[j])) || !ibanMod97(v) {
		return 0, false
	}
	st.emit(Finding{Type: IBAN, Value: string(v), Confidence: 0.95, Offset: i, Len: j - i})
	return j, true
}

func ibanMod97(v []byte) bool {
	var s strings.Builder
	for _, c := range append(append([]byte{}, v[4:]...), v[:4]...) {
		if isDigit(c) {
			s.WriteByte(c)
		} else {
			s.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		}
	}
	n, ok := new(big.Int).SetString(s.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// icd10 reads an ICD-10 code (letter, two digits or digit and letter, and an
// optional subdivision) near clinical context.
func (st *scanState) icd10(i int) (int, bool) {
	t := st.text
	if i+3 > len(t) || !isDigit(t[i+1]) || !(isDigit(t[i+2]) || t[i+2] == 'A' || t[i+2] == 'B') {
		return 0, false
	}
	j := i + 3
	sub := false
	if j+1 < len(t) && t[j] == '.' && (isDigit(t[j+1]) || isUpper(t[j+1])) {
		j += 2
		for j < len(t) && j-i < 8 && (isDigit(t[j]) || isUpper(t[j])) {
			j++
		}
		sub = true
	}
	if j < len(t) && isWordByte(t[j]) {
		return 0, false
	}
	ctx := st.contextBefore(i, 48, ctxICD)
	conf := 0.0
	switch {
	case ctx && sub:
		conf = 0.85
	case ctx:
		conf = 0.6
	case sub:
		conf = 0.4
	default:
		return 0, false
	}
	st.emit(Finding{Type: ICD10, Value: string(t[i:j]), Confidence: conf, Offset: i, Len: j - i})
	return j, true
}

// mrnAt matches the clinic's record-number patterns at i.
func (st *scanState) mrnAt(i int) (int, bool) {
	t := st.text
	for _, p := range st.s.mrn {
		if i+len(p) > len(t) {
			continue
		}
		ok := true
		for k, pc := range p {
			c := t[i+k]
			switch pc {
			case '#':
				ok = isDigit(c)
			case '@':
				ok = isUpper(c)
			default:
				ok = c == pc
			}
			if !ok {
				break
			}
		}
		end := i + len(p)
		if ok && (end >= len(t) || !isWordByte(t[end])) {
			st.emit(Finding{Type: MRN, Value: string(t[i:end]), Confidence: 0.8, Offset: i, Len: end - i})
			return end, true
		}
	}
	return 0, false
}

func isLocalByte(c byte) bool {
	return isWordByte(c) && c < 0x80 || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

// email reads an address around the '@' at i and returns where scanning continues.
func (st *scanState) email(i int) int {
	t := st.text
	s := i
	for s > 0 && i-s < 64 && isLocalByte(t[s-1]) {
		s--
	}
	for s < i && (t[s] == '.' || t[s] == '\'') {
		s++
	}
	j := i + 1
	lastDot := -1
	for j < len(t) && j-i < 255 {
		c := t[j]
		if c == '.' && j+1 < len(t) && isWordByte(t[j+1]) {
			lastDot = j
		} else if !(isWordByte(c) && c < 0x80 || c == '-') {
			break
		}
		j++
	}
	if s == i || lastDot < 0 || j-lastDot-1 < 2 {
		return i + 1
	}
	for k := lastDot + 1; k < j; k++ {
		if !isUpper(t[k]) && !isLower(t[k]) {
			return i + 1
		}
	}
	v := strings.ToLower(string(t[s:j]))
	st.emit(Finding{Type: Email, Value: v, Confidence: 0.95, Offset: s, Len: j - s, Register: st.s.reg.byEmail(v)})
	return j
}
