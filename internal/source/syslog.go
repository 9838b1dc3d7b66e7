package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/vigilhq/vigil/internal/parse"
)

// SyslogOptions configure a syslog receiver.
type SyslogOptions struct {
	Name string
	// UDP and TCP are listen addresses ("0.0.0.0:514"); either may be "".
	UDP, TCP string
	Parse    parse.Options
	// Batch is the most messages published at once. Default 2000.
	Batch int
	// ReadBuffer is the UDP socket's receive buffer. Default 8 MiB (the
	// kernel may cap it at net.core.rmem_max).
	ReadBuffer int
}

// Syslog receives RFC 3164 and RFC 5424 messages over UDP (one per datagram)
// and TCP (octet-counted or newline framing, RFC 6587, detected per message).
// UDP datagrams the kernel dropped for lack of buffer are counted exactly
// (SO_RXQ_OVFL) in vigil_source_dropped_total{reason="udp_overflow"}.
type Syslog struct {
	opts SyslogOptions
	env  Env
	q    *queue
	udp  *net.UDPConn
	tcp  net.Listener
	// udpDrops is the kernel's last reported drop count.
	udpDrops uint32
}

var _ Source = (*Syslog)(nil)

// NewSyslog binds the configured addresses, so that a bad address fails at
// start-up and tests can read the bound ports (Addrs).
func NewSyslog(env Env, opts SyslogOptions) (*Syslog, error) {
	env.defaults()
	if opts.UDP == "" && opts.TCP == "" {
		return nil, fmt.Errorf("syslog source %s: needs a udp or tcp address", opts.Name)
	}
	if opts.Batch <= 0 {
		opts.Batch = 2000
	}
	if opts.ReadBuffer <= 0 {
		opts.ReadBuffer = 8 << 20
	}
	em, err := newEmitter(&env, opts.Name, opts.Parse)
	if err != nil {
		return nil, err
	}
	s := &Syslog{opts: opts, env: env, q: newQueue(em, opts.Batch, env.Now())}
	if opts.UDP != "" {
		addr, err := net.ResolveUDPAddr("udp", opts.UDP)
		if err != nil {
			return nil, fmt.Errorf("syslog source %s: %w", opts.Name, err)
		}
		if s.udp, err = net.ListenUDP("udp", addr); err != nil {
			return nil, fmt.Errorf("syslog source %s: %w", opts.Name, err)
		}
		_ = s.udp.SetReadBuffer(opts.ReadBuffer) // best effort: the kernel caps it
		if err := enableDropCount(s.udp); err != nil {
			env.Logger.Warn("UDP drop counting unavailable", "source", opts.Name, "err", err)
		}
	}
	if opts.TCP != "" {
		if s.tcp, err = net.Listen("tcp", opts.TCP); err != nil {
			if s.udp != nil {
				_ = s.udp.Close() // the listen error is the one to report
			}
			return nil, fmt.Errorf("syslog source %s: %w", opts.Name, err)
		}
	}
	return s, nil
}

// Name implements Source.
func (s *Syslog) Name() string { return s.opts.Name }

// Addrs returns the bound UDP and TCP addresses ("" when not configured).
func (s *Syslog) Addrs() (udp, tcp string) {
	if s.udp != nil {
		udp = s.udp.LocalAddr().String()
	}
	if s.tcp != nil {
		tcp = s.tcp.Addr().String()
	}
	return udp, tcp
}

func enableDropCount(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1) //nolint:gosec // G115: a file descriptor fits an int
	})
	if err != nil {
		return err
	}
	return serr
}

// Run implements Source. On ctx's end it stops listening, publishes what was
// received and returns.
func (s *Syslog) Run(ctx context.Context) error {
	go s.q.run(ctx)
	var wg sync.WaitGroup
	var conns sync.Map
	if s.udp != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.readUDP(ctx) }()
	}
	if s.tcp != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.acceptTCP(ctx, &wg, &conns) }()
	}
	<-ctx.Done()
	if s.udp != nil {
		_ = s.udp.Close() // stops readUDP
	}
	if s.tcp != nil {
		_ = s.tcp.Close() // stops acceptTCP
	}
	conns.Range(func(k, _ any) bool {
		_ = k.(net.Conn).Close() // stops its reader
		return true
	})
	wg.Wait()
	close(s.q.in)
	<-s.q.stopped
	return s.q.err
}

func (s *Syslog) readUDP(ctx context.Context) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(4))
	dropped := s.env.Metrics.Dropped.WithLabelValues(s.opts.Name, "udp_overflow")
	for {
		n, oobn, _, _, err := s.udp.ReadMsgUDP(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		if d, ok := dropCount(oob[:oobn]); ok && d != s.udpDrops {
			dropped.Add(float64(d - s.udpDrops)) // uint32 arithmetic wraps like the kernel's counter
			s.udpDrops = d
		}
		text := trimFrame(buf[:n])
		if len(text) == 0 {
			continue
		}
		if !s.q.put(ctx, queued{text: append([]byte(nil), text...), logName: "udp"}) {
			return
		}
	}
}

// dropCount reads SO_RXQ_OVFL's cumulative drop counter from a control message.
func dropCount(oob []byte) (uint32, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return uint32(m.Data[0]) | uint32(m.Data[1])<<8 | uint32(m.Data[2])<<16 | uint32(m.Data[3])<<24, true
		}
	}
	return 0, false
}

// trimFrame drops trailing newlines and NULs that some senders add.
func trimFrame(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}

func (s *Syslog) acceptTCP(ctx context.Context, wg *sync.WaitGroup, conns *sync.Map) {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		conns.Store(c, true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			defer func() { _ = c.Close() }() // read side only
			if err := s.readTCP(ctx, c); err != nil {
				s.env.Metrics.Dropped.WithLabelValues(s.opts.Name, "bad_frame").Inc()
				s.env.Logger.Warn("syslog TCP connection dropped", "source", s.opts.Name, "remote", c.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

// maxFrame is the largest octet-counted frame accepted.
const maxFrame = parse.MaxLineBytes

// readTCP reads frames until EOF.
func (s *Syslog) readTCP(ctx context.Context, c net.Conn) error {
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		text, err := nextFrame(br)
		if err != nil {
			return eofOK(err)
		}
		text = trimFrame(text)
		if len(text) == 0 {
			continue
		}
		if !s.q.put(ctx, queued{text: text, logName: "tcp"}) {
			return nil
		}
	}
}

// nextFrame reads one syslog frame (RFC 6587): octet-counted when it starts
// with a digit ("123 <34>1 …"), else up to the next newline. The returned
// slice is the caller's.
func nextFrame(br *bufio.Reader) ([]byte, error) {
	first, err := br.Peek(1)
	if err != nil {
		return nil, err
	}
	if first[0] >= '0' && first[0] <= '9' {
		lenText, err := br.ReadSlice(' ')
		if err != nil {
			return nil, fmt.Errorf("octet count: %w", err)
		}
		if len(lenText) > 8 {
			return nil, errors.New("octet count too long")
		}
		n, err := strconv.Atoi(string(lenText[:len(lenText)-1]))
		if err != nil || n <= 0 || n > maxFrame {
			return nil, fmt.Errorf("octet count %q is not a length", lenText)
		}
		text := make([]byte, n)
		if _, err := io.ReadFull(br, text); err != nil {
			return nil, fmt.Errorf("frame of %d bytes: %w", n, err)
		}
		return text, nil
	}
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxFrame+1 {
			return nil, errors.New("line longer than the frame limit")
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

func eofOK(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
