#!/usr/bin/env bash
# carta run / verify end to end on a small synthetic cohort: the run folder, byte-identical
# cards across reruns and thread counts, refusal to overwrite, verify passing and catching drift
# in results and in data.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 14 --patients 1400 --seed 11 "$work/synth" || fail "simulate"
mkdir -p "$work/configs"
sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
    -e 's|"output": "../models/crs_severe"|"output": "../runs/crs"|' \
    -e 's|"rounds": 200|"rounds": 20|' configs/crs_severe.json > "$work/configs/crs.json"
cd "$work/configs"

"$CARTA" run -q crs.json || fail "run"
for f in card.json card.md run.json predictions.csv design.json logit.coefficients.csv gbm.xgboost.json; do
  [ -s ../runs/crs/$f ] || fail "run folder lacks $f"
done
grep -q '"schema": "carta-model-card/1.0"' ../runs/crs/card.json || fail "card schema"
grep -q 'leave_one_study_out' ../runs/crs/card.json || fail "validation scheme in the card"
# No clock, host or absolute path in the card.
! grep -q "$work" ../runs/crs/card.json || fail "absolute path in card.json"
! grep -q "$(hostname)" ../runs/crs/card.json || fail "host name in card.json"
cp ../runs/crs/card.json "$work/card1.json"

# Without --force nothing is overwritten; with it, identical bytes, whatever the thread count.
"$CARTA" run -q crs.json 2>/dev/null; [ $? = 3 ] || fail "rerun without --force must exit 3"
cmp -s ../runs/crs/card.json "$work/card1.json" || fail "refused rerun changed the card"
"$CARTA" run -q --force --threads 2 crs.json || fail "rerun --threads 2"
cmp -s ../runs/crs/card.json "$work/card1.json" || fail "card differs with --threads 2"
"$CARTA" run -q --force --threads 1 crs.json || fail "rerun --threads 1"
cmp -s ../runs/crs/card.json "$work/card1.json" || fail "card differs with --threads 1"
[ -z "$(ls -d ../runs/crs.tmp-* ../runs/crs.old-* 2>/dev/null)" ] || fail "temporary folders left behind"

# verify passes on an untouched run ...
"$CARTA" verify -q ../runs/crs/card.json > "$work/verify.out" || fail "verify of an untouched run: $(cat "$work/verify.out")"
# ... and reports drift in a result as JSON pointer, old, new.
sed 's/"aic": \([0-9.]*\)/"aic": 1\1/' "$work/card1.json" > ../runs/crs/card.json
"$CARTA" verify -q ../runs/crs/card.json > "$work/verify.out"; rc=$?
[ $rc = 1 ] || fail "verify of a changed result must exit 1 (got $rc)"
grep -q '"pointer": "/models/0/result/aic"' "$work/verify.out" || fail "drift not reported: $(cat "$work/verify.out")"
cp "$work/card1.json" ../runs/crs/card.json
# ... and in the data, before refitting.
cp ../synth/studies.csv "$work/studies.csv"
echo "CART999,extra" >> ../synth/studies.csv
"$CARTA" verify -q ../runs/crs/card.json > "$work/verify.out"; rc=$?
[ $rc = 1 ] || fail "verify with changed data must exit 1 (got $rc)"
grep -q 'sha256' "$work/verify.out" || fail "changed data not named: $(cat "$work/verify.out")"
cp "$work/studies.csv" ../synth/studies.csv

# The elastic net as the config wires it: a vanishing penalty gives the maximum-likelihood fit,
# a large one keeps only the intercept.
python3 - "$work/configs/crs.json" "$work/configs/enet.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["models"] = [{"name": "logit", "type": "logistic"},
               {"name": "tiny", "type": "logistic", "lambda": 1e-9, "alpha": 1},
               {"name": "huge", "type": "logistic", "lambda": 10, "alpha": 0.5}]
c.pop("validation", None)
c["output"] = "../runs/enet"
json.dump(c, open(sys.argv[2], "w"))
PY
"$CARTA" run -q enet.json || fail "run with elastic-net models"
# One coefficient-table layout for every model (the exported notebook reads the se column).
[ "$(head -1 ../runs/enet/tiny.coefficients.csv)" = "term,coef,se" ] || fail "elastic-net coefficient table layout"
[ "$(head -1 ../runs/enet/logit.coefficients.csv)" = "term,coef,se" ] || fail "logistic coefficient table layout"
python3 - ../runs/enet/card.json <<'PY' || fail "elastic-net coefficients"
import json, sys
m = {x["name"]: x["result"] for x in json.load(open(sys.argv[1]))["models"]}
ml = {t["term"]: t["coef"] for t in m["logit"]["coefficients"]}
se = {t["term"]: t["se"] for t in m["logit"]["coefficients"]}
for t in m["tiny"]["coefficients"]:
    # Terms the data barely identify (a product with almost no adults: quasi-separation, the
    # maximum-likelihood coefficient runs off with a huge standard error) are left out.
    if se[t["term"]] > 5:
        continue
    assert abs(t["coef"] - ml[t["term"]]) <= 1e-4 * max(1, abs(ml[t["term"]])), (t, ml[t["term"]])
assert all(t["coef"] == 0 for t in m["huge"]["coefficients"] if t["term"] != "(Intercept)")
assert m["huge"]["df"] == 0
PY
exit 0
