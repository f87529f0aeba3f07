#!/usr/bin/env bash
# The command line: help, version, exit codes for usage errors.
set -u
fail() { echo "FAIL: $*"; exit 1; }
"$CARTA" --help | grep -q 'usage: carta <command>' || fail "--help"
"$CARTA" --version | grep -q '^carta [0-9]' || fail "--version names carta"
for lib in GSL OpenBLAS LAPACK xgboost cJSON ReadStat; do
  "$CARTA" --version | grep -q "^$lib\|$lib" || fail "--version lacks $lib"
done
"$CARTA" >/dev/null 2>&1; [ $? = 2 ] || fail "no command must exit 2"
err=$("$CARTA" frobnicate 2>&1); [ $? = 2 ] || fail "unknown command must exit 2"
printf '%s' "$err" | grep -q 'unknown command "frobnicate"' || fail "unknown command message: $err"
exit 0
