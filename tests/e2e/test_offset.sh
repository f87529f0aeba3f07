#!/usr/bin/env bash
# Model offsets end to end (`"offset": COLUMN` on cox and logistic models). With the offset
# OFF = AGE / 32 (exact in binary), the fit must equal the fit without it with AGE's coefficient
# lowered by exactly 1/32 (R's offset(): a term with coefficient 1), so:
# - Cox and logistic: AGE's coefficient shifts by 1/32, SEX's and the standard errors and
#   log-likelihoods are unchanged (1e-7; both fits converge to ~1e-10);
# - logistic: the full-data and out-of-fold predictions (probabilities, offset included) equal
#   those without the offset, and so do the AUC and Brier score in the card;
# - Cox: `carta predict` gives the same lp and S(t) with and without the offset (so both include
#   it), and the out-of-fold Brier scores and IBS are the same; logistic: the same probabilities
#   from `carta predict`;
# - card.md and card.html name the offset;
# - errors: an offset column missing from the table, or text, names /models/0/offset; a missing
#   offset value names the key and the row; `carta predict` with an offset model and no offset
#   column in the input names the column; nothing is written.
set -u
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
$PY - <<'PY' || fail "data"
import random, math
random.seed(3)
with open("t.csv", "w") as f:
    f.write("ID,T,D,Y,AGE,SEX,OFF,OFFTXT\n")
    for i in range(400):
        age = random.randint(35, 80); sex = random.randint(0, 1)
        lp = 0.04 * (age - 60) - 0.5 * sex
        t = -math.log(1 - random.random()) / (0.01 * math.exp(lp)); c = 150 * random.random()
        y = 1 if random.random() < 1 / (1 + math.exp(-(lp - 0.3))) else 0
        f.write(f"{i+1},{min(t, c):.6f},{int(t < c)},{y},{age},{sex},{age / 32!r},x{age}\n")
PY
cfg() { # name outcome models
cat > "$1.json" <<JSON
{"name": "$1", "seed": 4, "data": {"tables": {"t": {"path": "t.csv"}}},
 "outcome": $2,
 "features": [{"name": "AGE"}, {"name": "SEX"}],
 "models": [$3],
 "validation": {"scheme": "kfold", "folds": 3, "bootstrap": 0},
 "output": "out_$1"}
JSON
}
SURV='{"type": "survival", "time": "T", "event": "D == 1", "id": "ID"}'
BIN='{"type": "binary", "event": "Y == 1"}'
cfg cox0 "$SURV" '{"name": "cox", "type": "cox"}'
cfg cox1 "$SURV" '{"name": "cox", "type": "cox", "offset": "OFF"}'
cfg lg0 "$BIN" '{"name": "lg", "type": "logistic"}'
cfg lg1 "$BIN" '{"name": "lg", "type": "logistic", "offset": "OFF"}'
for c in cox0 cox1 lg0 lg1; do "$CARTA" run -q "$c.json" || fail "run $c"; done
"$CARTA" predict out_cox0 t.csv --model cox --time 30 --out p0.csv || fail "predict cox0"
"$CARTA" predict out_cox1 t.csv --model cox --time 30 --out p1.csv || fail "predict cox1"
"$CARTA" predict out_lg0 t.csv --model lg --out l0.csv || fail "predict lg0"
"$CARTA" predict out_lg1 t.csv --model lg --out l1.csv || fail "predict lg1"

$PY - <<'PY' || fail "offset identities"
import json, csv, math
def card(d): return json.load(open(d + "/card.json"))
def model(c, name): return [m for m in c["models"] if m["name"] == name][0]
def coefs(m):
    res = m["result"]
    return {t["term"]: t for t in res["coefficients"]}
def close(a, b, tol, what):
    if not abs(a - b) <= tol * max(1.0, abs(b)): raise SystemExit(f"{what}: {a!r} vs {b!r}")
for a, b, name in (("out_cox0", "out_cox1", "cox"), ("out_lg0", "out_lg1", "lg")):
    m0, m1 = model(card(a), name), model(card(b), name)
    c0, c1 = coefs(m0), coefs(m1)
    close(c1["AGE"]["coef"], c0["AGE"]["coef"] - 1 / 32, 1e-7, name + " AGE shifted by 1/32")
    close(c1["SEX"]["coef"], c0["SEX"]["coef"], 1e-7, name + " SEX")
    for t in ("AGE", "SEX"): close(c1[t]["se"], c0[t]["se"], 1e-6, name + " se " + t)
    if m1["spec"]["offset"] != "OFF": raise SystemExit("spec.offset not in the card")
    mm0 = {(x["name"], x.get("slice")): x["value"] for x in m0["validation"]["metrics"]}
    mm1 = {(x["name"], x.get("slice")): x["value"] for x in m1["validation"]["metrics"]}
    # (Cox: only the probability scores; the pooled out-of-fold linear predictors of the two
    # runs differ by a constant per fold, the offset's share of the centring)
    names = ("brier", "ibs") if name == "cox" else ("auc", "brier")
    shared = [k for k in mm0 if k in mm1 and mm0[k] is not None and k[0] in names]
    if not shared: raise SystemExit(name + ": no AUC or Brier metric to compare")
    for k in shared: close(mm1[k], mm0[k], 1e-7, f"{name} metric {k}")
# logistic: probabilities with the offset equal those without it
def preds(d):
    return list(csv.DictReader(open(d + "/predictions.csv")))
p0, p1 = preds("out_lg0"), preds("out_lg1")
cols = [k for k in p0[0] if k not in ("row", "split", "STUDYID", "USUBJID", "ID", "outcome", "time", "event") and k in p1[0]]
n = 0
for r0, r1 in zip(p0, p1):
    for k in cols:
        try: a, b = float(r0[k]), float(r1[k])
        except ValueError: continue
        close(b, a, 1e-8, "logistic prediction " + k); n += 1
if n < 400: raise SystemExit(f"only {n} logistic predictions compared")
# Cox: carta predict's lp and S(t) include the offset
q0, q1 = list(csv.DictReader(open("p0.csv"))), list(csv.DictReader(open("p1.csv")))
for r0, r1 in zip(q0, q1):
    close(float(r1["lp"]), float(r0["lp"]), 1e-8, "predict lp")
    close(float(r1["surv_30"]), float(r0["surv_30"]), 1e-8, "predict S(30)")
# logistic: carta predict's probabilities include the offset too
l0, l1 = list(csv.DictReader(open("l0.csv"))), list(csv.DictReader(open("l1.csv")))
if len(l0) != 400 or len(l1) != 400: raise SystemExit("logistic predict: not 400 rows")
for r0, r1 in zip(l0, l1): close(float(r1["prediction"]), float(r0["prediction"]), 1e-8, "predict logistic")
PY

# the card says so
grep -qF 'Offset: `OFF`, added to the linear predictor' out_cox1/card.md || fail "card.md does not show the offset"
grep -qF 'Offset: <code>OFF</code>' out_lg1/card.html || fail "card.html does not show the offset"
grep -qF 'Offset:' out_cox0/card.md && fail "card.md shows an offset the model does not have"

# bad input: named errors, exit 2 (configuration) / 1 (data), no run folder left
bad() { # name models expected-exit expected-text
  cfg "$1" "$SURV" "$2"
  out=$("$CARTA" run -q "$1.json" 2>&1); rc=$?
  [ "$rc" = "$3" ] || fail "$1: exit $rc, expected $3 ($out)"
  echo "$out" | grep -qF "$4" || fail "$1: message '$out' lacks '$4'"
  [ ! -e "out_$1" ] || fail "$1: left a run folder"
}
bad nocol '{"name": "cox", "type": "cox", "offset": "EXPO"}' 2 '/models/0/offset: no column EXPO in the analysis table'
bad txtcol '{"name": "cox", "type": "cox", "offset": "OFFTXT"}' 2 '/models/0/offset: column OFFTXT has type string: an offset must be numeric'
$PY - <<'PY'
rows = open("t.csv").read().splitlines()
h = rows[0].split(","); k = h.index("OFF")
r = rows[5].split(","); r[k] = ""; rows[5] = ",".join(r)
open("t.csv", "w").write("\n".join(rows) + "\n")
PY
out=$("$CARTA" run -q cox1.json --force 2>&1); rc=$?
[ "$rc" = 1 ] || fail "missing offset value: exit $rc ($out)"
echo "$out" | grep -q 'missing or infinite offset' || fail "missing offset value: '$out'"
echo "$out" | grep -q '/models/0/offset: column OFF: 1 row with a missing or infinite offset: row 5' || fail "missing offset value does not name the key and row: '$out'"
cut -d, -f1-6 t.csv > nooff.csv
out=$("$CARTA" predict out_cox1 nooff.csv --model cox --out p2.csv 2>&1); rc=$?
[ "$rc" != 0 ] || fail "predict without the offset column succeeded"
echo "$out" | grep -q 'offset: the input needs a numeric column OFF' || fail "predict without offset: '$out'"
[ ! -e p2.csv ] || fail "predict without offset wrote p2.csv"
echo "offset: ok"
