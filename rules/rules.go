// Package rules embeds vigil's own Sigma rules (the *.yml files beside this
// one), which 'vigil analyze' and the daemon run unless told otherwise.
//
// The package holds rule files only: it must not compile or evaluate them
// (internal/sigma does).
package rules

import "embed"

// FS holds the rule files at its root.
//
//go:embed *.yml
var FS embed.FS
