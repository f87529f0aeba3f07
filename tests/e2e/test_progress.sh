#!/usr/bin/env bash
# Progress lines: on a terminal (util-linux `script` gives the run a pseudo-terminal) `carta run`
# shows the split and the boosting round in place; redirected to a file, and with --quiet, it
# shows no progress at all.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: util-linux script is absent (no pseudo-terminal)"; exit 77; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 2 --patients 100 --seed 9 "$work/synth" || fail "simulate"
cd "$work"
cat > p.json <<JSON
{"name": "p", "seed": 2,
 "data": {"tables": {"adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
                     "adae": {"path": "synth/adae.csv"}}},
 "outcome": {"type": "binary", "event": "CRS", "grade_at_least": 3, "within_days": 28},
 "features": [{"name": "AGE"}],
 "models": [{"name": "gbm", "type": "xgboost", "rounds": 12, "params": {"max_depth": 2}}],
 "validation": {"scheme": "kfold", "folds": 3, "bootstrap": 0},
 "output": "OUT"}
JSON
sed 's/"OUT"/"tty"/' p.json > tty.json
script -qec "\"$CARTA\" run tty.json" /dev/null > tty.log 2>&1 || fail "run on a terminal: $(tail -3 tty.log)"
grep -q "split 3 of 3" tty.log || fail "no split progress on a terminal"
grep -q "boosting round 12 of 12" tty.log || fail "no boosting progress on a terminal"
sed 's/"OUT"/"file"/' p.json > file.json
"$CARTA" run file.json 2> file.log || fail "run to a file"
grep -q "round\|split [0-9]" file.log && fail "progress written to a file: $(cat file.log)"
sed 's/"OUT"/"quiet"/' p.json > quiet.json
script -qec "\"$CARTA\" run -q quiet.json" /dev/null > quiet.log 2>&1 || fail "run --quiet"
grep -q "round\|split" quiet.log && fail "--quiet still shows progress: $(cat quiet.log)"
cmp -s tty/predictions.csv file/predictions.csv || fail "progress changed the predictions"
echo "progress: ok"
