#!/bin/sh
# nsplan's text in 2 MB pages, measured: bench/huge_text.sh [ROUNDS] [BUILD_DIR]
#
# Links BUILD_DIR's nsplan again from the same objects with its text and read-only data laid out
# on 2 MB boundaries (-z max-page-size=0x200000 and huge_text/pad.ld). Then times, with
# fixed_cost.sh, each layout from copies side by side in two states of the page cache: as
# written (folios no larger than the copy's writes, and after a reboot the exec's readahead
# reads small ones), and re-read in 2 MB folios (huge_text/recache.c), where the kernel can map
# each 2 MB of the 2 MB layout's text with one entry. Then time_split.sh of the default layout
# as written (what an installed nsplan runs as) and of the 2 MB layout re-read. A measurement,
# not a build option: docs/performance.md, "Text in 2 MB pages". Needs root, a CMake
# (Makefiles) build in BUILD_DIR (default build/), GNU ld, objcopy, cc, perf, python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rounds=30
case "${1:-}" in [0-9]*) rounds=$1; shift ;; esac
build=$(cd "${1:-$(dirname "$here")/build}" && pwd)
link=$build/CMakeFiles/nsplan.dir/link.txt
[ "$(id -u)" = 0 ] || { echo "bench/huge_text.sh: needs root" >&2; exit 2; }
if [ ! -f "$link" ] || [ ! -x "$build/nsplan" ]; then
  echo "bench/huge_text.sh: no CMake build of nsplan in $build" >&2
  exit 2
fi
[ "$(grep -c ' -o nsplan ' "$link")" = 1 ] || { echo "bench/huge_text.sh: $link is not one link of nsplan" >&2; exit 2; }

work=$(mktemp -d "$build/.huge-text-XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

# The same objects and libraries, two more options. The output and the script are the link's
# arguments, not its text (a path may hold a space). ld's warnings (getpwnam in a static program)
# are the normal build's too; shown only if the link fails.
# shellcheck disable=SC2016 # $1 and $2 are the link's own, expanded by its sh
relink=$(sed 's| -o nsplan | -o "$1" |' "$link")' -Wl,-z,max-page-size=0x200000 -Wl,-z,common-page-size=0x200000 -Wl,-T,"$2"'
(cd "$build" && sh -c "$relink" relink "$work/layout-2mb" "$here/huge_text/pad.ld" >"$work/link.log" 2>&1) ||
  { cat "$work/link.log" >&2; exit 1; }
objcopy --strip-debug "$work/layout-2mb"  # as the build does to nsplan (its debug info in nsplan.debug)
cp "$work/layout-2mb" "$work/layout-2mb-cache-as-written"
# Two names for one binary: copies.py tells the programs apart by path.
cp "$build/nsplan" "$work/layout-default-cache-as-written"
cp "$build/nsplan" "$work/layout-default"
cc -O2 -o "$work/recache" "$here/huge_text/recache.c"

export NSPLAN_BENCH_RECACHE="$work/recache"
export NSPLAN_BENCH_RECACHE_FOR="$work/layout-default:$work/layout-2mb"
sh "$here/fixed_cost.sh" "$rounds" "$work/layout-default-cache-as-written" "$work/layout-default" \
  "$work/layout-2mb-cache-as-written" "$work/layout-2mb"
echo
sh "$here/time_split.sh" "$rounds" "$work/layout-default-cache-as-written"
echo
sh "$here/time_split.sh" "$rounds" "$work/layout-2mb"
