#!/usr/bin/env bash
# carta run's scoring of out-of-fold predictions end to end (src/run/scoring.c): binary curves
# (decision curve, smoothed calibration), bootstrap intervals from validation.bootstrap,
# random-effects pooling over studies under leave-one-study-out, and for survival models (a
# stratified Cox model and an xgboost survival:cox booster) the IPCW Brier score at the horizons,
# the integrated Brier score and calibration at a horizon; an AFT booster's discrimination on the
# risk scale; reruns give identical cards.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 14 --patients 1400 --seed 11 "$work/synth" || fail "simulate"
mkdir -p "$work/configs"
sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
    -e 's|"output": "../models/crs_severe"|"output": "../runs/crs"|' -e 's|"rounds": 200|"rounds": 10|' \
    -e 's|"scheme": "leave_one_study_out"|"scheme": "leave_one_study_out", "bootstrap": 30|' \
    configs/crs_severe.json > "$work/configs/crs.json"
sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
    -e 's|"output": "../models/os_by_product"|"output": "../runs/os"|' \
    -e 's|"scheme": "kfold", "folds": 5|"scheme": "kfold", "folds": 3, "bootstrap": 30|' \
    -e 's|{ "name": "cox_by_trial", "type": "cox", "strata": \["STUDYID"\] }|{ "name": "cox_by_trial", "type": "cox", "strata": ["STUDYID"] }, { "name": "gbm_cox", "type": "xgboost", "params": { "objective": "survival:cox", "max_depth": 2 }, "rounds": 10 }, { "name": "gbm_aft", "type": "xgboost", "params": { "objective": "survival:aft", "max_depth": 2 }, "rounds": 10 }|' \
    configs/os_by_product.json > "$work/configs/os.json"
grep -q '"bootstrap": 30' "$work/configs/crs.json" || fail "crs config edit"
grep -q 'gbm_aft' "$work/configs/os.json" && grep -q '"bootstrap": 30' "$work/configs/os.json" || fail "os config edit"
cd "$work/configs"
"$CARTA" run -q crs.json || fail "run crs"
"$CARTA" run -q os.json || fail "run os"
PY=/usr/bin/python3
"$PY" - ../runs/crs/card.json ../runs/os/card.json <<'PYEOF' || fail "card contents"
import json, sys
def metrics(card, model):
    m = [x for x in card["models"] if x["name"] == model][0]
    return m["validation"]["metrics"], m["validation"]["curves"]
def find(ms, name, slice_prefix):
    return [x for x in ms if x["name"] == name and x["slice"].startswith(slice_prefix)]
crs = json.load(open(sys.argv[1]))
for model in ("logit", "gbm"):
    ms, cu = metrics(crs, model)
    dc = cu["decision_curve"]
    assert len(dc["threshold"]) == 50 and len(dc["model"]) == 50 and len(dc["treat_all"]) == 50, model
    assert abs(dc["threshold"][0] - 0.01) < 1e-12 and abs(dc["threshold"][-1] - 0.5) < 1e-12
    sm = cu["calibration"]["smoothed"]
    assert 2 <= len(sm["predicted"]) <= 100 and len(sm["predicted"]) == len(sm["observed"])
    assert sm["predicted"] == sorted(sm["predicted"])
    for name in ("ici", "e50", "e90", "net_benefit"):
        for x in find(ms, name, ""):
            assert x["ci_method"] == "bootstrap" and x["lower"] <= x["upper"], (model, x)
    pooled = find(ms, "auc", "pooled")
    assert len(pooled) == 1 and pooled[0]["ci_method"] == "DerSimonian-Laird", (model, pooled)
    studies = [x for x in ms if x["name"] == "auc" and x["slice"].startswith("STUDYID=")]
    assert len(studies) >= 2, studies
    assert min(s["value"] for s in studies) <= pooled[0]["value"] <= max(s["value"] for s in studies)
    for h in ("heterogeneity_q", "heterogeneity_p", "heterogeneity_i2", "heterogeneity_tau2"):
        assert len(find(ms, h, "studies")) == 1, (model, h)
    i2 = find(ms, "heterogeneity_i2", "studies")[0]["value"]
    assert 0 <= i2 <= 100
os_ = json.load(open(sys.argv[2]))
for model in ("cox_by_trial", "gbm_cox"):
    ms, cu = metrics(os_, model)
    bs = find(ms, "brier", "time=")
    assert len(bs) == 3 and all(0 < x["value"] < 0.5 and x["ci_method"] == "bootstrap" for x in bs), (model, bs)
    ibs = find(ms, "ibs", "time=")
    assert len(ibs) == 1 and 0 < ibs[0]["value"] < 0.5, (model, ibs)
    oe = find(ms, "observed_expected", "time=")
    assert len(oe) == 1 and 0.5 < oe[0]["value"] < 2, (model, oe)
    ch = cu["calibration_horizon"]
    k = len(ch["predicted"])
    assert k in (5, 10) and all(len(ch[key]) == k for key in ("observed", "lower", "upper", "n")), (model, ch)
    assert all(lo <= ob <= up for lo, ob, up in zip(ch["lower"], ch["observed"], ch["upper"]))
# AFT predictions are times (larger = better): their discrimination uses -prediction, so it is
# on the same side of 1/2 as the Cox model's; their survival probabilities come from the AFT
# distribution (no baseline), so they get Brier scores and the calibration at a horizon too.
ms, cu = metrics(os_, "gbm_aft")
cox_c = find(metrics(os_, "cox_by_trial")[0], "c_harrell", "overall")[0]["value"]
aft_c = find(ms, "c_harrell", "overall")[0]["value"]
assert cox_c > 0.55 and aft_c > 0.55, (cox_c, aft_c)
assert find(ms, "c_uno", "overall")[0]["value"] > 0.55
bs = find(ms, "brier", "time=")
assert len(bs) == 3 and all(0 < x["value"] < 1 and x["ci_method"] == "bootstrap" for x in bs), bs
assert len(find(ms, "ibs", "time=")) == 1 and "calibration_horizon" in cu
PYEOF
cp ../runs/os/card.json "$work/os1.json"
"$CARTA" run -q --force os.json || fail "rerun os"
cmp -s ../runs/os/card.json "$work/os1.json" || fail "bootstrap intervals differ between identical runs"
exit 0
