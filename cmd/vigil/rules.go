package main

import (
	"os"

	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/rules"
)

// loadRules compiles the Sigma rules to run: dir's, or vigil's own.
func loadRules(dir string, none bool) ([]detect.EventRule, error) {
	if none {
		return nil, nil
	}
	var rs []*sigma.Rule
	var err error
	if dir == "" {
		rs, err = sigma.Load(rules.FS, ".")
	} else {
		rs, err = sigma.Load(os.DirFS(dir), ".")
	}
	if err != nil {
		return nil, usageErrorf("rules: %v", err)
	}
	return detect.Rules(rs), nil
}
