package main

import (
	"github.com/spf13/cobra"
)

// pending is a command of PRODUCT.md that is not built yet: it says so plainly
// and exits 2, so scripts never mistake it for a run that found nothing.
type pending struct {
	use, short, issue string
}

var notBuilt = []pending{
	{"demo", "Replay a synthetic clinic breach through the real pipeline and show what vigil finds", "issue 8"},
	{"analyze", "Batch detection over log files (rotated and gzipped too)", "issue 4"},
	{"scan", "Find patient and personal data in mail stores and attachments", "issue 6"},
	{"exposure", "Which messages an incident exposed, and which patients are in them", "issue 6"},
	{"posture", "Patch posture of hosts from their package inventories", "issue 7"},
}

func (p pending) command() *cobra.Command {
	return &cobra.Command{
		Use:                p.use,
		Short:              p.short + " (not built yet)",
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErrorf("'vigil %s' is not built yet (tracked in %s); 'vigil parse' works today", p.use, p.issue)
		},
	}
}
