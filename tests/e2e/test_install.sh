#!/usr/bin/env bash
# make install PREFIX=...: the binary, the library, the headers and a pkg-config file that a
# program can build against. Run for the plain build only (a sanitizer library needs the
# sanitizer runtime in every program that links it).
set -u
case "$CARTA" in */build/rel/carta) ;; *) echo "install is tested with the plain build only"; exit 77 ;; esac
fail() { echo "FAIL: $*"; exit 1; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s install PREFIX="$prefix" >/dev/null || fail "make install"
for f in bin/carta lib/libcarta.a include/carta/cox.h lib/pkgconfig/carta.pc share/carta/data-schemas/crs_astct_mapping.csv; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
"$prefix/bin/carta" --version | grep -q '^carta ' || fail "installed binary"
cat > "$prefix/hello.c" <<'C'
#include <carta/carta.h>
#include <carta/table.h>
#include <stdio.h>
int main(void)
{
    carta_init();
    carta_table *t = carta_table_new("x");
    printf("carta %s %zu\n", carta_version(), carta_table_ncols(t));
    carta_table_free(t);
    return 0;
}
C
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs --static carta) || fail "pkg-config carta"
cc -std=c11 -o "$prefix/hello" "$prefix/hello.c" $flags || fail "a program does not build against the installed library"
"$prefix/hello" | grep -q "^carta [0-9.]* 0$" || fail "the program does not run"
exit 0
