package phi

import (
	"strings"
	"testing"
)

type want struct {
	typ   Type
	value string
}

// TestDetectors: each detector on text as clinics write it, with the
// look-alikes it must leave alone.
func TestDetectors(t *testing.T) {
	reg, err := LoadRegister(strings.NewReader("id,first_name,last_name,date_of_birth,nhs_number,email,phone\n"+
		"P1,Jane,Smith,1961-03-12,9434765919,jane@example.org,01134960123\nP2,Harry,Le Brocq,02/06/1943,,,\n"), "reg.csv")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text string
		reg  bool
		want []want
	}{
		{"NHS No: 943 476 5919.", false, []want{{NHS, "9434765919"}}},
		{"NHS No: 943 476 5918.", false, nil},                              // wrong check digit
		{"ref 5434765919", false, nil},                                     // valid mod 11 but not an issued range, no context
		{"Order 999-313-1342 shipped", false, []want{{NHS, "9993131342"}}}, // test range
		{"CHI: 1203611234", false, []want{{CHI, "1203611234"}}},            // 12 Mar 61, check 4
		{"CHI: 3202611231", false, nil},                                    // 32nd: not a date
		{"NI number: QQ 12 34 56 C", false, nil},                           // QQ is not issued
		{"NINO AB123456C and JG 10 37 44 D", false, []want{{NINO, "AB123456C"}, {NINO, "JG103744D"}}},
		{"GB123456A", false, nil},
		{"Date of birth: 12/03/1961", false, []want{{DOB, "1961-03-12"}}},
		{"DOB 12 March 1961; seen 14/04/2026", false, []want{{DOB, "1961-03-12"}}},
		{"born 1961-02-30", false, nil}, // no 30 February
		{"appointment on 14/04/2026", false, nil},
		{"name,dob\nJane Smith,12/03/1961\n", true, []want{{PersonName, "Jane Smith"}, {DOB, "1961-03-12"}}},
		{"St Helier JE2 3AB, Guernsey GY1 1AA, Leeds LS1 4AP, London SW1A 1AA", false,
			[]want{{Postcode, "JE23AB"}, {Postcode, "GY11AA"}, {Postcode, "LS14AP"}, {Postcode, "SW1A1AA"}}},
		{"QX1 4AB and JE2 3CB", false, nil}, // no QX area; C not in an inward code
		{"Tel: 01534 712345, mobile +44 7911 123456, 0113 496 0123", false,
			[]want{{Phone, "01534712345"}, {Phone, "+447911123456"}, {Phone, "01134960123"}}},
		{"Contact jane.smith+clinic@example.co.uk.", false, []want{{Email, "jane.smith+clinic@example.co.uk"}}},
		{"history of type 2 diabetes (E11.9)", false, []want{{ICD10, "E11.9"}}},
		{"SNOMED CT 29857009", false, []want{{SNOMED, "29857009"}}},
		{"on Metformin and apixaban", false, []want{{Medication, "metformin"}, {Medication, "apixaban"}}},
		{"card 4111 1111 1111 1111 exp", false, []want{{PaymentCard, "4111111111111111"}}},
		{"card 4111 1111 1111 1112 exp", false, nil},
		{"IBAN GB82 WEST 1234 5698 7654 32", false, []want{{IBAN, "GB82WEST12345698765432"}}},
		{"IBAN GB82 WEST 1234 5698 7654 33", false, nil},
		{"Dear Mrs Jane Smith,", false, []want{{PersonName, "Jane Smith"}}},
		{"Patient: SMITH, Jane", false, []want{{PersonName, "Jane SMITH"}}},
		{"Re: Referral letter", false, nil},
		{"Patient: LE BROCQ, Harry", true, []want{{PersonName, "Harry Le Brocq"}}},
		{"Mrs Smith called", true, nil}, // a surname alone names no one in particular
		{"jane SMITH and Jane Smithson", true, []want{{PersonName, "Jane Smith"}}},
	}
	for _, c := range cases {
		opts := Options{}
		if c.reg {
			opts.Register = reg
		}
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []want
		s.Scan([]byte(c.text), func(f Finding) {
			if f.Confidence >= 0.5 {
				got = append(got, want{f.Type, f.Value})
			}
		})
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.text, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %v, want %v", c.text, got, c.want)
				break
			}
		}
	}
}

func TestMRNAndRegisterErrors(t *testing.T) {
	s, err := New(Options{MRN: []string{"RX######"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	s.Scan([]byte("Hospital no RX123456, not RX12345 or RX1234567"), func(f Finding) { got = append(got, string(f.Type)+":"+f.Value) })
	if len(got) != 1 || got[0] != "mrn:RX123456" {
		t.Errorf("MRN: %v", got)
	}
	if _, err := New(Options{MRN: []string{"abc"}}); err == nil {
		t.Error("MRN pattern without # or @ accepted")
	}
	for _, bad := range []string{"id,first_name,last_name,shoe_size\n", "first_name,last_name\n", "id,name,dob\nP1,Jane Smith,yesterday\n"} {
		if _, err := LoadRegister(strings.NewReader(bad), "bad.csv"); err == nil {
			t.Errorf("register %q accepted", bad)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"9434765919": "********19", "Jane Smith": "**** ***th", "AB123456C": "*******6C", "E11.9": "***.9"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("Patient: SMITH, Jane DOB 12/03/1961 NHS 943 476 5919 JE2 3AB +44 7911 123456 a@b.co"))
	s, err := New(Options{MRN: []string{"RX######"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		s.Scan(text, func(fd Finding) {
			if fd.Offset < 0 || fd.Offset+fd.Len > len(text) || fd.Confidence <= 0 || fd.Confidence > 1 {
				t.Fatalf("finding out of bounds: %+v", fd)
			}
		})
	})
}
