package serve_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// freeAddr returns a loopback address with a port free for network (tcp or udp).
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// syslogMsg is message i as a mail server's syslog would send it: RFC 3164
// for even i, RFC 5424 for odd i, Dovecot lines about account userOf(i).
func syslogMsg(i int) string {
	u := userOf(i)
	if i%2 == 0 {
		return fmt.Sprintf("<22>Nov 29 06:18:31 mail dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=10.1.%d.%d, lip=127.0.0.1, mpid=%d, secured, session=<ngstQ2RhRYN/AAAB>",
			u, i/250%250, i%250, i)
	}
	return fmt.Sprintf("<22>1 2026-11-29T06:18:31.123Z mail dovecot %d - - imap(%s)<%d><ngstQ2RhRYN/AAAB>: Disconnected: Logged out in=183 out=3134 deleted=0 expunged=0 trashed=0 hdr_count=1 hdr_bytes=87 body_count=3 body_bytes=1819",
		i, u, i)
}

// TestSyslog sends 100,000 messages: 50,000 over TCP (half octet-counted on
// one connection, half newline-framed on another) and 50,000 over UDP. Every
// TCP message must be stored; every UDP message must be stored or counted in
// the drop metric, exactly.
func TestSyslog(t *testing.T) {
	perTransport := 50000
	if testing.Short() {
		perTransport = 10000
	}
	dir := t.TempDir()
	cfg := baseConfig(t, dir, false)
	udpAddr, tcpAddr := freeAddr(t, "udp"), freeAddr(t, "tcp")
	cfg.Sources = []serve.SourceConfig{{Name: "syslog", Type: "syslog", UDP: udpAddr, TCP: tcpAddr, Timezone: "UTC"}}
	d := startDaemon(t, cfg)
	defer func() {
		if d != nil {
			d.stop(t)
		}
	}()

	// TCP: two connections, two framings; messages 0 .. perTransport-1.
	half := perTransport / 2
	errs := make(chan error, 2)
	for c := range 2 {
		go func() {
			conn, err := net.Dial("tcp", tcpAddr)
			if err != nil {
				errs <- err
				return
			}
			bw := bufio.NewWriter(conn)
			for i := c * half; i < (c+1)*half; i++ {
				m := syslogMsg(i)
				if c == 0 {
					_, _ = fmt.Fprintf(bw, "%d %s", len(m), m) // a bufio.Writer keeps the error for Flush
				} else {
					_, _ = fmt.Fprintf(bw, "%s\n", m) // as above
				}
			}
			if err := bw.Flush(); err != nil {
				errs <- err
				return
			}
			errs <- conn.Close()
		}()
	}
	// UDP: messages perTransport .. 2*perTransport-1, one per datagram.
	uc, err := net.Dial("udp", udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	sentUDP := 0
	for i := perTransport; i < 2*perTransport; i++ {
		if _, err := uc.Write([]byte(syslogMsg(i))); err != nil {
			t.Fatalf("udp send %d: %v", i, err)
		}
		sentUDP++
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "vigil.db")
	// The kernel reports drops with the next datagram it delivers: send
	// markers (counted as UDP messages too) until one is stored.
	marker := 2 * perTransport
	waitFor(t, 60*time.Second, "a UDP marker stored", func() bool {
		if _, err := uc.Write([]byte(syslogMsg(marker))); err != nil {
			t.Fatal(err)
		}
		sentUDP++
		marker++
		time.Sleep(200 * time.Millisecond)
		return storedOf(t, db, "udp", userOf(marker-1)) > 0
	})
	_ = uc.Close()
	time.Sleep(300 * time.Millisecond)
	dropped := int(d.metric(t, `vigil_source_dropped_total{reason="udp_overflow",source="syslog"}`))
	d.stop(t)
	d = nil

	tcp, udp := countBySource(t, db, "tcp"), countBySource(t, db, "udp")
	if tcp != perTransport {
		t.Errorf("TCP: %d of %d messages stored", tcp, perTransport)
	}
	if udp+dropped != sentUDP {
		t.Errorf("UDP: %d stored + %d counted as dropped = %d, sent %d", udp, dropped, udp+dropped, sentUDP)
	}
	t.Logf("TCP %d/%d stored; UDP %d stored, %d dropped (kernel count), %d sent", tcp, perTransport, udp, dropped, sentUDP)
}

func countBySource(t *testing.T, db, src string) int {
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	var n int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM events WHERE source = ?`, src).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func storedOf(t *testing.T, db, src, account string) int {
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	var n int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM events WHERE source = ? AND account = ?`, src, account).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIntake posts the lab's real exporter events (transport = http-post)
// and checks the answer comes only once they are stored or on the bus, and
// that a wrong token is refused.
func TestIntake(t *testing.T) {
	dir := t.TempDir()
	cfg := baseConfig(t, dir, false)
	cfg.Sources = []serve.SourceConfig{{Name: "exporter", Type: "http", Token: "s3cret", Path: "/events"}}
	d := startDaemon(t, cfg)
	b, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	post := func(token, body string) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+d.addr+"/events", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("dovecot", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong", lines[0]); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	// Dovecot posts one event per request; send them so.
	for _, l := range lines {
		if code := post("s3cret", l); code != http.StatusNoContent {
			t.Fatalf("post: %d, want 204", code)
		}
	}
	published := d.metric(t, `vigil_source_events_published_total{source="exporter"}`)
	parsed := d.metric(t, `vigil_source_lines_total{format="dovecot-exporter",result="parsed",source="exporter"}`)
	d.stop(t)
	stored := countEvents(t, filepath.Join(dir, "vigil.db"))
	if parsed == 0 || published != parsed || stored != int64(parsed) {
		t.Errorf("%d lines posted, %v parsed, %v published, %d stored", len(lines), parsed, published, stored)
	}
}
