#!/usr/bin/env bash
# card.html renders in a real browser: headless Chromium (Debian's chromium package) loads the
# severe-CRS card, and its DOM holds every section and one <svg> per plot (ROC, calibration and
# per-study forest plot for each of the three models, and the xgboost importance bars); a
# screenshot is a PNG and printing gives a PDF. Skipped (exit 77) where chromium is not installed.
# Uses models/crs_severe/card.html when the reference run has one, else makes a small run like
# test_run.sh does.
set -u
fail() { echo "FAIL: $*"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed (apt-get install chromium): card.html not checked in a browser"; exit 77; }
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

html="${CARTA_CARD_HTML:-$root/models/crs_severe/card.html}"  # override: a card.html of the severe-CRS config
if [ ! -s "$html" ]; then
  "$CARTA" simulate -q --trials 14 --patients 1400 --seed 11 "$work/synth" || fail "simulate"
  mkdir -p "$work/configs"
  sed -e "s|\.\./data/synth/|../synth/|" -e "s|\.\./data-schemas/|$root/data-schemas/|" \
      -e 's|"output": "../models/crs_severe"|"output": "../runs/crs"|' \
      -e 's|"rounds": 200|"rounds": 20|' configs/crs_severe.json > "$work/configs/crs.json"
  (cd "$work/configs" && "$CARTA" run -q crs.json) || fail "carta run"
  html="$work/runs/crs/card.html"
  [ -s "$html" ] || { echo "carta run writes no card.html yet: nothing to render"; exit 77; }
fi

# Every run gets its own profile, no network, no first-run chores.
chrome() {
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$work/profile.XXXX")" "$@" 2>"$work/chromium.err"
}

chrome --dump-dom "file://$html" > "$work/dom.html" || fail "chromium --dump-dom failed: $(tail -3 "$work/chromium.err")"
[ -s "$work/dom.html" ] || fail "empty DOM"
for title in "Intended use" "Outcome and harmonization" "Data" "Predictors" "Models" "Performance" \
             "Limitations and considerations" "TRIPOD+AI items" "Reproducibility"; do
  grep -qF "<h2>$title</h2>" "$work/dom.html" || fail "the rendered page lacks the section $title"
done
grep -q 'class="box"' "$work/dom.html" || fail "no header box"
# At least ten plots (ten without SHAP values; a mean |SHAP| chart is added when the config asks).
svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
[ "$svgs" -ge 10 ] || fail "expected at least 10 plots in the rendered page, found $svgs"
[ "$(grep -o '<title>Performance per slice</title>' "$work/dom.html" | wc -l)" -eq 3 ] || fail "per-study forest plots not in the DOM"
# The parsed page has each plot's parts as SVG elements (not text), and no script.
[ "$(grep -o '<title>ROC curve</title>' "$work/dom.html" | wc -l)" -eq 3 ] || fail "ROC plots not in the DOM"
grep -q '<polyline' "$work/dom.html" || fail "no curve in the DOM"
! grep -q '<script' "$work/dom.html" || fail "a script in the page"

chrome --hide-scrollbars --window-size=1000,2400 --screenshot="$work/card.png" "file://$html" > /dev/null ||
  fail "chromium --screenshot failed: $(tail -3 "$work/chromium.err")"
[ -s "$work/card.png" ] || fail "no screenshot"
[ "$(head -c 8 "$work/card.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"
[ "$(stat -c %s "$work/card.png")" -gt 20000 ] || fail "the screenshot is suspiciously small (a blank page?)"
# And it prints: the print layout (@media print) gives a PDF.
chrome --no-pdf-header-footer --print-to-pdf="$work/card.pdf" "file://$html" > /dev/null ||
  fail "chromium --print-to-pdf failed: $(tail -3 "$work/chromium.err")"
[ "$(head -c 5 "$work/card.pdf")" = "%PDF-" ] || fail "printing gave no PDF"
exit 0
