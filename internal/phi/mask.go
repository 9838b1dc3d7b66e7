package phi

import "unicode"

// Mask hides a value for output: every letter and digit is replaced by '*'
// except the last two (the last one for values of fewer than six), so a
// reader can tell findings apart without learning them.
func Mask(v string) string {
	r := []rune(v)
	alnum := 0
	for _, c := range r {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			alnum++
		}
	}
	keep := 2
	if alnum < 6 {
		keep = 1
	}
	if alnum < 3 {
		keep = 0
	}
	seen := 0
	for i, c := range r {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			seen++
			if seen <= alnum-keep {
				r[i] = '*'
			}
		}
	}
	return string(r)
}
