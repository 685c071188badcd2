// Pins the docker compose v2 CLI plugin that the test suite uses to check deploy/compose.
// Compose's own go.mod has exclude directives, so `go install ...@version` is refused:
// this wrapper requires it at a fixed tag and repeats its exclude lines.
// Build (done by deploy/local/tools/docker-compose.sh):
//   CGO_ENABLED=0 go build -o $BIN_DIR/cli-plugins/docker-compose github.com/docker/compose/v2/cmd
module territorial-data-hub/deploy/local/compose-plugin

go 1.24.9

require github.com/docker/compose/v2 v2.40.3

// Copied from github.com/docker/compose/v2@v2.40.3's go.mod.
exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
