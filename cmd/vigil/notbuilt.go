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
	{"serve", "Run the daemon: sources, detection, storage, web UI and API", "issue 3"},
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
