package mailstore

import (
	"fmt"
	"os"
	"strings"
)

// Checkpoint records which messages a scan has finished, one key per line,
// appended as it goes, so a scan that is stopped resumes after the last
// message it completed. It holds message keys (paths) only, never content.
type Checkpoint struct {
	f    *os.File
	done map[string]bool
	n    int
}

// OpenCheckpoint opens (or creates) the checkpoint file at path and loads the
// keys already done. A last line cut short by a crash is ignored.
func OpenCheckpoint(path string) (*Checkpoint, error) {
	c := &Checkpoint{done: map[string]bool{}}
	partial := false
	if data, err := os.ReadFile(path); err == nil { //nolint:gosec // the user names the checkpoint file
		partial = len(data) > 0 && data[len(data)-1] != '\n'
		lines := strings.Split(string(data), "\n")
		for _, l := range lines[:len(lines)-1] { // the part after the last newline is incomplete
			c.done[l] = true
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // as above
	if err != nil {
		return nil, fmt.Errorf("mailstore: checkpoint: %w", err)
	}
	c.f = f
	if partial { // end the cut line so the next key starts on its own
		if _, err := f.WriteString("\n"); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("mailstore: checkpoint: %w", err)
		}
	}
	return c, nil
}

// Done reports whether the message with key was finished by an earlier run.
func (c *Checkpoint) Done(key string) bool { return c.done[key] }

// Len is the number of messages finished by earlier runs.
func (c *Checkpoint) Len() int { return len(c.done) }

// Mark records key as finished. Every 256 marks the file is synced to disk.
func (c *Checkpoint) Mark(key string) error {
	if strings.ContainsAny(key, "\n") {
		return fmt.Errorf("mailstore: checkpoint: key with a newline")
	}
	if _, err := c.f.WriteString(key + "\n"); err != nil {
		return fmt.Errorf("mailstore: checkpoint: %w", err)
	}
	c.done[key] = true
	if c.n++; c.n%256 == 0 {
		if err := c.f.Sync(); err != nil {
			return fmt.Errorf("mailstore: checkpoint: %w", err)
		}
	}
	return nil
}

// Close syncs and closes the file.
func (c *Checkpoint) Close() error {
	if err := c.f.Sync(); err != nil {
		_ = c.f.Close()
		return fmt.Errorf("mailstore: checkpoint: %w", err)
	}
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("mailstore: checkpoint: %w", err)
	}
	return nil
}
