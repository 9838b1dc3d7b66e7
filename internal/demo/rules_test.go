package demo

import (
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/rules"
)

// sigmaRules are vigil's own Sigma rules, as serve loads them by default.
func sigmaRules() ([]detect.EventRule, error) {
	rs, err := sigma.Load(rules.FS, ".")
	if err != nil {
		return nil, err
	}
	return detect.Rules(rs), nil
}
