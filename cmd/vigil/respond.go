package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/respond"
)

// respondFlags turn on containment (off by default).
type respondFlags struct {
	on            bool
	dryRun        bool
	doveadmConfig string
	blockFile     string
	nftSet        string
}

func (f *respondFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.on, "respond", false, "contain critical exfiltration alerts: doveadm kick of the account's sessions from the address (off by default)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "with --respond: print what containment would do (on stderr) and do nothing")
	fl.StringVar(&f.doveadmConfig, "doveadm-config", "", "with --respond: dovecot.conf for doveadm -c (a non-default instance)")
	fl.StringVar(&f.blockFile, "block-file", "", "with --respond: append each contained address to this file")
	fl.StringVar(&f.nftSet, "nft-set", "", `with --respond: add each contained address to this nftables set ("inet filter vigil_block")`)
}

// responder returns the configured responder, or nil when --respond is off.
func (f *respondFlags) responder(log *slog.Logger, stderr io.Writer) (*respond.Responder, error) {
	if !f.on {
		if f.dryRun || f.blockFile != "" || f.nftSet != "" || f.doveadmConfig != "" {
			return nil, usageErrorf("--dry-run, --block-file, --nft-set and --doveadm-config need --respond")
		}
		return nil, nil
	}
	return respond.New(respond.Options{Logger: log, DryRun: f.dryRun, Out: stderr, DoveadmConfig: f.doveadmConfig,
		BlockFile: f.blockFile, NftSet: f.nftSet}), nil
}

// contain runs the responder on a and keeps its actions for the incident timeline.
func contain(r *respond.Responder, stderr io.Writer, a *alert.Alert, done map[string][]alert.Entry) {
	if r == nil {
		return
	}
	acts, err := r.Handle(context.Background(), a)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "vigil: containment: %v\n", err) // stderr: the run goes on
	}
	for _, act := range acts {
		done[a.Incident] = append(done[a.Incident], act.Entry(a.ID))
	}
}
