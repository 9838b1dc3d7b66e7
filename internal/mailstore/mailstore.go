// Package mailstore reads messages out of mail stores for the PHI scan:
// Maildir and Maildir++ folders (with Dovecot's dovecot-uidlist for UIDs),
// mbox files, and directories of .eml files. It keeps a checkpoint so an
// interrupted scan continues where it stopped.
//
// It only reads: it must not change, move, flag or delete a message, and it
// must not look inside messages (that is internal/extract's job).
package mailstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrUnknownStore is returned when a path is neither a Maildir, an mbox, an
// .eml file nor a directory holding any of them.
var ErrUnknownStore = errors.New("not a mail store")

// Message is one message in a store. Key is stable across runs and is what
// the checkpoint records; it never holds message content.
type Message struct {
	Key     string // file path, or mbox path#byte-offset
	Path    string // the file the message is in
	Mailbox string // INBOX, Sent, … for Maildirs; the file name for mbox
	UID     uint32 // Dovecot UID when dovecot-uidlist names the file; else 0
	Offset  int64  // mbox only: where the message starts
	Size    int64
	data    []byte // IMAP: the message, fetched
}

// Open returns the message's raw bytes.
func (m Message) Open() (io.ReadCloser, error) {
	if m.data != nil {
		return io.NopCloser(bytes.NewReader(m.data)), nil
	}
	f, err := os.Open(m.Path)
	if err != nil {
		return nil, fmt.Errorf("mailstore: %w", err)
	}
	if m.Offset == 0 && !strings.Contains(m.Key, "#") {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, m.Offset, m.Size), f}, nil
}

// Walk calls fn for every message under path, in a stable order. path may be
// a Maildir, a directory of Maildirs, .eml files and mbox files, an mbox file,
// a single .eml file, or an IMAP URL (ParseIMAPURL). An error from fn stops the walk and is returned.
func Walk(path string, fn func(Message) error) error {
	if strings.HasPrefix(path, "imap://") || strings.HasPrefix(path, "imaps://") {
		src, err := ParseIMAPURL(path)
		if err != nil {
			return err
		}
		return WalkIMAP(src, fn)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("mailstore: %w", err)
	}
	if !st.IsDir() {
		if isMbox(path) {
			return walkMbox(path, fn)
		}
		return fn(Message{Key: path, Path: path, Size: st.Size()})
	}
	if isMaildir(path) {
		return walkMaildir(path, fn)
	}
	found := false
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && isMaildir(p) {
				found = true
				if err := walkMaildir(p, fn); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.EqualFold(filepath.Ext(p), ".eml"):
			found = true
			info, err := d.Info()
			if err != nil {
				return err
			}
			return fn(Message{Key: p, Path: p, Mailbox: filepath.Base(filepath.Dir(p)), Size: info.Size()})
		case isMbox(p):
			found = true
			return walkMbox(p, fn)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mailstore: %w", err)
	}
	if !found {
		return fmt.Errorf("%w: %s holds no Maildir, mbox or .eml file", ErrUnknownStore, path)
	}
	return nil
}

func isMaildir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "cur"))
	return err == nil && st.IsDir()
}

// isMbox reports whether the file starts with an mbox "From " line.
func isMbox(path string) bool {
	f, err := os.Open(path) //nolint:gosec // the user names the store to scan
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }() // read-only
	var head [5]byte
	n, _ := io.ReadFull(f, head[:])
	return n == 5 && string(head[:]) == "From "
}

// walkMaildir visits the Maildir at root (INBOX) and its Maildir++ folders.
func walkMaildir(root string, fn func(Message) error) error {
	if err := walkFolder(root, "INBOX", fn); err != nil {
		return err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("mailstore: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".") && len(e.Name()) > 1 && isMaildir(filepath.Join(root, e.Name())) {
			if err := walkFolder(filepath.Join(root, e.Name()), e.Name()[1:], fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func walkFolder(dir, mailbox string, fn func(Message) error) error {
	uids, err := ReadUIDList(filepath.Join(dir, "dovecot-uidlist"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var msgs []Message
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("mailstore: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // vanished since ReadDir: moved by the server
			}
			p := filepath.Join(dir, sub, e.Name())
			msgs = append(msgs, Message{Key: p, Path: p, Mailbox: mailbox, UID: uids[baseName(e.Name())], Size: info.Size()})
		}
	}
	sort.Slice(msgs, func(i, j int) bool {
		if msgs[i].UID != msgs[j].UID {
			return msgs[i].UID < msgs[j].UID
		}
		return msgs[i].Key < msgs[j].Key
	})
	for _, m := range msgs {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// baseName is a Maildir file name without its ":2,FLAGS" info part.
func baseName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i]
	}
	return name
}

// ReadUIDList reads a dovecot-uidlist (version 3): a header line, then one
// line per message, "UID [extension fields] :filename". It returns the UID
// of each file's base name.
func ReadUIDList(path string) (map[string]uint32, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the store's own file, named by the user
	if err != nil {
		return nil, fmt.Errorf("mailstore: %w", err)
	}
	m := map[string]uint32{}
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if i == 0 || len(line) == 0 {
			continue
		}
		sp := bytes.IndexByte(line, ' ')
		colon := bytes.LastIndex(line, []byte(" :"))
		if sp <= 0 || colon < 0 {
			return m, fmt.Errorf("mailstore: %s line %d: not a UID line", path, i+1)
		}
		uid, err := strconv.ParseUint(string(line[:sp]), 10, 32)
		if err != nil {
			return m, fmt.Errorf("mailstore: %s line %d: bad UID: %w", path, i+1, err)
		}
		m[string(line[colon+2:])] = uint32(uid)
	}
	return m, nil
}

// walkMbox visits the messages of an mbox file: each starts with a "From "
// line at the file's start or after an empty line.
func walkMbox(path string, fn func(Message) error) error {
	f, err := os.Open(path) //nolint:gosec // the user names the store to scan
	if err != nil {
		return fmt.Errorf("mailstore: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	br := bufio.NewReaderSize(f, 64<<10)
	var starts []int64
	var off int64
	prevBlank := true
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
				starts = append(starts, off)
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0 && line[len(line)-1] == '\n'
			off += int64(len(line))
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			prevBlank = false
			continue
		}
		if err != nil {
			break
		}
	}
	box := filepath.Base(path)
	for i, s := range starts {
		end := off
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		// Skip the "From " separator line itself.
		sec := io.NewSectionReader(f, s, end-s)
		first, _ := bufio.NewReader(sec).ReadSlice('\n')
		body := s + int64(len(first))
		m := Message{Key: fmt.Sprintf("%s#%d", path, s), Path: path, Mailbox: box, Offset: body, Size: end - body}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
