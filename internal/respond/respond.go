// Package respond is containment: on a critical exfiltration alert it ends
// the attacker's sessions on the mail server (`doveadm kick USER IP`, which
// Dovecot 2.3 supports: only that user's sessions from that address) and can
// add the address to a block-list file or an nftables set the user names.
// It is off unless configured; with DryRun it only says what it would do.
// Every action, done, dry or failed, is returned for the incident timeline.
//
// The package must not decide what is an alert, act on anything but the
// alert's own account and address, or run a command through a shell.
package respond

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// DefaultRules are the exfiltration rules a responder acts on.
var DefaultRules = []string{"mailbox-download", "mass-read-session", "mass-read-day", "session-read"}

// Options configure a Responder. Zero fields take defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the clock for the actions' times (default time.Now).
	Now func() time.Time
	// Doveadm is the doveadm binary (default "doveadm"); DoveadmConfig,
	// when set, is passed as -c (a private instance's dovecot.conf).
	Doveadm       string
	DoveadmConfig string
	// BlockFile, when set, gets each address appended on a line of its own.
	BlockFile string
	// NftSet, when set, is "FAMILY TABLE SET" (e.g. "inet filter vigil_block"):
	// each address is added with `nft add element`.
	NftSet string
	// MinSeverity is the least severity acted on (default Critical).
	MinSeverity alert.Severity
	// Rules are the alert rules acted on (default DefaultRules).
	Rules []string
	// DryRun prints what would be done to Out (default os.Stdout) and does nothing.
	DryRun bool
	Out    io.Writer
	// Timeout bounds each command (default 10 s).
	Timeout time.Duration
}

// Action is one containment step, for the incident's timeline.
type Action struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // kick, block-file, nft
	User    string    `json:"user,omitempty"`
	SrcIP   string    `json:"src_ip"`
	Command string    `json:"command"`
	DryRun  bool      `json:"dry_run,omitempty"`
	Result  string    `json:"result"`
	Err     string    `json:"error,omitempty"`
}

// Responder acts on alerts. It is safe for concurrent use.
type Responder struct {
	opts Options
	mu   sync.Mutex
	done map[string]bool // user+address already contained
}

// ErrNoAddress is returned for an alert without a valid source address.
var ErrNoAddress = errors.New("respond: alert has no valid source address")

// New returns a responder.
func New(opts Options) *Responder {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Doveadm == "" {
		opts.Doveadm = "doveadm"
	}
	if opts.MinSeverity == 0 {
		opts.MinSeverity = alert.Critical
	}
	if opts.Rules == nil {
		opts.Rules = DefaultRules
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Responder{opts: opts, done: map[string]bool{}}
}

// Wants reports whether a is an alert the responder acts on.
func (r *Responder) Wants(a *alert.Alert) bool {
	return a.Severity >= r.opts.MinSeverity && a.User != "" && slices.Contains(r.opts.Rules, a.Rule)
}

// Handle contains what a describes, once per account and address, and
// returns the actions taken (none when a is not for it).
func (r *Responder) Handle(ctx context.Context, a *alert.Alert) ([]Action, error) {
	if !r.Wants(a) {
		return nil, nil
	}
	ip, err := netip.ParseAddr(a.SrcIP)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrNoAddress, a.SrcIP)
	}
	ip = ip.Unmap()
	key := a.User + "\x00" + ip.String()
	r.mu.Lock()
	if r.done[key] {
		r.mu.Unlock()
		return nil, nil
	}
	r.done[key] = true
	r.mu.Unlock()

	var acts []Action
	args := []string{}
	if r.opts.DoveadmConfig != "" {
		args = append(args, "-c", r.opts.DoveadmConfig)
	}
	// "--" keeps a user name that starts with "-" from being read as an option.
	args = append(args, "kick", "--", a.User, ip.String())
	acts = append(acts, r.run(ctx, "kick", a.User, ip, r.opts.Doveadm, args...))
	if r.opts.BlockFile != "" {
		acts = append(acts, r.block(ip))
	}
	if r.opts.NftSet != "" {
		f := strings.Fields(r.opts.NftSet)
		if len(f) != 3 {
			acts = append(acts, Action{Time: r.opts.Now(), Kind: "nft", SrcIP: ip.String(), Err: "NftSet must be \"FAMILY TABLE SET\""})
		} else {
			acts = append(acts, r.run(ctx, "nft", "", ip, "nft", "add", "element", f[0], f[1], f[2], "{ "+ip.String()+" }"))
		}
	}
	var errs []error
	for _, act := range acts {
		if act.Err != "" {
			errs = append(errs, fmt.Errorf("respond %s %s: %s", act.Kind, act.SrcIP, act.Err))
		}
	}
	return acts, errors.Join(errs...)
}

func (r *Responder) run(ctx context.Context, kind, user string, ip netip.Addr, name string, args ...string) Action {
	act := Action{Time: r.opts.Now(), Kind: kind, User: user, SrcIP: ip.String(), Command: name + " " + strings.Join(args, " "), DryRun: r.opts.DryRun}
	if r.opts.DryRun {
		_, _ = fmt.Fprintf(r.opts.Out, "would run: %s\n", act.Command)
		act.Result = "dry run"
		return act
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput() //nolint:gosec // G204: fixed binaries, arguments are a parsed address and the account name, no shell
	act.Result = strings.TrimSpace(string(out))
	if err != nil {
		act.Err = err.Error()
	}
	r.opts.Logger.Info("containment", "kind", kind, "src_ip", act.SrcIP, "ok", err == nil)
	return act
}

func (r *Responder) block(ip netip.Addr) Action {
	act := Action{Time: r.opts.Now(), Kind: "block-file", SrcIP: ip.String(), Command: "append " + ip.String() + " to " + r.opts.BlockFile, DryRun: r.opts.DryRun}
	if r.opts.DryRun {
		_, _ = fmt.Fprintf(r.opts.Out, "would %s\n", act.Command)
		act.Result = "dry run"
		return act
	}
	f, err := os.OpenFile(r.opts.BlockFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644) //nolint:gosec // G302,G304: the file the user named; a block list others (fail2ban, nginx) read
	if err == nil {
		_, err = fmt.Fprintln(f, ip.String())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		act.Err = err.Error()
	} else {
		act.Result = "appended"
	}
	return act
}

// Entry is the action as a step of an incident's timeline.
func (a Action) Entry(alertID string) alert.Entry {
	d := a.Command
	if a.Result != "" {
		d += ": " + a.Result
	}
	return alert.Entry{Time: a.Time, Kind: a.Kind, Alert: alertID, Detail: d, DryRun: a.DryRun, Err: a.Err}
}
