#!/usr/bin/env bash
# The synthetic cohort's survival model is known (truth.json): a stratified Cox fit through
# `carta run` on 8400 patients must recover its log hazard ratios for high tumour burden and log
# LDH within 3 standard errors (LDH's truth is 0.25 per SD of log LDH, SD 0.5: 0.5 per log unit).
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --patients 8400 --seed 99 "$work/synth" || fail simulate
mkdir "$work/configs"
sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
    -e 's|"output": "../models/os_by_product"|"output": "../run"|' \
    -e 's|"validation": { "scheme": "kfold", "folds": 5 },||' configs/os_by_product.json > "$work/configs/os.json"
"$CARTA" run -q "$work/configs/os.json" || fail run
# The Kaplan-Meier curve table beside the card: a header and one row per product and time.
[ "$(head -1 "$work/run/km_product.curves.csv")" = "group,time,n_risk,n_event,n_censor,surv,std_err,lower,upper,cumhaz,cumhaz_se" ] ||
  fail "km_product.curves.csv missing or malformed"
[ "$(cut -d, -f1 "$work/run/km_product.curves.csv" | sort -u | grep -c '^PRODUCT=')" = 7 ] || fail "curve table lacks a product"
python3 - "$work/run/card.json" "$work/synth/truth.json" <<'PY' || exit 1
import json, sys
card, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
coef = truth["survival_model"]["coefficients"]
want = {"TUMBURDHIGH": coef["tumour_burden_high"], "log(LDH)": coef["z_log_ldh"] / truth["survival_model"]["log_ldh_sd"]}
cox = [m for m in card["models"] if m["type"] == "cox"][0]["result"]
for t in cox["coefficients"]:
    if t["term"] in want:
        z = abs(t["coef"] - want[t["term"]]) / t["se"]
        assert z < 3, (t["term"], t["coef"], want[t["term"]], t["se"])
        print(f"{t['term']}: {t['coef']:.4f} (truth {want[t['term']]:.4f}, {z:.2f} SE)")
PY
