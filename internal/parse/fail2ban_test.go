package parse

import (
	"bufio"
	"encoding/json"
	"github.com/vigilhq/vigil/internal/shareddata"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
)

type fail2banCase struct {
	Expect struct {
		Time  string `json:"time"`
		Match bool   `json:"match"`
		Host  string `json:"host"`
		Desc  string `json:"desc"`
	} `json:"expect"`
	Line string `json:"line"`
}

// fail2banDisagreements are the cases where vigil deliberately reads a line
// differently from fail2ban, keyed by a fragment of the line, with the reason.
// The test checks that vigil does what the reason says.
var fail2banDisagreements = map[string]string{
	// fail2ban counts this only in its "aggressive" mode. A host whose reverse
	// DNS does not resolve back is a fact about the client's DNS, not a failure
	// by the client; vigil records it with status Other so detectors can use it
	// as a signal without counting it as a failed attempt.
	"does not resolve to address 192.0.2.44": "StatusOther",
}

func TestFail2banCases(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, file := range []string{"dovecot.jsonl", "postfix.jsonl", "roundcube-auth.jsonl"} {
		f, err := os.Open(shareddata.Path(t, "fail2ban-mail/"+file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			var c fail2banCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s:%d: %v", file, n, err)
			}
			total++
			t.Run(file+"/"+strconv.Itoa(n), func(t *testing.T) { checkFail2ban(t, c, berlin) })
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if total < 70 {
		t.Fatalf("read only %d cases; the data set has 80", total)
	}
}

func checkFail2ban(t *testing.T, c fail2banCase, loc *time.Location) {
	// fail2ban's cases are written in Central European time, and its year-less
	// lines belong to the year its test says; vigil's year inference is tested
	// elsewhere, so only the rest of the time is compared for those.
	d, err := NewDecoder(Options{Location: loc, Reference: time.Date(2005, 12, 31, 0, 0, 0, 0, loc)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	_, derr := d.Decode(c.Line, &ev)
	for frag, want := range fail2banDisagreements {
		if strings.Contains(c.Line, frag) {
			if derr != nil || ev.Status.String() != strings.TrimPrefix(want, "Status") {
				t.Fatalf("disagreement case: want status %s, got %v (err %v)\nline: %s", want, ev.Status, derr, c.Line)
			}
			return
		}
	}
	authFailure := derr == nil && ev.Class == event.ClassAuthentication && ev.Status == event.Failure && ev.Src.IP.IsValid()
	if !c.Expect.Match {
		if authFailure {
			t.Fatalf("fail2ban: not a failure to count; vigil made an authentication failure from %s\nline: %s", ev.Src.IP, c.Line)
		}
		return
	}
	if derr != nil {
		t.Fatalf("fail2ban: failure from %s; vigil: %v\nline: %s", c.Expect.Host, derr, c.Line)
	}
	if ev.Status != event.Failure || ev.Src.IP.String() != c.Expect.Host {
		t.Fatalf("fail2ban: failure from %s; vigil: %s %s %s from %s\nline: %s", c.Expect.Host, ev.Class.Name(), event.ActivityName(ev.Class, ev.Activity), ev.Status, ev.Src.IP, c.Line)
	}
	if c.Expect.Time == "" {
		return
	}
	got := ev.Time.In(loc)
	want, err := time.ParseInLocation("2006-01-2T15:04:05", c.Expect.Time, loc)
	if err != nil {
		t.Fatalf("bad expected time %q: %v", c.Expect.Time, err)
	}
	if strings.HasPrefix(c.Line, "@4000") {
		// TAI64N: vigil subtracts the 10 s that daemontools' labels carry
		// (TAI64 label = 2^62 + 10 + Unix seconds); fail2ban does not.
		want = want.Add(-10 * time.Second)
	}
	layout := "2006-01-02T15:04:05"
	if c.Line[0] >= 'A' && c.Line[0] <= 'Z' { // RFC 3164: no year in the line
		layout = "01-02T15:04:05"
	}
	if got.Format(layout) != want.Format(layout) {
		t.Fatalf("time: fail2ban %s, vigil %s\nline: %s", want.Format(layout), got.Format(layout), c.Line)
	}
}
