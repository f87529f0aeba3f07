#!/usr/bin/env bash
# The layering rule (ARCHITECTURE.md): a file in src/<stage>/ may include util headers and the
# headers of its own and earlier stages; config and run may include everything. cJSON is for
# config, report, the Dataset-JSON reader and the schema reader; xgboost only for fit/gbm.c.
set -u
cd "$(dirname "$0")/.."
stages=(util load validate harmonize cohort design fit evaluate report)
declare -A rank=([util]=0 [load]=1 [validate]=2 [harmonize]=3 [cohort]=4 [design]=5 [fit]=6 [evaluate]=7 [report]=8)
# Which stage each public header belongs to.
declare -A owner=(
  [error.h]=util [alloc.h]=util [numfmt.h]=util [fs.h]=util [carta.h]=util [sha256.h]=util
  [rng.h]=util [sort.h]=util [json.h]=util [jsonw.h]=util [csvout.h]=util [strutil.h]=util [progress.h]=util
  [table.h]=load [load.h]=load [csv.h]=load [xpt.h]=load [dsjson.h]=load
  [validate.h]=validate [schema.h]=validate
  [harmonize.h]=harmonize [simulate.h]=harmonize [expr.h]=cohort [cohort.h]=cohort [surv.h]=cohort
  [design.h]=design [matrix.h]=design
  [km.h]=fit [survpred.h]=fit [glmnet.h]=fit [survsort.h]=fit [concordance.h]=fit [logrank.h]=fit [cif.h]=fit [cox.h]=fit [logistic.h]=fit [gbm.h]=fit [glmnet.h]=fit
  [evaluate.h]=evaluate [survmetrics.h]=evaluate [metrics.h]=evaluate [split.h]=evaluate
  [report.h]=report [svg.h]=report [export.h]=report [card.h]=report [svg.h]=report
)
fail=0; checked=0
for f in src/*/*.c src/*/*.h; do
  [ -e "$f" ] || continue
  stage=$(basename "$(dirname "$f")")
  case $stage in config|run|simulate) continue ;; esac
  [ -n "${rank[$stage]+x}" ] || { echo "layering: $f: unknown stage folder $stage"; fail=1; continue; }
  while IFS= read -r inc; do
    h=${inc#carta/}
    checked=$((checked + 1))
    if [ "$h" = config.h ] || [ "$h" = run.h ]; then
      echo "layering: $f includes carta/$h (only config/ and run/ may)"; fail=1; continue
    fi
    o=${owner[$h]-}
    if [ -z "$o" ]; then echo "layering: $f: header carta/$h has no stage in tests/layering.sh"; fail=1; continue; fi
    if [ "${rank[$o]}" -gt "${rank[$stage]}" ]; then
      echo "layering: $f ($stage) includes carta/$h of a later stage ($o)"; fail=1
    fi
  done < <(sed -n 's/^#include <\(carta\/[a-z0-9_]*\.h\)>.*/\1/p' "$f")
  if grep -q '^#include <cjson/cJSON.h>' "$f"; then
    case $f in src/report/*|src/load/dsjson.c|src/validate/schema.c|src/design/design_json.c|src/util/version.c) ;;
      *) echo "layering: $f includes cJSON (only config/, report/, load/dsjson.c, validate/schema.c may)"; fail=1 ;;
    esac
  fi
  if grep -q '^#include <xgboost/c_api.h>' "$f"; then
    case $f in src/fit/gbm.c|src/util/version.c) ;; *) echo "layering: $f includes xgboost (only fit/gbm.c may)"; fail=1 ;; esac
  fi
  if grep -q '^#include <readstat.h>' "$f"; then
    case $f in src/load/xpt.c|src/load/xpt_write.c|src/util/version.c) ;; *) echo "layering: $f includes ReadStat (only load/xpt.c and xpt_write.c may)"; fail=1 ;; esac
  fi
done
if [ $fail -ne 0 ]; then echo "layering: 0 passed, 1 failed"; exit 1; fi
echo "layering: $checked includes checked"
echo "layering: 1 passed, 0 failed"
