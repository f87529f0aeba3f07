#!/usr/bin/env bash
# carta predict for xgboost survival models, end to end: a small synthetic cohort, a survival run
# with survival:cox and survival:aft models; the run folder holds gbm_cox.baseline.csv (and no
# baseline for the AFT model); predict writes prediction, lp and surv_<t> columns at --time
# values; predictions equal the run's full-data predictions; S(t) is in [0, 1] and does not
# increase with t; S(0) = 1.
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
exit 0
