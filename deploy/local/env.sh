# Sourced first by every stack script (stack.sh, tools/*.sh): where the project, its
# deployment files and its state live, then the shared functions of lib.sh.
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(cd "$DEPLOY_DIR/../.." && pwd)
STACK_DIR=${STACK_DIR:-$PROJECT_DIR/.stack}
export DEPLOY_DIR PROJECT_DIR STACK_DIR
mkdir -p "$STACK_DIR"
. "$DEPLOY_DIR/lib.sh"
