//go:build tools

// Package tools only records the dependency on helm's main package so that `go mod tidy`
// keeps the full, checksummed module graph of the pinned helm in go.sum.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
