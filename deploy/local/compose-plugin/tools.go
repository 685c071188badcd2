//go:build tools

// Package tools only records the dependency on compose's main package so that `go mod tidy`
// keeps the full, checksummed module graph of the pinned compose in go.sum.
package tools

import _ "github.com/docker/compose/v2/cmd"
