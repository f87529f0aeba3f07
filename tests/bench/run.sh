#!/usr/bin/env bash
# Runs every benchmark binary built into $1/bench/ (by `make bench`), one after the other, so
# that they do not compete for the cores. A benchmark is any executable file there; it is run
# from the repository root with no arguments and prints its own figures. To add one, write
# tests/bench/bench_<what>.c with a main(): the Makefile builds it into $1/bench/bench_<what>.
# Set CARTA_BENCH_ONLY=<name> to run just one (e.g. CARTA_BENCH_ONLY=bench_csv).
# Exit status: 0 when every benchmark ran and exited 0.
set -u
build=${1:?usage: tests/bench/run.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
[ -d "$build/bench" ] || { echo "bench: no $build/bench folder (run make bench)"; exit 1; }
failed=0; ran=0
for b in "$build"/bench/*; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  name=$(basename "$b")
  if [ -n "${CARTA_BENCH_ONLY:-}" ] && [ "$name" != "$CARTA_BENCH_ONLY" ]; then continue; fi
  echo "=== $name"
  start=$(date +%s)
  if "$b"; then status=ok; else status="FAILED ($?)"; failed=$((failed + 1)); fi
  ran=$((ran + 1))
  echo "=== $name: $status in $(( $(date +%s) - start )) s"
done
echo "bench: $ran run, $failed failed"
[ $failed = 0 ]
