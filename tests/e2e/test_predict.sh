#!/usr/bin/env bash
# carta predict end to end: a small synthetic cohort, a binary run (logistic + xgboost) and a
# survival run (Cox + xgboost survival:cox) with plain ADSL features, then predicting the ADSL
# file: logistic and xgboost predictions equal the run's full-data predictions in
# predictions.csv byte for byte; Cox adds lp and S(t) columns; refusal to overwrite; a missing
# column and an unknown level are named errors (exit 1), with nothing written.
set -u
fail() { echo "FAIL: $*"; exit 1; }
"$CARTA" predict --help >/dev/null 2>&1 || "$CARTA" 2>&1 | grep -q 'predict' || { echo "carta predict is not wired into this binary"; exit 77; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 4 --patients 400 --seed 17 "$work/synth" || fail "simulate"
cd "$work"
cat > bin.json <<JSON
{"name": "p_bin", "seed": 5,
 "data": {"tables": {
   "studies": {"path": "synth/studies.csv", "schema": "$root/data-schemas/studies.json"},
   "adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
   "adae": {"path": "synth/adae.csv", "schema": "$root/data-schemas/adae.json"},
   "adlb": {"path": "synth/adlb.csv", "schema": "$root/data-schemas/adlb.json"}},
   "harmonize": {"crs_scale": "ASTCT", "mapping_bound": "point", "units": "conventional"}},
 "outcome": {"type": "binary", "event": "CRS", "grade_at_least": 2, "within_days": 28},
 "features": [{"name": "AGE"}, {"name": "PRODUCT", "type": "categorical", "reference": "axi-cel"},
   {"name": "TUMBURD", "type": "categorical", "reference": "LOW"}, {"name": "DOSE", "transform": "log"}],
 "missing": {"strategy": "median", "indicators": true},
 "models": [{"name": "logit", "type": "logistic"},
   {"name": "gbm", "type": "xgboost", "params": {"objective": "binary:logistic", "max_depth": 2}, "rounds": 15}],
 "output": "run_bin"}
JSON
cat > surv.json <<JSON
{"name": "p_surv", "seed": 5,
 "data": {"tables": {"adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
                     "adtte": {"path": "synth/adtte.csv"}}},
 "outcome": {"type": "survival", "time": "AVAL", "event": "CNSR == 0", "table": "adtte", "paramcd": "OS"},
 "features": [{"name": "AGE", "from": "adsl"}, {"name": "PRODUCT", "from": "adsl", "type": "categorical", "reference": "axi-cel"}],
 "models": [{"name": "cox", "type": "cox"},
   {"name": "gbm_cox", "type": "xgboost", "params": {"objective": "survival:cox", "max_depth": 2}, "rounds": 15}],
 "output": "run_surv"}
JSON
"$CARTA" run -q bin.json || fail "run bin.json"
"$CARTA" run -q surv.json || fail "run surv.json"

# Same text as the run's prediction for every subject the run scored (joined on USUBJID).
same() { # run model
  "$CARTA" predict "$1" synth/adsl.csv --model "$2" --out "p_$2.csv" || fail "predict $1 $2"
  awk -F, -v m="$2" 'NR == FNR { if ($4 == m) want[$2] = $5; next }
       FNR == 1 { for (k = 1; k <= NF; k++) { if ($k == "USUBJID") u = k; if ($k == "prediction") p = k }; next }
       ($u in want) { n++; if ($p != want[$u]) { print "mismatch " $u ": " $p " vs " want[$u]; bad = 1 } }
       END { if (n < 300) { print "only " n " compared"; bad = 1 }; exit bad }' "$1/predictions.csv" "p_$2.csv" \
    || fail "predict $2 differs from the run's predictions"
}
same run_bin logit
same run_bin gbm
same run_surv gbm_cox

"$CARTA" predict run_surv synth/adsl.csv --model cox --out p_cox.csv || fail "predict cox"
head -1 p_cox.csv | grep -q '^STUDYID,USUBJID,row,prediction,lp,surv_[0-9.]*,surv_[0-9.]*,surv_[0-9.]*,note$' \
  || fail "cox header: $(head -1 p_cox.csv)"

# Default model = the first predictive one; stdout without --out.
"$CARTA" predict run_bin synth/adsl.csv > p_default.csv || fail "predict to stdout"
cmp -s p_default.csv p_logit.csv || fail "default model is not the first predictive model"

# Never overwrite without --force.
"$CARTA" predict run_bin synth/adsl.csv --out p_logit.csv 2>/dev/null; [ $? = 3 ] || fail "overwrite without --force must exit 3"
"$CARTA" predict run_bin synth/adsl.csv --out p_logit.csv --force || fail "--force"

# A missing column and an unknown level: exit 1, the feature named, nothing written.
cut -d, -f1-8,10- synth/adsl.csv > noproduct.csv
"$CARTA" predict run_bin noproduct.csv --out bad.csv 2> err.txt; [ $? = 1 ] || fail "missing column must exit 1"
grep -q PRODUCT err.txt || fail "missing column not named: $(cat err.txt)"
[ ! -e bad.csv ] || fail "output written on error"
sed '3s/,axi-cel,/,zeta-cel,/; 3s/,tisa-cel-LBCL,/,zeta-cel,/; 3s/,liso-cel,/,zeta-cel,/' synth/adsl.csv > newlevel.csv
grep -q zeta-cel newlevel.csv || fail "test setup: no level replaced"
"$CARTA" predict run_bin newlevel.csv --out bad.csv 2> err.txt; [ $? = 1 ] || fail "unknown level must exit 1"
grep -Eq 'PRODUCT|zeta-cel' err.txt || fail "unknown level not named: $(cat err.txt)"
exit 0
