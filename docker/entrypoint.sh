#!/bin/sh
# Runs the DSKE program named by the first argument, with the remaining arguments:
#   hub [NAME] [flags]  |  client [NAME] [flags]  |  manager [args]  |  help
# Nodes read every setting from DSKE_* variables when no flag is given
# (DSKE_NAME, DSKE_PORT, DSKE_HOST, DSKE_HUBS, REDIS_URL, ...).
# Outside the image the apps are found relative to this script (the repository).
set -eu

app_dir="${DSKE_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"

usage() {
  echo "usage: entrypoint.sh hub|client|manager [arguments...]"
  echo "  hub [NAME] [--port P] ...       a DSKE hub     (--help for its flags)"
  echo "  client [NAME] [--port P] ...    a DSKE client  (--help for its flags)"
  echo "  manager [arguments...]          the DSKE manager CLI"
}

program="${1:-help}"
case "$program" in
  hub | client | manager)
    shift
    # exec: the node process gets the container's signals (SIGTERM on stop) directly.
    # The flags are NODE_RUNTIME_FLAGS of libs/topology, the environment NODE_RUNTIME_ENV, the nodes' file
    # NODE_PROGRAM_FILE (a test keeps them equal).
    if [ "$program" = manager ]; then file=dist/main.js; else file=dist/node.js; fi
    export MALLOC_ARENA_MAX=1
    exec node --max-semi-space-size=2 --expose-gc "$app_dir/apps/$program/$file" "$@"
    ;;
  help | -h | --help)
    usage
    ;;
  *)
    echo "entrypoint.sh: unknown program '$program'" >&2
    usage >&2
    exit 2
    ;;
esac
