#!/usr/bin/env bash
# carta export-notebook end to end on the committed reference runs (models/*): the notebook is
# written to notebooks-export/<name>.ipynb, is identical to the committed one and byte-identical
# on a rerun, refuses to overwrite without --force, validates as nbformat 4 with Debian's
# python3-nbformat and, when jupyter-nbconvert, python3-ipykernel, python3-pandas and
# python3-matplotlib are installed, executes headless without an error and draws its plots.
# Exit 77 (skip) when python3-nbformat or the execution packages are absent.
set -u
fail() { echo "FAIL: $*"; exit 1; }
"$CARTA" export-notebook --help >/dev/null 2>&1 || "$CARTA" 2>&1 | grep -q 'export-notebook' \
  || { echo "carta export-notebook is not wired into this binary"; exit 77; }
PY=/usr/bin/python3
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=""
for d in models/*/; do [ -f "$d/card.json" ] && runs="$runs $(basename "$d")"; done
[ -n "$runs" ] || { echo "no reference runs under models/"; exit 77; }
mkdir -p "$work/models"
for r in $runs; do cp -r "models/$r" "$work/models/$r"; done
cd "$work"
for r in $runs; do
  name=$(sed -n 's/^    "name": "\(.*\)",$/\1/p' "models/$r/card.json" | head -1)
  "$CARTA" export-notebook "models/$r" || fail "export-notebook models/$r"
  nb="notebooks-export/$name.ipynb"
  [ -s "$nb" ] || fail "$nb not written"
  if [ -f "$root/$nb" ]; then cmp -s "$nb" "$root/$nb" || fail "$nb differs from the committed one (regenerate it)"; fi
  cp "$nb" "$nb.first"
  "$CARTA" export-notebook "models/$r" 2>/dev/null; [ $? = 3 ] || fail "overwrite without --force must exit 3"
  "$CARTA" export-notebook --force "models/$r" || fail "--force"
  cmp -s "$nb" "$nb.first" || fail "$nb not byte-identical on a rerun"
  rm "$nb.first"
done

$PY -c 'import nbformat' 2>/dev/null || { echo "python3-nbformat is not installed (apt-get install python3-nbformat)"; exit 77; }
for nb in notebooks-export/*.ipynb; do
  $PY -c 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))' "$nb" \
    || fail "$nb is not a valid nbformat 4 notebook"
done

if ! command -v jupyter-nbconvert >/dev/null || ! $PY -c 'import ipykernel, pandas, matplotlib' 2>/dev/null; then
  echo "notebooks valid; execution skipped: needs jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib"
  exit 77
fi
for nb in notebooks-export/*.ipynb; do
  jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
    --output-dir=executed "$nb" >/dev/null 2>&1 || fail "$nb does not execute: $(jupyter-nbconvert --to notebook --execute --output-dir=executed "$nb" 2>&1 | tail -5)"
  $PY - "executed/$(basename "$nb")" <<'PY' || fail "$nb: errors or no plots after execution"
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
errors = [o for o in outs if o.output_type == "error"]
images = [o for o in outs if "image/png" in o.get("data", {})]
sys.exit(1 if errors or not images else 0)
PY
done
exit 0
