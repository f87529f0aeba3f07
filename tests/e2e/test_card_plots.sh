#!/usr/bin/env bash
# The run folder's plots and per-study table, end to end on a small synthetic cohort: every plot
# of card.html is also plots/<model>_<kind>.svg, a well-formed standalone SVG document (parsed
# with Debian's python3 xml.etree) whose <svg> element is the one card.html inlines; run.json
# lists exactly those files; card.json has data.studies with small counts suppressed, and the
# card validates against data-schemas/card.schema.json (python3-jsonschema).
set -u
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || { echo "Debian's python3 is absent: plots not checked"; exit 77; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$CARTA" simulate -q --trials 14 --patients 1400 --seed 11 "$work/synth" || fail "simulate"
mkdir -p "$work/configs"
for c in crs_severe os_by_product crs_onset_competing; do
  sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
      -e "s|\"output\": \"../models/$c\"|\"output\": \"../runs/$c\"|" \
      -e 's|"rounds": 200|"rounds": 20|' "configs/$c.json" > "$work/configs/$c.json"
  (cd "$work/configs" && "$CARTA" run -q "$c.json") || fail "carta run $c"
done

"$py" - "$work/runs" "$root/data-schemas/card.schema.json" <<'PY' || fail "plots or per-study table"
import json, os, sys, xml.etree.ElementTree as ET
runs, schema_path = sys.argv[1], sys.argv[2]
NS = "{http://www.w3.org/2000/svg}"
kinds = {}
for run in sorted(os.listdir(runs)):
    d = os.path.join(runs, run)
    listed = json.load(open(os.path.join(d, "run.json")))["plots"]
    pdir = os.path.join(d, "plots")
    on_disk = sorted("plots/" + f for f in os.listdir(pdir)) if os.path.isdir(pdir) else []
    assert sorted(listed) == on_disk, (run, listed, on_disk)
    html = open(os.path.join(d, "card.html"), encoding="utf-8").read()
    assert html.count("<svg") == len(listed), (run, html.count("<svg"), len(listed))
    for rel in listed:
        text = open(os.path.join(d, rel), encoding="utf-8").read()
        assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'), rel
        root = ET.fromstring(text.encode("utf-8"))           # well-formed XML or an exception
        assert root.tag == NS + "svg", (rel, root.tag)
        assert root.find(NS + "title") is not None, rel    # an accessible title
        assert float(root.get("width")) > 0 and root.get("viewBox"), rel
        # The element inlined in card.html is the same, apart from the namespace.
        inline = "<svg" + text.split('xmlns="http://www.w3.org/2000/svg"', 1)[1]
        assert inline in html, rel + " differs from the plot in card.html"
        kinds.setdefault(run, set()).add(rel[len("plots/"):])
# The plots each kind of model draws.
need = {
    "crs_severe": {"logit_roc.svg", "logit_calibration.svg", "logit_slices_auc.svg", "gbm_importance_gain.svg"},
    "os_by_product": {"km_product_km.svg", "cox_by_trial_hr_forest.svg"},
    "crs_onset_competing": set(),
}
for run, want in need.items():
    assert want <= kinds.get(run, set()), (run, sorted(want - kinds.get(run, set())))
assert any(k.startswith("cif_costim_cif_") for k in kinds["crs_onset_competing"]), kinds["crs_onset_competing"]
# Every validation curve the card holds is drawn (decision curves, calibration at a horizon and
# lowess smoothers appear when the metrics stage writes them).
for run in need:
    card = json.load(open(os.path.join(runs, run, "card.json")))
    for m in card["models"]:
        curves = m["validation"]["curves"] or {}
        base = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in m["name"])
        for key in ("roc", "calibration", "calibration_horizon", "decision_curve"):
            if key in curves:
                assert f"{base}_{key}.svg" in kinds[run], (run, m["name"], key)
        if "smoothed" in curves.get("calibration", {}):
            svg = open(os.path.join(runs, run, "plots", f"{base}_calibration.svg"), encoding="utf-8").read()
            assert ">lowess</text>" in svg, (run, m["name"])
        if any(x["slice"] == "pooled" and x["name"] in ("auc", "c_harrell") for x in m["validation"]["metrics"]):
            html = open(os.path.join(runs, run, "card.html"), encoding="utf-8").read()
            assert "pooled (random effects)" in html, (run, m["name"])

# data.studies: one row per study of the analysed patients, counts consistent and suppressed.
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
for run in need:
    card = json.load(open(os.path.join(runs, run, "card.json")))
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert not errors, (run, [(list(e.absolute_path), e.message[:200]) for e in errors[:5]])
    thr = card["considerations"]["small_count_threshold"]
    studies = card["data"]["studies"]
    assert studies and [s["studyid"] for s in studies] == sorted(s["studyid"] for s in studies), run
    assert all(s["product"] for s in studies), run
    total = 0
    def count_ok(v):
        return v == f"<{thr}" or (isinstance(v, (int, float)) and (v == 0 or v >= thr))
    for s in studies:
        assert count_ok(s["n"]) and count_ok(s["events"]), (run, s["studyid"], s["n"], s["events"])
        total += s["n"] if isinstance(s["n"], (int, float)) else 0
        for v in s["table1"]:
            if v["type"] == "numeric":
                assert count_ok(v["n"]) and count_ok(v["missing"]), (run, s["studyid"], v)
                if v["median"] is not None:
                    assert v["q1"] <= v["median"] <= v["q3"], (run, v)
            else:
                for l in v["levels"]:
                    assert count_ok(l["n"]), (run, s["studyid"], v["variable"], l)
                    assert (l["percent"] is None) == isinstance(l["n"], str), (run, l)
    n = card["data"]["cohort"]["n"]
    assert total <= n, (run, total, n)
    # The per-study table is rendered in both card.md and card.html.
    md = open(os.path.join(runs, run, "card.md"), encoding="utf-8").read()
    html = open(os.path.join(runs, run, "card.html"), encoding="utf-8").read()
    assert "| study | product |" in md and "| n | events |" in md, run
    assert "<h4>Studies</h4>" in html, run
    assert "`plots/" in md, run
PY

# A standalone file renders on its own in a browser (where Debian's chromium is installed).
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
  svg="$work/runs/os_by_product/plots/km_product_km.svg"
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size=800,500 --screenshot="$work/km.png" \
    "file://$svg" > /dev/null 2> "$work/chromium.err" || fail "chromium cannot render $svg: $(tail -3 "$work/chromium.err")"
  [ "$(head -c 8 "$work/km.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "no PNG of $svg"
  [ "$(stat -c %s "$work/km.png")" -gt 10000 ] || fail "the rendered $svg is suspiciously small (blank?)"
fi
exit 0
