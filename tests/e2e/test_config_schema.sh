#!/usr/bin/env bash
# The config's JSON Schema: it is itself a valid JSON Schema 2020-12, every example config in
# configs/ validates against it, and every bad-input config case is rejected by it too (unless
# its folder holds a file "schema-valid": errors the schema cannot express, such as a reference
# to an undeclared table). Needs Debian's python3-jsonschema (/usr/bin/python3).
set -u
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
if ! [ -x "$py" ] || ! "$py" -c 'import jsonschema' 2>/dev/null; then
  echo "skip: /usr/bin/python3 with python3-jsonschema is not installed"; exit 77
fi
"$py" - <<'PY'
import glob, json, os, sys
from jsonschema import Draft202012Validator
fail = 0
with open("data-schemas/config.schema.json") as f:
    schema = json.load(f)
try:
    Draft202012Validator.check_schema(schema)
except Exception as e:
    print(f"FAIL data-schemas/config.schema.json is not a valid 2020-12 schema: {e}"); sys.exit(1)
v = Draft202012Validator(schema)

def no_dupes(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)): raise ValueError("duplicate key")
    return dict(pairs)

configs = sorted(glob.glob("configs/*.json"))
if not configs:
    print("FAIL no configs/*.json"); fail = 1
for path in configs:
    with open(path) as f:
        doc = json.load(f, object_pairs_hook=no_dupes)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errs[:5]:
        print(f"FAIL {path}: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
    fail |= bool(errs)
for d in sorted(glob.glob("tests/bad-input/config-*/")):
    path = os.path.join(d, "config.json")
    if not os.path.exists(path) or os.path.exists(os.path.join(d, "schema-valid")): continue
    try:
        with open(path) as f:
            doc = json.load(f, object_pairs_hook=no_dupes)
    except ValueError:
        continue  # invalid JSON or duplicate keys: rejected before any schema
    if v.is_valid(doc):
        print(f"FAIL {path}: the schema accepts a config carta rejects"); fail = 1
print(f"config schema: {len(configs)} example configs checked")
sys.exit(fail)
PY
