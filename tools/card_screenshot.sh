#!/usr/bin/env bash
# A picture of a model card for the README: renders the header box of a card.html and the
# first model's validation plots (ROC, calibration, decision curve when present, per-study
# forest plot) in headless Chromium (Debian's chromium package) and writes a PNG.
#
#   tools/card_screenshot.sh [CARD_HTML [OUT_PNG]]      (defaults: models/crs_severe/card.html,
#                                                         docs/card.png)
#   tools/card_screenshot.sh --full [CARD_HTML [OUT_PNG]]   the top of the whole page instead
#
# WIDTH (default 1000) and HEIGHT (default 1600; --full: 2400) set the window in CSS pixels.
# The excerpt is cut out of card.html with Python's standard library (the page is
# deterministic, so the markers are stable) and keeps the page's own style sheet. The blank
# bottom of the shot is trimmed when python3-pil is installed. Not part of `make test`.
set -eu
full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
html=$(realpath "${1:-$root/models/crs_severe/card.html}")
out=${2:-$root/docs/card.png}
width=${WIDTH:-1000}
height=${HEIGHT:-$([ $full = 1 ] && echo 2400 || echo 1600)}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "card_screenshot: chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }
[ -s "$html" ] || { echo "card_screenshot: $html is missing (run: make demo)" >&2; exit 1; }
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"

page="$html"
if [ $full = 0 ]; then
  page="$work/excerpt.html"
  "$py" - "$html" "$page" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
head = src[:src.index("<main>") + len("<main>")]
header = re.search(r'<header class="box".*?</header>', src, re.S).group(0)
model = re.search(r'<section class="model" id="model-1">.*?</section>', src, re.S)
parts = [head, header]
if model:
    sec = model.group(0)
    title = re.search(r"<h3>.*?</h3>", sec, re.S)
    pair = re.search(r'<div class="pair">.*?</div>', sec, re.S)
    figures = re.findall(r"<figure>.*?</figure>", sec[pair.end():] if pair else sec, re.S)
    forest = [f for f in figures if "<title>Performance per slice</title>" in f]
    if title:
        parts.append('<section class="model">' + title.group(0))
    if pair:
        parts.append(pair.group(0))
    parts.extend(forest[:1])
    if title:
        parts.append("</section>")
parts.append("</main>\n</body>\n</html>\n")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(parts))
PY
fi

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --hide-scrollbars \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --window-size="$width,$height" --screenshot="$work/shot.png" \
  "file://$page" > /dev/null 2> "$work/chromium.err" ||
  { echo "card_screenshot: chromium failed: $(tail -3 "$work/chromium.err")" >&2; exit 1; }
[ -s "$work/shot.png" ] || { echo "card_screenshot: chromium wrote no screenshot" >&2; exit 1; }

# Trim the white space below the content (keeps a 24-pixel margin).
"$py" - "$work/shot.png" "$out" <<'PY' || cp "$work/shot.png" "$out"
import sys
from PIL import Image, ImageChops
im = Image.open(sys.argv[1]).convert("RGB")
box = ImageChops.difference(im, Image.new("RGB", im.size, (255, 255, 255))).getbbox()
if box:
    im = im.crop((0, 0, im.size[0], min(im.size[1], box[3] + 24)))
im.save(sys.argv[2], optimize=True)
PY
echo "card_screenshot: wrote $out"
