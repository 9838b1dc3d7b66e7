package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/ruletest"
)

func newTestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Test rules and detectors against test cases written as files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "rules DIR",
		Short: "Run the *.test.yml cases under DIR against DIR's Sigma rules and vigil's detectors",
		Long: `test rules runs test cases written as files, the way 'promtool test rules' does.
Every *.test.yml file under DIR holds cases: log lines in (and optionally a
history to learn baselines from first), the alerts expected out. The Sigma
rules are the other *.yml files under DIR; vigil's detectors always run.

  tests:
    - name: nine wrong passwords from one address
      learn: |          # optional: history, raises nothing
        ...log lines...
      input: |
        ...log lines...
      # or: input_file: path relative to the test file ($VARS expanded)
      geoip: sim        # optional: the simulated clinic's GeoIP databases
      config:           # optional: detector thresholds for this case
        day_floor: 30
      rules: [brute-force-source]   # compare only these rules' alerts
      expect:           # every field given must match; all alerts of the
        - rule: brute-force-source  #   compared rules must be expected
          severity: medium
          src_ip: 127.68.9.9
          count: 8
          time: 2026-06-10T03:02:42Z
          summary: "part of the summary"
          uids: "1:3"
      absent: [password-spray]      # rules that must raise nothing

vigil's own cases are in rules/tests/. Exit status: 0 all passed, 1 a case
failed, 2 a test file could not be read.`,
		Example: `  vigil test rules rules/
  vigil test rules /etc/vigil/rules`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("'vigil test rules' needs one directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTestRules(cmd.OutOrStdout(), args[0])
		},
	})
	return cmd
}

func runTestRules(w io.Writer, dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("%s is not a directory", dir)
	}
	results, err := ruletest.Run(os.DirFS(dir), ".", dir)
	if err != nil && (errors.Is(err, ruletest.ErrTestFile) || len(results) == 0) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		status := "PASS"
		if len(r.Failures) > 0 {
			status = "FAIL"
			failed++
		}
		if _, err := fmt.Fprintf(w, "%s  %s: %s\n", status, r.File, r.Name); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		for _, f := range r.Failures {
			_, _ = fmt.Fprintf(w, "      %s\n", f) // the first write succeeded; the count below reports the result
		}
	}
	_, _ = fmt.Fprintf(w, "%d of %d cases passed\n", len(results)-failed, len(results))
	if failed > 0 {
		return errFindings
	}
	return nil
}
