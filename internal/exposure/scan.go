// Package exposure runs the PHI scan over a mail store (mailstore ─►
// extract ─► phi ─► subjects) and turns the messages an attacker read, taken
// from the mail server's logs, into an exposure report: how many messages
// were read, how many hold personal or health data, how many distinct
// patients, which counts are exact, and an encrypted notification list.
//
// It must not write patient data anywhere but the encrypted notification
// list, log message content or identifiers, or change the mail store.
package exposure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/vigilhq/vigil/internal/extract"
	"github.com/vigilhq/vigil/internal/mailstore"
	"github.com/vigilhq/vigil/internal/phi"
	"github.com/vigilhq/vigil/internal/subjects"
)

// Options configures a scan. Zero fields take defaults.
type Options struct {
	Register *phi.Register
	MRN      []string
	Limits   extract.Limits
	// Checkpoint, when set, is the file that makes the scan resumable:
	// messages finished by an earlier run are skipped.
	Checkpoint string
	// Select, when set, scans only the messages it returns true for.
	Select func(mailstore.Message) bool
	// Progress, when set, is called after each message.
	Progress func(Progress)
	Logger   *slog.Logger
}

// Progress is how far a scan has got.
type Progress struct {
	Messages int
	Bytes    int64
	Skipped  int // finished by an earlier run (checkpoint)
}

// Record is one finding, or one part not fully scanned (Type
// "not_fully_scanned", Reason set), in its place.
type Record struct {
	Type       string
	Value      string // raw; outputs mask it unless the user asks otherwise
	Confidence float64
	Path       string
	Mailbox    string
	UID        uint32
	MessageID  string
	Part       string
	Offset     int
	SubjectID  string
	Reason     string
}

// NotFullyScanned is the Record type of a part the scan could not finish.
const NotFullyScanned = "not_fully_scanned"

// Result is what a scan found.
type Result struct {
	Messages                 int
	MessagesWithPersonalData int
	MessagesWithHealthData   int
	Bytes                    int64
	Skipped                  int
	Records                  []Record // findings (confidence ≥ 0.5) and incomplete parts
	Subjects                 *subjects.Result
	// Errors are messages that could not be read at all: path and reason.
	Errors []string
}

// ErrCanceled is returned when the context ends a scan; the checkpoint
// keeps what was finished.
var ErrCanceled = errors.New("scan canceled")

// Scan scans every (selected) message under path.
func Scan(ctx context.Context, path string, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	det, err := phi.New(phi.Options{Register: opts.Register, MRN: opts.MRN})
	if err != nil {
		return nil, err
	}
	var cp *mailstore.Checkpoint
	if opts.Checkpoint != "" {
		if cp, err = mailstore.OpenCheckpoint(opts.Checkpoint); err != nil {
			return nil, err
		}
		defer func() {
			if err := cp.Close(); err != nil {
				log.Error("closing the checkpoint", "err", err)
			}
		}()
	}
	x := extract.New(opts.Limits)
	res := &Result{}
	resolver := subjects.New(opts.Register)
	var mentionRecord []int // per mention: its index in res.Records
	err = mailstore.Walk(path, func(m mailstore.Message) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrCanceled, err)
		}
		if opts.Select != nil && !opts.Select(m) {
			return nil
		}
		if cp != nil && cp.Done(m.Key) {
			res.Skipped++
			return nil
		}
		raw, err := readMessage(m)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", m.Key, err))
			log.Warn("message not readable", "path", m.Key, "err", err)
			return nil
		}
		ex, err := x.Extract(bytes.NewReader(raw))
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", m.Key, err))
			log.Warn("message not parsable", "path", m.Key, "err", err)
			return nil
		}
		res.Messages++
		res.Bytes += int64(len(raw))
		base := Record{Path: m.Path, Mailbox: m.Mailbox, UID: m.UID, MessageID: ex.MessageID}
		if m.Offset > 0 {
			base.Path = m.Key
		}
		var mentions []subjects.Mention
		personal, health := false, false
		for _, p := range ex.Parts {
			det.Scan(p.Text, func(f phi.Finding) {
				if f.Confidence < 0.5 {
					return
				}
				personal = true
				health = health || f.Type.Health()
				r := base
				r.Type, r.Value, r.Confidence, r.Part, r.Offset = string(f.Type), f.Value, f.Confidence, p.Name, f.Offset
				mentionRecord = append(mentionRecord, len(res.Records))
				res.Records = append(res.Records, r)
				mentions = append(mentions, subjects.Mention{Message: m.Key, Part: p.Name, Finding: f})
			})
		}
		for _, in := range ex.Incomplete {
			r := base
			r.Type, r.Part, r.Reason = NotFullyScanned, in.Part, in.Reason
			res.Records = append(res.Records, r)
			log.Info("part not fully scanned", "path", m.Key, "reason", in.Reason) // part names are senders' file names: not logged
		}
		resolver.Add(mentions)
		if personal {
			res.MessagesWithPersonalData++
		}
		if health {
			res.MessagesWithHealthData++
		}
		if cp != nil {
			if err := cp.Mark(m.Key); err != nil {
				return err
			}
		}
		if opts.Progress != nil {
			opts.Progress(Progress{Messages: res.Messages, Bytes: res.Bytes, Skipped: res.Skipped})
		}
		return nil
	})
	res.Subjects = resolver.Result()
	for i, id := range res.Subjects.MentionSubject {
		res.Records[mentionRecord[i]].SubjectID = id
	}
	if err != nil {
		return res, err
	}
	return res, nil
}

// maxMessage bounds the raw size of one message read into memory.
const maxMessage = 256 << 20

func readMessage(m mailstore.Message) ([]byte, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }() // read-only
	raw, err := io.ReadAll(io.LimitReader(rc, maxMessage))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return raw, nil
}
