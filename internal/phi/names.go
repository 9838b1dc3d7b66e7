package phi

import "strings"

// firstToken is the first word of a name sequence, as the scanner splits words.
func firstToken(s string) string {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return s[:i]
		}
	}
	return s
}

// registerName matches the register's names that start with the word at i.
func (st *scanState) registerName(i int, idxs []int) (int, bool) {
	best, bestEnd := -1, 0
	for _, k := range idxs {
		if end, ok := matchName(st.text, i, st.s.reg.seqs[k].text); ok && end > bestEnd {
			best, bestEnd = k, end
		}
	}
	if best < 0 {
		return 0, false
	}
	seq := st.s.reg.seqs[best]
	st.emit(Finding{Type: PersonName, Value: seq.entries[0].Name(), Confidence: 0.9, Offset: i, Len: bestEnd - i, Register: seq.entries})
	return bestEnd, true
}

// matchName compares text at i with want (lower case) ignoring ASCII case;
// a space in want matches spaces or tabs, ", " a comma and spaces.
func matchName(t []byte, i int, want string) (int, bool) {
	j := i
	for k := 0; k < len(want); k++ {
		w := want[k]
		if w == ' ' {
			if j >= len(t) || (t[j] != ' ' && t[j] != '\t') {
				return 0, false
			}
			for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
				j++
			}
			continue
		}
		if j >= len(t) {
			return 0, false
		}
		c := t[j]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		if c != w {
			return 0, false
		}
		j++
	}
	if j < len(t) && isWordByte(t[j]) {
		return 0, false
	}
	return j, true
}

// heuristicName finds a name after a title ("Mrs Jane Smith"), a label
// ("Patient: Jane Smith", "Dear Jane"), or starting with a common given
// name ("Jane Smith"). It is used without a register.
func (st *scanState) heuristicName(i, j int, flags wordFlag) (int, bool) {
	t := st.text
	k := j
	conf, minWords := 0.0, 1
	switch {
	case flags&wTitle != 0:
		if k < len(t) && t[k] == '.' {
			k++
		}
		conf = 0.75
	case flags&wLabel != 0:
		word := strings.ToLower(string(t[i:j]))
		if word != "dear" {
			if k >= len(t) || t[k] != ':' {
				break
			}
			k++
		}
		conf = 0.7
	}
	if conf > 0 {
		if k >= len(t) || (t[k] != ' ' && t[k] != '\t') {
			return 0, false
		}
		for k < len(t) && (t[k] == ' ' || t[k] == '\t') {
			k++
		}
		// A title after a label: "Dear Mrs Smith", "Patient: Mr John Smith".
		if e := wordEnd(t, k); e > k {
			if wi, ok := st.s.words[strings.ToLower(string(t[k:e]))]; ok && wi.flags&wTitle != 0 {
				k = e
				if k < len(t) && t[k] == '.' {
					k++
				}
				for k < len(t) && t[k] == ' ' {
					k++
				}
				conf = 0.75
			}
		}
	} else {
		// A known given name: it must be followed by a capitalised surname.
		k, conf, minWords = i, 0.6, 2
	}
	if st.s.reg != nil { // a registered name after the label: the register says who
		if wi, ok := st.s.words[strings.ToLower(string(t[k:wordEnd(t, k)]))]; ok && len(wi.names) > 0 {
			if end, ok := st.registerName(k, wi.names); ok {
				return end, true
			}
		}
	}
	end, words := captureName(t, k)
	if words < minWords || (words < 2 && strings.EqualFold(string(t[i:j]), "re")) {
		return 0, false
	}
	st.emit(Finding{Type: PersonName, Value: naturalOrder(t[k:end]), Confidence: conf, Offset: k, Len: end - k})
	return end, true
}

// naturalOrder turns "SMITH, Jane" into "Jane SMITH"; other names are kept.
func naturalOrder(b []byte) string {
	s := string(b)
	if i := strings.Index(s, ", "); i > 0 {
		return s[i+2:] + " " + s[:i]
	}
	return s
}

func wordEnd(t []byte, k int) int {
	for k < len(t) && isWordByte(t[k]) {
		k++
	}
	return k
}

// captureName reads up to four capitalised name words from k ("Jane",
// "O'Neill", "Smith-Jones", "de Gruchy", "SMITH, Jane") on one line.
func captureName(t []byte, k int) (end, words int) {
	end = k
	comma := false
	for words < 4 && k < len(t) {
		if isLower(t[k]) { // a particle: de, le, van …
			e := wordEnd(t, k)
			if e-k > 3 || e >= len(t) || t[e] != ' ' || e+1 >= len(t) || !isUpper(t[e+1]) {
				break
			}
			k = e + 1
		}
		if k >= len(t) || !isUpper(t[k]) {
			break
		}
		if e := wordEnd(t, k); bytesHaveDigit(t[k:e]) {
			break // "JE2", "M14": a postcode or code, not a name
		}
		k++
		for k < len(t) && (isWordByte(t[k]) || (t[k] == '\'' || t[k] == '-') && k+1 < len(t) && (isUpper(t[k+1]) || isLower(t[k+1]))) {
			k++
		}
		words++
		end = k
		if k+1 < len(t) && t[k] == ',' && t[k+1] == ' ' && !comma && words <= 2 {
			comma = true
			k += 2 // "SMITH, Jane"
			continue
		}
		if k+1 < len(t) && t[k] == ' ' && (isUpper(t[k+1]) || isLower(t[k+1])) {
			k++
			continue
		}
		break
	}
	return end, words
}

func bytesHaveDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}
