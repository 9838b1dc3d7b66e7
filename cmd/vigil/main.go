// Command vigil watches a mail server's own logs for account compromise and
// mailbox exfiltration, says which messages and patients an attacker saw,
// audits patch posture and runs the incident paperwork.
//
// This package only parses flags and wires the internal packages together;
// the work is done under internal/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, as PRODUCT.md fixes them.
const (
	exitOK       = 0
	exitFindings = 1 // findings, where a flag asks for it; also runtime failures
	exitUsage    = 2
)

// errUsage marks an error as the user's: wrong flags, missing files, a
// command not built yet. The CLI exits 2 for it.
var errUsage = errors.New("usage")

// usageErrorf returns an error that wraps errUsage.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the exit code.
func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	return exitCode(root.Execute(), os.Stderr)
}

// exitCode reports err on w and maps it to the exit code.
func exitCode(err error, w io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.Is(err, errUsage), strings.HasPrefix(err.Error(), "unknown command "): // cobra's, for a mistyped command
		_, _ = fmt.Fprintln(w, "vigil:", trimUsage(err)) // nowhere left to report a failed write to stderr
		return exitUsage
	default:
		_, _ = fmt.Fprintln(w, "vigil:", err) // as above
		return exitFindings
	}
}

// errFindings is returned by commands whose flags ask for exit status 1 on findings.
var errFindings = errors.New("findings")

func trimUsage(err error) string {
	msg := err.Error()
	const p = "usage: "
	if len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "vigil",
		Short: "Watch a mail server's logs for account compromise and mailbox exfiltration",
		Long: `vigil reads a mail server's own logs (Dovecot, Postfix, Roundcube), alerts on
account compromise and mailbox exfiltration, says exactly which messages an
attacker read and which patients are in them, audits patch posture, and runs
the incident response.

Start with 'vigil demo', or 'vigil parse /var/log/mail.log' to see how vigil
reads your logs.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %w", errUsage, err)
	})
	root.AddCommand(newParseCmd())
	root.AddCommand(newPostureCmd())
	root.AddCommand(newInventoryCmd())
	root.AddCommand(newAnalyzeCmd())
	root.AddCommand(newLearnCmd())
	root.AddCommand(newTestCmd())
	root.AddCommand(newScanCmd())
	root.AddCommand(newExposureCmd())
	root.AddCommand(newServeCmd(), newConfigCmd(), newAlertsCmd())
	root.AddCommand(newDemoCmd())
	return root
}
