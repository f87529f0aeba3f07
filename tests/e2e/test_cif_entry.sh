#!/usr/bin/env bash
# Cumulative incidence with delayed entry in a run: a competing-risks outcome with `start` and
# `id` reaches the Aalen-Johansen estimator (validated against R's multi-state survfit in the unit
# tests); entry at time 0 for everyone gives the same estimates as no entry column; late entry
# changes them; Gray's test, which has no delayed-entry form, is null; overlapping or inverted
# intervals are data errors naming the column.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 2 --patients 150 --seed 5 "$work/synth" || fail "simulate"
cd "$work"
# adtte with two entry columns: ZERO (0 for all) and LATE (half the time for every other row of
# a parameter with a positive time, else 0)
awk -F, -v OFS=, 'NR == 1 { print $0, "ZERO", "LATE"; next }
  { k[$3]++; late = (k[$3] % 2 == 0 && $5 > 0) ? $5 / 2 : 0; print $0, 0, late }' synth/adtte.csv > adtte_entry.csv
config() { # name start
  local start=""
  [ -n "$2" ] && start="\"start\": \"$2\", \"id\": \"USUBJID\","
  cat > $1.json <<JSON
{"name": "$1", "seed": 1,
 "data": {"tables": {"adsl": {"path": "synth/adsl.csv", "schema": "$root/data-schemas/adsl.json"},
                     "adtte": {"path": "adtte_entry.csv"}}},
 "outcome": {"type": "competing", $start "time": "AVAL", "cause": "EVNTDESC", "censor": "CENSORED",
             "table": "adtte", "paramcd": "TTCRS"},
 "models": [{"name": "cif", "type": "cif", "by": ["COSTIM"]}],
 "output": "$1"}
JSON
}
config plain ""; config zero ZERO; config late LATE
for c in plain zero late; do "$CARTA" run -q $c.json || fail "run $c.json"; done
estimates() { # times and incidence of every curve, then Gray's test
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
card = json.load(open(sys.argv[1] + "/card.json"))
res = [m for m in card["models"] if m["name"] == "cif"][0]["result"]
out = []
for cz in res["causes"]:
    for st in cz["strata"]:
        out.append((cz["cause"], st["label"], st["table"]["time"], st["table"]["cif"]))
print(json.dumps(out))
print("gray=" + json.dumps(res["causes"][0].get("gray")))
PY
}
p=$(estimates plain) || fail "read plain card"; z=$(estimates zero) || fail "read zero card"
l=$(estimates late) || fail "read late card"
[ "$(head -1 <<<"$p")" = "$(head -1 <<<"$z")" ] || fail "entry at 0 changed the estimates"
[ "$(head -1 <<<"$p")" != "$(head -1 <<<"$l")" ] || fail "late entry did not change the estimates"
tail -1 <<<"$p" | grep -q '^gray={' || fail "no Gray's test without entry: $(tail -1 <<<"$p")"
tail -1 <<<"$l" | grep -qx 'gray=null' || fail "Gray's test with delayed entry should be null: $(tail -1 <<<"$l")"
# stop <= start is a data error naming the time column
awk -F, -v OFS=, 'NR > 1 && $3 == "TTCRS" && !done { $(NF) = $5 + 1; done = 1 } { print }' adtte_entry.csv > bad.csv
sed 's/adtte_entry.csv/bad.csv/; s/"output": "late"/"output": "bad"/' late.json > bad.json
out=$("$CARTA" run -q bad.json 2>&1) && fail "stop <= start accepted"
grep -q "AVAL.*stop <= start" <<<"$out" || fail "message: $out"
[ ! -e bad ] || fail "a failed run left a folder"
echo "cif with delayed entry: ok"
