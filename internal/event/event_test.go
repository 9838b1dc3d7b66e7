package event

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A session end with POP3 counts, as the Dovecot parser makes it from
// "pop3(reception)<18310><s7/ZR2Rh8ax/AAAC>: Info: Disconnected: Logged out
// top=0/0, retr=3/1344, del=0/3, size=1296".
func pop3Logoff() Event {
	return Event{
		Time:     time.Date(2026, 11, 29, 6, 19, 50, 0, time.UTC),
		Class:    ClassAuthentication,
		Activity: Logoff,
		Status:   Success,
		Product:  "dovecot",
		Service:  "pop3",
		User:     "reception",
		Session:  "s7/ZR2Rh8ax/AAAC",
		Reason:   "Logged out",
		Counts: Counts{
			Has:       HasPOP3,
			RetrCount: 3, RetrBytes: 1344, DelCount: 0, MsgCount: 3, Size: 1296,
		},
		LogName: "dovecot-info.log",
		LogLine: 16,
	}
}

func TestJSONShape(t *testing.T) {
	ev := pop3Logoff()
	b, err := json.Marshal(&ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"class_uid": 3002.0, "class_name": "Authentication", "category_uid": 3.0,
		"activity_id": 2.0, "activity_name": "Logoff", "type_uid": 300202.0,
		"status": "Success", "status_id": 1.0, "time": "2026-11-29T06:19:50Z",
		"user":      map[string]any{"name": "reception"},
		"service":   "pop3",
		"session":   map[string]any{"uid": "s7/ZR2Rh8ax/AAAC"},
		"metadata":  map[string]any{"product": map[string]any{"name": "dovecot"}, "log_name": "dovecot-info.log", "log_line": 16.0},
		"reason":    "Logged out",
		"top_count": 0.0, "top_bytes": 0.0, "retr_count": 3.0, "retr_bytes": 1344.0,
		"del_count": 0.0, "msg_count": 3.0, "size": 1296.0,
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("JSON\n got %s\nwant %v", b, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, ev := range []Event{
		pop3Logoff(),
		{
			Time: time.Date(2026, 11, 29, 6, 18, 32, 942881000, time.UTC), Class: ClassDatastore, Activity: APIRead,
			Status: Success, Product: "dovecot", Service: "imap", User: "dr.smith", Session: "Z5k8Q2Rhtc1/AAAC",
			Src: Endpoint{IP: netip.MustParseAddr("127.0.0.2"), Port: 40000}, Dst: Endpoint{IP: netip.MustParseAddr("::1")},
			Mailbox: "INBOX", UID: 1, Seq: 1, MailAgeDays: 0, HasMailAge: true, Command: "imap:fetch_body",
		},
		{
			Class: ClassEmail, Activity: EmailSend, Status: Success, Product: "postfix", Service: "submission",
			User: "bob", AuthMethod: "LOGIN", QueueID: "D2491986670", Secured: true, Host: "mx",
			Src:    Endpoint{IP: netip.MustParseAddr("127.0.0.44"), Hostname: "client.example"},
			Counts: Counts{Has: HasMail | HasAuth | HasTraffic | HasIMAPRead | HasIMAPChange, Recipients: 2, Size: 285, AuthAttempts: 3, AuthFailures: 2, BytesIn: 1, BytesOut: 2, HdrCount: 3, HdrBytes: 4, BodyCount: 5, BodyBytes: 6, Deleted: 7, Expunged: 8, Trashed: 9},
		},
	} {
		b, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ev, back) {
			t.Fatalf("round trip:\n got %+v\nwant %+v\njson %s", back, ev, b)
		}
	}
}

func TestUnmarshalRejectsBadAddress(t *testing.T) {
	var ev Event
	err := json.Unmarshal([]byte(`{"class_uid":3002,"src_endpoint":{"ip":"not-an-ip"}}`), &ev)
	if err == nil || !strings.Contains(err.Error(), "src_endpoint") {
		t.Fatalf("want an error naming src_endpoint, got %v", err)
	}
}
