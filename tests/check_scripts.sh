#!/bin/sh
# Every reviewed explain script must parse (sh -n) and pass shellcheck as POSIX sh.
set -eu
dir=$(dirname "$0")/golden
status=0
for f in "$dir"/*.sh; do
  sh -n "$f" || { echo "sh -n failed: $f"; status=1; }
  shellcheck -s sh "$f" || { echo "shellcheck failed: $f"; status=1; }
done
exit $status
