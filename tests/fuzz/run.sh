#!/bin/sh
# Builds the fuzz targets with clang (ASan + UBSan + libFuzzer) and runs each for SECONDS
# (default 20), then replays the checked-in corpus. A long campaign: SECONDS=3600, or run one
# target by hand, e.g.
#   build-fuzz/tests/fuzz/fuzz_shell -max_total_time=3600 -jobs=2 /tmp/corpus tests/fuzz/corpus
# New crashes are written as crash-* files: add each to tests/fuzz/corpus/ once fixed.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-20}
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DNSPLAN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target fuzz_front_end fuzz_planner fuzz_shell fuzz_state fuzz_cgconfig
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in fuzz_front_end fuzz_planner fuzz_shell fuzz_state fuzz_cgconfig; do
  mkdir -p "$work/$target"
  echo "== $target: $seconds s"
  seeds="tests/fuzz/corpus profiles tests/diagnostics"
  dict=""
  [ "$target" = fuzz_state ] && seeds=tests/fuzz/corpus-state dict=-dict=tests/fuzz/fuzz_state.dict
  [ "$target" = fuzz_cgconfig ] && seeds=tests/cgconfig
  # shellcheck disable=SC2086
  build-fuzz/tests/fuzz/$target -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$work/" -print_final_stats=1 $dict "$work/$target" $seeds 2>&1 \
    | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==.*ERROR|SUMMARY)' || true
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | grep -q .; then
    echo "$target found a failing input:"; ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* . 2>/dev/null || true
    exit 1
  fi
done
ctest --test-dir build-fuzz --output-on-failure -L fuzz
