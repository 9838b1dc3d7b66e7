package bus

import (
	"bytes"
	"errors"
	"fmt"
)

// Events travel several to a bus message: JetStream's cost is per message
// (storing, delivering to each consumer, acknowledging), so a message per
// event would make the bus most of the pipeline's work. A message's data is
// a run of records, each an event's ID, a tab, its JSON and a newline; the
// message's own ID (the deduplication ID) names its first record and their
// number, and a source that publishes the same records again after a crash
// (the same lines, cut into the same messages) publishes the same IDs.

// MaxRecords and MaxRecordBytes bound a message: a message is closed once it
// holds MaxRecords records or MaxRecordBytes bytes, so it can exceed that by
// one record. (NATS refuses payloads over its max_payload: 1 MiB by default,
// 8 MiB on the embedded server; an external server for vigil should allow
// at least 4 MiB, as one event can be that big.)
const (
	MaxRecords     = 256
	MaxRecordBytes = 256 << 10
)

// ErrRecord marks message data that is not a run of records.
var ErrRecord = errors.New("bus: not an event record")

// MessageID is the deduplication ID of a message of n records, the first
// with ID first.
func MessageID(first string, n int) string {
	return fmt.Sprintf("%s+%d", first, n)
}

// Records calls fn with each record of a message's data, in order; the
// slices are the data's own. It stops at the first error, fn's or a
// malformed record's.
func Records(data []byte, fn func(id string, event []byte) error) error {
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			return fmt.Errorf("%w: no newline after the last record", ErrRecord)
		}
		rec := data[:end]
		data = data[end+1:]
		tab := bytes.IndexByte(rec, '\t')
		if tab <= 0 {
			return fmt.Errorf("%w: no ID", ErrRecord)
		}
		if err := fn(string(rec[:tab]), rec[tab+1:]); err != nil {
			return err
		}
	}
	return nil
}
