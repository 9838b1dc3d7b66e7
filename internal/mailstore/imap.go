package mailstore

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrIMAP is returned for an IMAP account that cannot be read.
var ErrIMAP = errors.New("imap")

// IMAPSource is an IMAP account to read. The scan is read-only: mailboxes
// are opened with EXAMINE and bodies fetched with BODY.PEEK[], so no message
// is marked as read.
type IMAPSource struct {
	Addr      string // host:port
	TLS       bool   // imaps://
	User      string
	Password  string
	Mailboxes []string // empty: every selectable mailbox
}

// ParseIMAPURL reads imap://user@host:port[/MAILBOX] (imaps:// for TLS).
// The password comes from the URL or, better, the environment variable
// VIGIL_IMAP_PASSWORD (URLs end up in shell history).
func ParseIMAPURL(raw string) (IMAPSource, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" || u.User == nil {
		return IMAPSource{}, fmt.Errorf("%w: want imap://user@host:port[/mailbox]", ErrIMAP)
	}
	src := IMAPSource{Addr: u.Host, TLS: u.Scheme == "imaps", User: u.User.Username()}
	if !strings.Contains(u.Host, ":") {
		src.Addr += map[bool]string{true: ":993", false: ":143"}[src.TLS]
	}
	if p, ok := u.User.Password(); ok {
		src.Password = p
	} else {
		src.Password = os.Getenv("VIGIL_IMAP_PASSWORD")
	}
	if m := strings.Trim(u.Path, "/"); m != "" {
		src.Mailboxes = []string{m}
	}
	return src, nil
}

// fetchBatch is how many messages one UID FETCH asks for.
const fetchBatch = 50

// WalkIMAP calls fn for every message of the account's mailboxes, in UID
// order. Message.Key is imap://user@host/MAILBOX;UID=n.
func WalkIMAP(src IMAPSource, fn func(Message) error) error {
	var c *imapclient.Client
	var err error
	if src.TLS {
		c, err = imapclient.DialTLS(src.Addr, nil)
	} else {
		c, err = imapclient.DialInsecure(src.Addr, nil)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIMAP, err)
	}
	defer func() { _ = c.Close() }() // after Logout; nothing left to lose
	if err := c.Login(src.User, src.Password).Wait(); err != nil {
		return fmt.Errorf("%w: login as %s: %w", ErrIMAP, src.User, err)
	}
	boxes := src.Mailboxes
	if len(boxes) == 0 {
		list, err := c.List("", "*", nil).Collect()
		if err != nil {
			return fmt.Errorf("%w: LIST: %w", ErrIMAP, err)
		}
		for _, l := range list {
			selectable := true
			for _, a := range l.Attrs {
				if a == imap.MailboxAttrNoSelect || a == imap.MailboxAttrNonExistent {
					selectable = false
				}
			}
			if selectable {
				boxes = append(boxes, l.Mailbox)
			}
		}
	}
	for _, box := range boxes {
		if err := walkIMAPBox(c, src, box, fn); err != nil {
			return err
		}
	}
	if err := c.Logout().Wait(); err != nil {
		return fmt.Errorf("%w: LOGOUT: %w", ErrIMAP, err)
	}
	return nil
}

func walkIMAPBox(c *imapclient.Client, src IMAPSource, box string, fn func(Message) error) error {
	if _, err := c.Select(box, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil { // EXAMINE
		return fmt.Errorf("%w: EXAMINE %s: %w", ErrIMAP, box, err)
	}
	search, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return fmt.Errorf("%w: UID SEARCH %s: %w", ErrIMAP, box, err)
	}
	uids := search.AllUIDs()
	section := &imap.FetchItemBodySection{Peek: true} // BODY.PEEK[]: \Seen stays as it was
	for len(uids) > 0 {
		n := min(fetchBatch, len(uids))
		set := imap.UIDSetNum(uids[:n]...)
		uids = uids[n:]
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("%w: UID FETCH %s: %w", ErrIMAP, box, err)
		}
		for _, m := range msgs {
			body := m.FindBodySection(section)
			key := fmt.Sprintf("imap://%s@%s/%s;UID=%d", src.User, src.Addr, box, m.UID)
			if err := fn(Message{Key: key, Path: key, Mailbox: box, UID: uint32(m.UID), Size: int64(len(body)), data: body}); err != nil {
				return err
			}
		}
	}
	return nil
}
