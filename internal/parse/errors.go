package parse

import (
	"errors"
	"fmt"
)

// Sentinels for the outcome of decoding one line. A *LineError wraps one of them
// with the reason in words.
var (
	// ErrIgnored: the line was understood and deliberately produces no event
	// (a daemon starting up, a statistics line).
	ErrIgnored = errors.New("ignored")
	// ErrUnparsed: the line was not understood.
	ErrUnparsed = errors.New("not understood")
	// ErrUnknownFormat: a format name that no parser has.
	ErrUnknownFormat = errors.New("unknown format")
)

// LineError says why a line produced no event. Reason is a short fixed phrase
// that never quotes the line, so it is safe to log and to count by.
type LineError struct {
	Kind   error // ErrIgnored or ErrUnparsed
	Reason string
}

func (e *LineError) Error() string { return e.Reason }

// Unwrap lets errors.Is find the kind.
func (e *LineError) Unwrap() error { return e.Kind }

func ignored(reason string) *LineError  { return &LineError{Kind: ErrIgnored, Reason: reason} }
func unparsed(reason string) *LineError { return &LineError{Kind: ErrUnparsed, Reason: reason} }

// Reasons shared by several parsers, allocated once.
var (
	errTooLong     = unparsed(fmt.Sprintf("line longer than %d bytes", MaxLineBytes))
	errInvalidUTF8 = unparsed("line is not valid UTF-8")
	errEmpty       = ignored("empty line")
	errNoFormat    = unparsed("no parser recognizes this line")
	errBadTime     = unparsed("malformed timestamp")
)
