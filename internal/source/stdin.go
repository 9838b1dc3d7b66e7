package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/vigilhq/vigil/internal/parse"
)

// ReaderOptions configure a reader source.
type ReaderOptions struct {
	Name  string
	Parse parse.Options
	// Batch is the most lines published at once. Default 2000.
	Batch int
}

// Reader reads lines from an io.Reader (standard input) until EOF. Its IDs
// are the line numbers under a per-run prefix: stdin cannot be replayed.
type Reader struct {
	opts ReaderOptions
	env  Env
	r    io.Reader
	em   *emitter
}

var _ Source = (*Reader)(nil)

// NewReader returns a source reading r.
func NewReader(env Env, r io.Reader, opts ReaderOptions) (*Reader, error) {
	env.defaults()
	if opts.Batch <= 0 {
		opts.Batch = 2000
	}
	em, err := newEmitter(&env, opts.Name, opts.Parse)
	if err != nil {
		return nil, err
	}
	return &Reader{opts: opts, env: env, r: r, em: em}, nil
}

// Name implements Source.
func (s *Reader) Name() string { return s.opts.Name }

// Run implements Source; it returns at EOF once everything is published.
func (s *Reader) Run(ctx context.Context) error {
	boot := strconv.FormatInt(s.env.Now().UnixNano(), 36)
	lr := parse.NewLineReader(s.r)
	lines := make([]Line, 0, s.opts.Batch)
	for ctx.Err() == nil {
		b, n, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *parse.LineError
		if errors.As(err, &le) {
			s.em.count("unknown", "too_long")
			continue
		}
		if err != nil {
			return fmt.Errorf("source %s: %w", s.opts.Name, err)
		}
		lines = append(lines, Line{ID: s.opts.Name + ":" + boot + ":" + strconv.FormatInt(n, 10), Text: append([]byte(nil), b...), LogName: s.opts.Name, LogLine: n})
		if len(lines) == s.opts.Batch {
			if err := s.em.emit(ctx, lines); err != nil {
				return err
			}
			lines = lines[:0]
		}
	}
	return s.em.emit(context.WithoutCancel(ctx), lines)
}
