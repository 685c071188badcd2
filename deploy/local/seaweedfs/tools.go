//go:build tools

// Package tools only records the dependency on the weed command so that `go mod tidy`
// keeps the full, checksummed module graph of the pinned SeaweedFS in go.sum.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
