package lab

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// dialFrom connects to 127.0.0.1:port from the source address src (any
// 127.x address works on Linux without setup).
func dialFrom(src string, port int) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// imapLogin opens an IMAP session from src and logs in.
func imapLogin(src string, port int, user, pass string) (*imapclient.Client, error) {
	conn, err := dialFrom(src, port)
	if err != nil {
		return nil, err
	}
	c := imapclient.New(conn, nil)
	if err := c.Login(user, pass).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("login %s from %s: %w", user, src, err)
	}
	return c, nil
}

// imapInbox is imapLogin with INBOX selected.
func imapInbox(src string, port int, user, pass string) (*imapclient.Client, error) {
	c, err := imapLogin(src, port, user, pass)
	if err != nil {
		return nil, err
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("select INBOX as %s from %s: %w", user, src, err)
	}
	return c, nil
}

// fetched is what a client took: UID → Message-ID of the messages whose
// bodies it received.
type fetched map[uint32]string

// fetchBodies fetches full bodies of set (sequence numbers unless uid) in
// the selected mailbox and returns what arrived.
func fetchBodies(c *imapclient.Client, set imap.NumSet) (fetched, error) {
	sec := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil {
		return nil, err
	}
	out := fetched{}
	for _, m := range msgs {
		body := m.FindBodySection(sec)
		if len(body) == 0 {
			return nil, fmt.Errorf("message %d: no body returned", m.SeqNum)
		}
		out[uint32(m.UID)] = messageID(body)
	}
	return out, nil
}

// messageID reads the Message-Id header of a raw message.
func messageID(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Message-Id") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// pop3 is a minimal POP3 client (RFC 1939): USER/PASS, STAT, UIDL, RETR, QUIT.
type pop3 struct {
	conn net.Conn
	r    *bufio.Reader
}

func pop3Dial(src string, port int) (*pop3, error) {
	conn, err := dialFrom(src, port)
	if err != nil {
		return nil, err
	}
	p := &pop3{conn: conn, r: bufio.NewReader(conn)}
	if _, err := p.status(); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return p, nil
}

// status reads one +OK/-ERR line.
func (p *pop3) status() (string, error) {
	_ = p.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := p.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "+OK") {
		return "", fmt.Errorf("pop3: %s", line)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "+OK")), nil
}

func (p *pop3) cmd(format string, args ...any) (string, error) {
	if _, err := fmt.Fprintf(p.conn, format+"\r\n", args...); err != nil {
		return "", err
	}
	return p.status()
}

// multi reads a dot-terminated multi-line response, un-stuffing dots.
func (p *pop3) multi() ([]string, error) {
	var out []string
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "." {
			return out, nil
		}
		out = append(out, strings.TrimPrefix(line, "."))
	}
}

func (p *pop3) login(user, pass string) error {
	if _, err := p.cmd("USER %s", user); err != nil {
		return err
	}
	_, err := p.cmd("PASS %s", pass)
	return err
}

// retrAll retrieves every message and returns their Message-IDs by number.
func (p *pop3) retrAll() (map[int]string, error) {
	st, err := p.cmd("STAT")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.Fields(st)[0])
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for i := 1; i <= n; i++ {
		if _, err := p.cmd("RETR %d", i); err != nil {
			return nil, err
		}
		lines, err := p.multi()
		if err != nil {
			return nil, err
		}
		out[i] = messageID([]byte(strings.Join(lines, "\r\n")))
	}
	return out, nil
}

func (p *pop3) quit() error {
	_, err := p.cmd("QUIT")
	_ = p.conn.Close()
	return err
}

// sendMail submits one message from src through Postfix submission with
// SASL PLAIN, to every recipient.
func sendMail(src string, port int, user, pass, from string, to []string, msg []byte) error {
	conn, err := dialFrom(src, port)
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	defer func() { _ = c.Close() }()
	if err := c.Hello("laptop.example"); err != nil {
		return err
	}
	if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
		return fmt.Errorf("smtp auth: %w", err)
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return fmt.Errorf("rcpt %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
