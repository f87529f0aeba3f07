#!/usr/bin/env bash
# End-to-end tests of the carta binary.
#  1. The bad-input catalogue, as data: each folder tests/bad-input/<case>/ holds the inputs, a
#     `cmd` file (one shell line, run inside a scratch copy of the folder, with $CARTA the binary
#     and $SHARED the shared data folder), `exit` (the expected exit code) and `message` (text
#     that must appear in stderr, fixed string). After the run no *.tmp file may be left behind.
#  2. Every tests/e2e/test_*.sh script (exit 0 = pass), run with the same variables.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
CARTA=$(cd "$root" && realpath "${CARTA_BIN:-build/rel/carta}")
SHARED=$(realpath "${CARTA_SHARED:-$root/../shared}" 2>/dev/null || echo "$root/../shared")
export CARTA SHARED
pass=0; fail=0; skip=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for dir in "$root"/tests/bad-input/*/; do
  [ -f "$dir/cmd" ] || continue
  name=$(basename "$dir")
  work="$scratch/$name"; cp -r "$dir" "$work"
  want_exit=$(cat "$dir/exit")
  if grep -q '\$SHARED' "$dir/cmd" && [ ! -d "$SHARED" ]; then
    echo "SKIP bad-input/$name: shared data folder absent"; skip=$((skip + 1)); continue
  fi
  got_err=$(cd "$work" && bash -c "$(cat cmd)" 2>&1 >/dev/null); got_exit=$?
  ok=1
  [ "$got_exit" = "$want_exit" ] || { echo "FAIL bad-input/$name: exit $got_exit, expected $want_exit"; ok=0; }
  if [ -f "$dir/message" ]; then
    while IFS= read -r line; do
      [ -z "$line" ] && continue
      printf '%s' "$got_err" | grep -qF -- "$line" || { echo "FAIL bad-input/$name: stderr lacks: $line"; ok=0; }
    done < "$dir/message"
  fi
  if [ -n "$(find "$work" -name '*.tmp' -print -quit)" ]; then echo "FAIL bad-input/$name: left a .tmp file"; ok=0; fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  stderr was: $got_err"; fi
done

for t in "$root"/tests/e2e/test_*.sh; do
  [ -f "$t" ] || continue
  out=$(cd "$root" && bash "$t" 2>&1); rc=$?
  if [ $rc = 0 ]; then pass=$((pass + 1));
  elif [ $rc = 77 ]; then skip=$((skip + 1)); echo "SKIP $(basename "$t"): $(printf '%s' "$out" | tail -n 1)";
  else fail=$((fail + 1)); echo "FAIL $(basename "$t")"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/  /'; fi
done

echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
