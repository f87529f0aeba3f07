#!/usr/bin/env bash
# carta describe: the cohort flow and Table 1 on a table whose summaries are known by hand
# (ages 1..10: mean 5.5, SD sqrt(55/6), median 5.5, quartiles 3.25 and 7.75 as R's quantile()).
set -u
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "USUBJID,AGE,SEX,ARM,Y"
  for i in 1 2 3 4 5 6 7 8 9 10; do
    sex=F; [ $((i % 3)) = 0 ] && sex=M
    arm=A; [ $i -gt 6 ] && arm=B
    echo "S$i,$i,$sex,$arm,$((i % 2))"
  done
  echo "S11,,F,B,1"
} > "$work/t.csv"
cat > "$work/c.json" <<'JSON'
{ "name": "d", "data": { "tables": { "t": { "path": "t.csv" } } },
  "cohort": { "where": "ARM == 'A' || ARM == 'B'" },
  "outcome": { "type": "binary", "event": "Y == 1" },
  "features": [ { "name": "AGE" }, { "name": "SEX", "type": "categorical" } ],
  "missing": { "strategy": "median" },
  "models": [ { "name": "m", "type": "logistic" } ] }
JSON
out=$("$CARTA" describe -q --json "$work/c.json") || fail "describe --json"
printf '%s' "$out" > "$work/out.json"
python3 - "$work/out.json" <<'PY' || exit 1
import json, math, sys
d = json.load(open(sys.argv[1]))
g = d["groups"][0]
assert g["n"] == 11, g["n"]
age = [v for v in g["variables"] if v["name"] == "AGE"][0]
checks = {"n": 10, "missing": 1, "mean": 5.5, "sd": math.sqrt(55 / 6), "median": 5.5, "q1": 3.25, "q3": 7.75, "min": 1, "max": 10}
for k, want in checks.items():
    assert abs(age[k] - want) <= 1e-12 * max(1, abs(want)), (k, age[k], want)
sex = [v for v in g["variables"] if v["name"] == "SEX"][0]
lv = {l["level"]: l["n"] for l in sex["levels"]}
assert lv == {"F": 8, "M": 3}, lv
assert d["flow"][0]["n"] == 11
PY
by=$("$CARTA" describe -q --by ARM "$work/c.json") || fail "describe --by"
printf '%s' "$by" | grep -q "ARM=A (n = 6)" || fail "group A: $by"
printf '%s' "$by" | grep -q "ARM=B (n = 5)" || fail "group B: $by"
"$CARTA" describe -q --by NOPE "$work/c.json" 2>/dev/null; [ $? = 2 ] || fail "--by an unknown column must exit 2"
exit 0
