// Package clinicmail generates a synthetic clinic's mail for tests and demos:
// patients with test-range NHS numbers, CHI numbers and National Insurance
// numbers, invented names and UK/Jersey/Guernsey addresses, and messages
// (referrals, results, appointments) as real MIME with real PDF and DOCX
// attachments, with a patient register CSV and the ground truth of which
// identifiers each message holds. It is seeded and deterministic.
//
// It must not produce identifiers outside the test ranges (NHS numbers are
// always 999 000 0000–999 999 9999), read real data, or depend on the scanner
// it is used to measure: its check digits are computed here, independently.
package clinicmail

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// nhsCheck returns the modulus 11 check digit of the first nine digits, or -1
// when the number cannot be completed (remainder 10).
func nhsCheck(d [9]int) int {
	sum := 0
	for i, v := range d {
		sum += v * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		return 0
	case 10:
		return -1
	}
	return c
}

// newNHS draws an NHS number from the test range 999 000 0000–999 999 9999.
func newNHS(r *rand.Rand) string {
	for {
		d := [9]int{9, 9, 9}
		for i := 3; i < 9; i++ {
			d[i] = r.IntN(10)
		}
		c := nhsCheck(d)
		if c < 0 {
			continue
		}
		return fmt.Sprintf("%d%d%d%d%d%d%d%d%d%d", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], c)
	}
}

// newCHI makes a CHI number: date of birth DDMMYY, two digits, a sex digit
// (odd male, even female) and the modulus 11 check digit.
func newCHI(r *rand.Rand, dob time.Time, female bool) string {
	for {
		var d [9]int
		dd, mm, yy := dob.Day(), int(dob.Month()), dob.Year()%100
		d[0], d[1], d[2], d[3], d[4], d[5] = dd/10, dd%10, mm/10, mm%10, yy/10, yy%10
		d[6], d[7] = r.IntN(10), r.IntN(10)
		d[8] = r.IntN(5) * 2
		if !female {
			d[8]++
		}
		c := nhsCheck(d)
		if c < 0 {
			continue
		}
		return fmt.Sprintf("%d%d%d%d%d%d%d%d%d%d", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], c)
	}
}

// NINO prefix rules (HMRC): first letter not D, F, I, Q, U, V; second not
// D, F, I, O, Q, U, V; and not BG, GB, KN, NK, NT, TN, ZZ.
const (
	ninoFirst  = "ABCEGHJKLMNOPRSTWXYZ"
	ninoSecond = "ABCEGHJKLMNPRSTWXYZ"
)

func newNINO(r *rand.Rand) string {
	for {
		p := string([]byte{ninoFirst[r.IntN(len(ninoFirst))], ninoSecond[r.IntN(len(ninoSecond))]})
		switch p {
		case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
			continue
		}
		return fmt.Sprintf("%s%06d%c", p, r.IntN(1000000), "ABCD"[r.IntN(4)])
	}
}

// badNHS returns a 10-digit number in the test range whose check digit is
// wrong: a distractor a scanner must not report.
func badNHS(r *rand.Rand) string {
	n := newNHS(r)
	last := int(n[9] - '0')
	return n[:9] + fmt.Sprint((last+1+r.IntN(8))%10)
}
