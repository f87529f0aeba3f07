#!/usr/bin/env bash
# carta predict for xgboost survival models, end to end: a small synthetic cohort, a survival run
# with survival:cox and survival:aft models; the run folder holds gbm_cox.baseline.csv (and no
# baseline for the AFT model); predict writes prediction, lp and surv_<t> columns at --time
# values; predictions equal the run's full-data predictions; S(t) is in [0, 1] and does not
# increase with t; S(0) = 1. Validated (5-fold), the AFT model's card has Brier scores at its
# horizons, which equal the IPCW Brier score (Graf et al. 1999, computed here) of its
# out-of-fold S(t) = 1 - F((log t - log prediction) / 0.8), F logistic as configured; a
# stratified elastic-net Cox model beside them gets Brier scores and O/E too.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 3 --patients 200 --seed 31 "$work/synth" || fail "simulate"
cd "$work"
cat > surv.json <<JSON
{"name": "ps_surv", "seed": 3,
 "data": {"tables": {"adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
                     "adtte": {"path": "synth/adtte.csv"}}},
 "outcome": {"type": "survival", "time": "AVAL", "event": "CNSR == 0", "table": "adtte", "paramcd": "OS"},
 "features": [{"name": "AGE", "from": "adsl"}, {"name": "PRODUCT", "from": "adsl", "type": "categorical", "reference": "axi-cel"}],
 "models": [{"name": "gbm_cox", "type": "xgboost", "params": {"objective": "survival:cox", "max_depth": 2}, "rounds": 10},
   {"name": "gbm_aft", "type": "xgboost", "params": {"objective": "survival:aft", "max_depth": 2,
     "aft_loss_distribution": "logistic", "aft_loss_distribution_scale": 0.8}, "rounds": 10}],
 "output": "run"}
JSON
"$CARTA" run -q surv.json || fail "run surv.json"
[ -f run/gbm_cox.baseline.csv ] || fail "no gbm_cox.baseline.csv in the run folder: $(ls run)"
[ ! -e run/gbm_aft.baseline.csv ] || fail "an AFT model needs no baseline file"
head -1 run/gbm_cox.baseline.csv | grep -qx 'time,n_risk,n_event,cumhaz' || fail "baseline header: $(head -1 run/gbm_cox.baseline.csv)"

for m in gbm_cox gbm_aft; do
  "$CARTA" predict run synth/adsl.csv --model $m --time 0 --time 90 --time 365 --out p_$m.csv || fail "predict $m"
  head -1 p_$m.csv | grep -qx 'STUDYID,USUBJID,row,prediction,lp,surv_0,surv_90,surv_365,note' \
    || fail "$m header: $(head -1 p_$m.csv)"
  awk -F, -v m=$m 'NR == FNR { if ($4 == m) want[$2] = $5; next }
       FNR == 1 { next }
       ($2 in want) { n++; if ($4 != want[$2]) { print "mismatch " $2; bad = 1 }
                      if ($6 != 1 || $7 > 1 || $7 < $8 || $8 < 0) { print "S(t) of " $2 ": " $6 " " $7 " " $8; bad = 1 } }
       END { if (n < 150) { print "only " n " compared"; bad = 1 }; exit bad }' run/predictions.csv p_$m.csv \
    || fail "predict $m: predictions or S(t) wrong"
done

# the same models under 5-fold validation
/usr/bin/python3 - <<'PY' || fail "validated config"
import json
c = json.load(open("surv.json"))
c["validation"] = {"scheme": "kfold", "folds": 5, "bootstrap": 0}
c["models"].append({"name": "enet_strat", "type": "cox", "lambda": 0.01, "alpha": 0.5, "strata": ["STUDYID"]})
c["output"] = "run_cv"
json.dump(c, open("surv_cv.json", "w"))
PY
"$CARTA" run -q surv_cv.json || fail "run surv_cv.json"
/usr/bin/python3 - <<'PY' || fail "AFT Brier scores in the card"
import csv, json, math
card = json.load(open("run_cv/card.json"))
ms = [m for m in card["performance"]["metrics"] if m["model"] == "gbm_aft"]
horizons = [float(m["slice"][5:]) for m in ms if m["name"] == "auc_t"]
brier = {float(m["slice"][5:]): m["value"] for m in ms if m["name"] == "brier"}
assert len(horizons) == 3 and sorted(brier) == horizons, (horizons, brier)
assert [m for m in ms if m["name"] == "ibs"] and [m for m in ms if m["name"] == "observed_expected"]
# the outcome of each subject and the AFT model's out-of-fold predicted time
ev = {}
for r in csv.DictReader(open("synth/adtte.csv")):
    if r["PARAMCD"] == "OS":
        ev[r["USUBJID"]] = (float(r["AVAL"]), 1 if r["CNSR"] == "0" else 0)
rows = [(ev[r["USUBJID"]], float(r["oof_prediction"])) for r in csv.DictReader(open("run_cv/predictions.csv"))
        if r["model"] == "gbm_aft" and r["oof_prediction"] != ""]
assert len(rows) >= 150, len(rows)
t = [x[0][0] for x in rows]; d = [x[0][1] for x in rows]; pred = [x[1] for x in rows]
# Kaplan-Meier of the censoring distribution; G(s) right-continuous, G(s-) just before s
cens_times = sorted(set(ti for ti, di in zip(t, d) if di == 0))
G_steps, g = [], 1.0
for c in cens_times:
    at_risk = sum(1 for ti in t if ti >= c)
    g *= 1 - sum(1 for ti, di in zip(t, d) if ti == c and di == 0) / at_risk
    G_steps.append((c, g))
def G(s, before=False):
    v = 1.0
    for c, gv in G_steps:
        if c < s or (c == s and not before): v = gv
    return v
def S(p, s):  # 1 - logistic cdf of (log s - log p) / 0.8
    z = (math.log(s) - math.log(p)) / 0.8
    return 1 / (1 + math.exp(z))
for h in horizons:
    tot = 0.0
    for ti, di, p in zip(t, d, pred):
        if ti <= h and di == 1: tot += S(p, h) ** 2 / G(ti, before=True)
        elif ti > h: tot += (1 - S(p, h)) ** 2 / G(h)
    bs = tot / len(t)
    assert abs(bs - brier[h]) <= 1e-6 * max(1, abs(bs)), (h, bs, brier[h])
# a stratified elastic-net Cox model: Breslow's baseline per stratum gives its probabilities
en = [m for m in card["performance"]["metrics"] if m["model"] == "enet_strat"]
assert len([m for m in en if m["name"] == "brier" and 0 < m["value"] < 0.5]) == 3, en
assert [m for m in en if m["name"] == "observed_expected" and 0.5 < m["value"] < 2], en
PY
exit 0
