// This file resolves alert evidence: the UIDs an alert names become
// Message-IDs read from the account's Maildir (headers only).

package mailstore

import (
	"bufio"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/internal/alert"
)

// Maildir is one account's Maildir (Dovecot's Maildir++ layout: INBOX at
// the root, folder "A/B" in ".A.B").
type Maildir string

// Dir is the directory of a mailbox.
func (m Maildir) Dir(mailbox string) string {
	if strings.EqualFold(mailbox, "INBOX") {
		return string(m)
	}
	return filepath.Join(string(m), "."+strings.ReplaceAll(mailbox, "/", "."))
}

// MessageIDs returns UID → Message-ID for the given UIDs of mailbox. A UID
// whose file is gone (expunged since) is left out.
func (m Maildir) MessageIDs(mailbox string, uids []uint32) (map[uint32]string, error) {
	dir := m.Dir(mailbox)
	byName, err := ReadUIDList(filepath.Join(dir, "dovecot-uidlist"))
	if err != nil {
		return nil, err
	}
	list := make(map[uint32]string, len(byName)) // UID → base name
	for name, uid := range byName {
		list[uid] = name
	}
	files := map[string]string{} // base name → path
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range ents {
			base, _, _ := strings.Cut(e.Name(), ":")
			files[base] = filepath.Join(dir, sub, e.Name())
		}
	}
	out := map[uint32]string{}
	for _, u := range uids {
		p, ok := files[list[u]]
		if !ok {
			continue
		}
		id, err := messageID(p)
		if err != nil {
			return nil, err
		}
		out[u] = id
	}
	return out, nil
}

func messageID(path string) (string, error) {
	f, err := os.Open(path) //nolint:gosec // G304: a message file listed in dovecot-uidlist
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read-only
	msg, err := mail.ReadMessage(bufio.NewReader(f))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return strings.TrimSpace(msg.Header.Get("Message-Id")), nil
}

// Resolve fills in the Message-IDs of every exact read in a's evidence,
// in UID order, from the Maildir that maildir returns for the account.
func Resolve(a *alert.Alert, maildir func(user string) Maildir) error {
	var errs []error
	for i := range a.Evidence.Reads {
		rd := &a.Evidence.Reads[i]
		if !rd.Exact || rd.UIDs == "" {
			continue
		}
		uids, err := ParseUIDSet(rd.UIDs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids, err := maildir(rd.User).MessageIDs(rd.Mailbox, uids)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rd.MessageIDs = rd.MessageIDs[:0]
		for _, u := range uids {
			if id, ok := ids[u]; ok {
				rd.MessageIDs = append(rd.MessageIDs, id)
			}
		}
	}
	return errors.Join(errs...)
}

// ParseUIDSet reads an IMAP UID set of numbers and ranges ("1:5,9"), in order.
func ParseUIDSet(s string) ([]uint32, error) {
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("UID set %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				return nil, fmt.Errorf("UID set %q: %w", s, err)
			}
		}
		if b < a || b-a > 1<<20 {
			return nil, fmt.Errorf("UID set %q: bad range", s)
		}
		for u := a; u <= b; u++ {
			out = append(out, uint32(u)) //nolint:gosec // G115: parsed with bitSize 32
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
