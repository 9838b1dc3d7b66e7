package parse

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
)

func TestLeapDayWithoutYear(t *testing.T) {
	// Read in 2027, a "Feb 29" line can only be from 2024.
	d, err := NewDecoder(Options{Location: time.UTC, Reference: time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if _, err := d.Decode("Feb 29 12:00:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]", &ev); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC); !ev.Time.Equal(want) {
		t.Fatalf("time %v, want %v", ev.Time, want)
	}
	if _, err := d.Decode("Feb 30 12:00:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]", &ev); err == nil {
		t.Fatal("Feb 30 accepted")
	}
}
