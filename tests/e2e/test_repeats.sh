#!/usr/bin/env bash
# Repeated k-fold end to end (small synthetic cohort, logistic and Cox, 3 folds x 3 repeats):
# - repeat 1 deals the same folds as plain k-fold with the same seed, so its discrimination
#   ("auc"/"c_harrell", slice "repeat=1") equals the k-fold run's overall value exactly;
# - every averaged card metric equals the mean of the per-repeat values, its interval their
#   2.5%/97.5% quantiles (R's type 7, recomputed here), ci_method "repeats";
# - predictions.csv: one row per subject, the mean of its out-of-fold predictions; its split
#   column lists its fold in every repeat ("repeat=1, fold=2; repeat=2, fold=1; ..."), repeat
#   1's fold being the k-fold run's; the full-data predictions equal the k-fold run's;
# - an AGE-only logistic model on a death indicator, refitted here (numpy IRLS) on every repeat's
#   recorded folds: per-repeat AUCs, their mean and quantiles, the mean Brier score and the
#   averaged out-of-fold predictions agree with carta's card and predictions.csv (1e-8);
# - the same seed gives the same card and predictions bytes.
set -u
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 3 --patients 150 --seed 11 "$work/synth" || fail "simulate"
cd "$work"
cfg() { # name scheme outcome-block models-block
cat > "$1.json" <<JSON
{"name": "$1", "seed": 9,
 "data": {"tables": {
   "studies": {"path": "synth/studies.csv", "schema": "$root/data-schemas/studies.json"},
   "adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
   "adae": {"path": "synth/adae.csv", "schema": "$root/data-schemas/adae.json"},
   "adlb": {"path": "synth/adlb.csv", "schema": "$root/data-schemas/adlb.json"},
   "adtte": {"path": "synth/adtte.csv"}},
   "harmonize": {"crs_scale": "ASTCT", "mapping_bound": "point", "units": "conventional"}},
 $3,
 "features": [{"name": "AGE", "from": "adsl"}, {"name": "PRODUCT", "from": "adsl", "type": "categorical", "reference": "axi-cel"}],
 "models": [$4],
 "validation": $2,
 "output": "out_$1"}
JSON
}
BIN='"outcome": {"type": "binary", "event": "CRS", "grade_at_least": 2, "within_days": 28}'
SURV='"outcome": {"type": "survival", "time": "AVAL", "event": "CNSR == 0", "table": "adtte", "paramcd": "OS"}'
REP='{"scheme": "repeated_kfold", "folds": 3, "repeats": 3}'
KF='{"scheme": "kfold", "folds": 3, "bootstrap": 0}'
cfg bin_rep "$REP" "$BIN" '{"name": "m", "type": "logistic"}'
cfg bin_kf "$KF" "$BIN" '{"name": "m", "type": "logistic"}'
cfg surv_rep "$REP" "$SURV" '{"name": "m", "type": "cox"}'
cfg surv_kf "$KF" "$SURV" '{"name": "m", "type": "cox"}'
for r in bin_rep bin_kf surv_rep surv_kf; do "$CARTA" run -q "$r.json" 2>err.txt || fail "run $r: $(cat err.txt)"; done
# An outcome and a model simple enough to refit here: death (CNSR == 0 in OS rows) by logistic
# regression on AGE (no missing values), refitted by IRLS in numpy on every repeat's folds as
# the split column records them; AUC by the Mann-Whitney statistic with midranks.
cat > simple_rep.json <<JSON
{"name": "simple_rep", "seed": 4,
 "data": {"tables": {"adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
                     "adtte": {"path": "synth/adtte.csv"}}},
 "outcome": {"type": "binary", "event": "CNSR == 0", "table": "adtte", "paramcd": "OS"},
 "features": [{"name": "AGE", "from": "adsl"}],
 "models": [{"name": "m", "type": "logistic"}],
 "validation": {"scheme": "repeated_kfold", "folds": 3, "repeats": 4},
 "output": "out_simple_rep"}
JSON
"$CARTA" run -q simple_rep.json 2>err.txt || fail "run simple_rep: $(cat err.txt)"
"$PY" - <<'PY' || fail "independent refit of every repeat"
import csv, json
import numpy as np
age = {r["USUBJID"]: float(r["AGE"]) for r in csv.DictReader(open("synth/adsl.csv"))}
dead = {r["USUBJID"]: float(r["CNSR"] == "0") for r in csv.DictReader(open("synth/adtte.csv")) if r["PARAMCD"] == "OS"}
pred = list(csv.DictReader(open("out_simple_rep/predictions.csv")))
ids = [r["USUBJID"] for r in pred]
x = np.array([[1.0, age[i]] for i in ids]); y = np.array([dead[i] for i in ids])
folds = [[p.split(", ")[1] for p in r["split"].split("; ")] for r in pred]
R = 4
assert all(len(f) == R for f in folds)
def irls(x, y):
    b = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-x @ b)); w = p * (1 - p)
        step = np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (y - p)); b += step
        if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(b))): break
    return b
def auc(y, p):  # Mann-Whitney with midranks
    order = np.argsort(p, kind="mergesort"); ranks = np.empty(len(p)); sp = p[order]; i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sp[j + 1] == sp[i]: j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1; i = j + 1
    n1 = y.sum(); n0 = len(y) - n1
    return (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
oof = np.zeros((R, len(ids))); aucs = []
for q in range(R):
    lab = np.array([f[q] for f in folds])
    for f in sorted(set(lab)):
        te = lab == f
        b = irls(x[~te], y[~te]); oof[q, te] = 1 / (1 + np.exp(-x[te] @ b))
    aucs.append(auc(y, oof[q]))
card = json.load(open("out_simple_rep/card.json"))["performance"]["metrics"]
over = [m for m in card if m["name"] == "auc" and m["slice"] == "overall"][0]
per = [m["value"] for m in card if m["name"] == "auc" and m["slice"].startswith("repeat=")]
tol = 1e-8
assert len(per) == R and all(abs(a - b) <= tol for a, b in zip(per, aucs)), (per, aucs)
assert abs(over["value"] - np.mean(aucs)) <= tol, (over, aucs)
lo, hi = np.quantile(aucs, [0.025, 0.975])  # numpy's default = R type 7
assert abs(over["lower"] - lo) <= tol and abs(over["upper"] - hi) <= tol, (over, lo, hi)
brier = [np.mean((oof[q] - y) ** 2) for q in range(R)]
ob = [m for m in card if m["name"] == "brier" and m["slice"] == "overall"][0]
assert abs(ob["value"] - np.mean(brier)) <= tol, (ob, brier)
mean_oof = oof.mean(axis=0)
got = np.array([float(r["oof_prediction"]) for r in pred])
assert np.max(np.abs(got - mean_oof)) <= 1e-10, np.max(np.abs(got - mean_oof))
PY

mkdir first && cp out_bin_rep/card.json out_bin_rep/card.md out_bin_rep/predictions.csv first/
"$CARTA" run -q --force bin_rep.json || fail "run bin_rep again"
for f in card.json card.md predictions.csv; do cmp -s "first/$f" "out_bin_rep/$f" || fail "$f differs between runs with the same seed"; done

"$PY" - out_bin_rep out_bin_kf auc out_surv_rep out_surv_kf c_harrell <<'PY' || fail "card metrics"
import csv, json, math, sys
def metrics(d):
    return json.load(open(d + "/card.json"))["performance"]["metrics"]
def q7(v, p):  # R's quantile type 7
    v = sorted(v); h = (len(v) - 1) * p; lo = math.floor(h)
    return v[lo] + (h - lo) * (v[min(lo + 1, len(v) - 1)] - v[lo])
def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
a = sys.argv[1:]
for rep, kf, head in ((a[0], a[1], a[2]), (a[3], a[4], a[5])):
    mr, mk = metrics(rep), metrics(kf)
    per = [m for m in mr if m["name"] == head and m["slice"].startswith("repeat=")]
    assert [m["slice"] for m in per] == ["repeat=1", "repeat=2", "repeat=3"], per
    kfv = [m for m in mk if m["name"] == head and m["slice"] == "overall"][0]["value"]
    assert per[0]["value"] == kfv, (rep, per[0]["value"], kfv)   # repeat 1 == plain k-fold
    vals = [m["value"] for m in per]
    assert len(set(vals)) > 1, "repeats should differ"
    over = [m for m in mr if m["name"] == head and m["slice"] == "overall"][0]
    assert over["ci_method"] == "repeats", over
    assert close(over["value"], sum(vals) / 3), (over, vals)
    assert close(over["lower"], q7(vals, 0.025)) and close(over["upper"], q7(vals, 0.975)), (over, vals)
    # every averaged metric carries "repeats", and no other interval method survives but the
    # per-repeat headline rows' own
    for m in mr:
        if not m["slice"].startswith("repeat="):
            assert m["ci_method"] == "repeats", m
            assert m["lower"] is None or m["lower"] <= m["value"] + 1e-12 <= m["upper"] + 2e-12, m
    assert len(mr) > 4, mr
    # predictions.csv: one out-of-fold mean per subject; full-data predictions as plain k-fold
    pr = list(csv.DictReader(open(rep + "/predictions.csv")))
    pk = {r["USUBJID"]: r for r in csv.DictReader(open(kf + "/predictions.csv"))}
    assert len(pr) == len(pk) and len({r["USUBJID"] for r in pr}) == len(pr)
    for r in pr:
        # the split column lists every repeat's fold; repeat 1's fold is the k-fold run's
        parts = r["split"].split("; ")
        assert len(parts) == 3 and all(p.startswith("repeat=%d, fold=" % (k + 1)) for k, p in enumerate(parts)), r
        assert parts[0].split(", ")[1] == pk[r["USUBJID"]]["split"], (r, pk[r["USUBJID"]])
        assert r["oof_prediction"] != "", r
        assert r["prediction"] == pk[r["USUBJID"]]["prediction"], r
    # the mean of three predictions lies no further from repeat 1's than the spread allows:
    # at least some subjects differ from the k-fold (repeat 1) prediction
    assert any(r["oof_prediction"] != pk[r["USUBJID"]]["oof_prediction"] for r in pr)
PY
# carta predict reads a repeated run as any other: the full-data model's predictions
"$CARTA" predict out_bin_rep synth/adsl.csv --model m --out p.csv >/dev/null 2>&1 || fail "predict on a repeated run"
[ "$(wc -l < p.csv)" -gt 100 ] || fail "predict wrote $(wc -l < p.csv) lines"
exit 0
