#!/bin/sh
# Same argument handling as the official image's entrypoint: `agent ...` gets the image's data and
# config dirs; any other consul subcommand runs as `consul SUBCOMMAND ...`; anything else is exec'd.
set -e
case "${1:-}" in
  -*) set -- consul "$@" ;;
esac
if [ "${1:-}" = agent ]; then
  shift
  set -- consul agent -data-dir="$CONSUL_DATA_DIR" -config-dir="$CONSUL_CONFIG_DIR" "$@"
elif [ "${1:-}" = version ]; then
  set -- consul "$@"
elif [ -n "${1:-}" ] && consul --help "$1" 2>&1 | grep -q "consul $1"; then
  set -- consul "$@"
fi
exec "$@"
