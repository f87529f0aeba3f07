/* Cross-format equality: the CDISC pilot ADaM data sets ship as SAS XPORT (.xpt), Dataset-JSON
   (.json) and NDJSON (.ndjson), written independently (SAS, and CDISC's converter). carta must
   read the same table from all three: same column names in the same order, same types, same
   missing cells, same values (numbers bit for bit, dates as the same day, strings byte for
   byte).

   Where the files legitimately differ, and how the test treats it:
   - Labels: five variables carry different label text in the .xpt and the Dataset-JSON
     (listed in label_exceptions below, each checked to really differ, so the list stays true).
   - Formats: the .xpt gives every variable a SAS format ("$12.", "3."), Dataset-JSON gives a
     displayFormat only for dates; where both have one they must be equal.
   - Blank character values: SAS cannot store a missing character value, and the JSON writer
     wrote "" for blanks; carta reads both as the empty string, so they compare equal. */
#include <carta/alloc.h>
#include <carta/dsjson.h>
#include <carta/error.h>
#include <carta/table.h>
#include <carta/xpt.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Labels that differ between adam/X.xpt and adam/X.json, as shipped. */
static const struct { const char *table, *column, *xpt, *json; } label_exceptions[] = {
    { "adtte", "STARTDT", "Time-to-Event Origin Date for Subject", "Time to Event Origin Date for Subject" },
    { "adtte", "SRCDOM", "Source Data", "Source Domain" },
    { "adae", "ADURN", "Analysis Duration (N)", "AE Duration (N)" },
    { "adae", "ADURU", "Analysis Duration Units", "AE Duration Units" },
    { "adae", "AOCCFL", "1st Occurrence within Subject Flag", "1st Occurrence of Any AE Flag" },
};

static carta_table *load(const char *table, const char *ext)
{
    char rel[128], path[4096], shown[64];
    snprintf(rel, sizeof rel, "data/cdisc-pilot/adam/%s.%s", table, ext);
    snprintf(shown, sizeof shown, "%s.%s", table, ext);
    const char *p = shared_path(rel);
    if (!p) return NULL;
    snprintf(path, sizeof path, "%s", p);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    int rc = strcmp(ext, "xpt") == 0 ? carta_xpt_read(path, shown, &t, &err)
                                     : carta_dsjson_read(path, shown, &t, &err);
    cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
    return t;
}

/* Compares table b (from format fb) with table a (the .xpt) cell by cell; returns the number
   of differences, each printed. */
static int compare(const char *table, const carta_table *a, const carta_table *b, const char *fb)
{
    int diffs = 0;
    cr_assert_eq(carta_table_ncols(b), carta_table_ncols(a), "%s.%s: column count", table, fb);
    cr_assert_eq(carta_table_nrows(b), carta_table_nrows(a), "%s.%s: row count", table, fb);
    size_t n = carta_table_nrows(a);
    for (size_t j = 0; j < carta_table_ncols(a); j++) {
        const carta_column *x = carta_table_column(a, j), *y = carta_table_column(b, j);
        cr_assert_str_eq(y->name, x->name, "%s.%s: column %zu", table, fb, j + 1);
        cr_assert_eq(y->type, x->type, "%s.%s: %s is %s in .xpt but %s", table, fb, x->name,
                     carta_type_name(x->type), carta_type_name(y->type));
        /* Labels: equal unless listed as a known difference, which must then really differ. */
        int listed = 0;
        for (size_t k = 0; k < sizeof label_exceptions / sizeof label_exceptions[0]; k++) {
            if (strcmp(label_exceptions[k].table, table) || strcmp(label_exceptions[k].column, x->name)) continue;
            listed = 1;
            cr_expect_str_eq(x->label, label_exceptions[k].xpt, "%s %s", table, x->name);
            cr_expect_str_eq(y->label, label_exceptions[k].json, "%s.%s %s", table, fb, x->name);
        }
        if (!listed) cr_expect_str_eq(y->label ? y->label : "", x->label ? x->label : "",
                                      "%s.%s: label of %s", table, fb, x->name);
        if (x->format && y->format)
            cr_expect_str_eq(y->format, x->format, "%s.%s: format of %s", table, fb, x->name);
        if (y->format) cr_expect_not_null(x->format, "%s.%s: %s has a format only in JSON", table, fb, x->name);

        cr_expect_eq(y->n_missing, x->n_missing, "%s.%s: missing cells in %s", table, fb, x->name);
        for (size_t i = 0; i < n; i++) {
            int mx = carta_column_is_missing(x, i), my = carta_column_is_missing(y, i);
            int same = mx == my;
            if (same && !mx) {
                switch (x->type) {
                case CARTA_STR: same = strcmp(carta_column_str(x, i), carta_column_str(y, i)) == 0; break;
                case CARTA_F64: same = x->f64[i] == y->f64[i]; break;
                case CARTA_I64:
                case CARTA_BOOL:
                case CARTA_DATE: same = x->i64[i] == y->i64[i]; break;
                }
            }
            if (!same) {
                if (diffs++ < 10) {
                    char vx[80], vy[80];
                    if (x->type == CARTA_STR) {
                        snprintf(vx, sizeof vx, "\"%s\"", mx ? "(missing)" : carta_column_str(x, i));
                        snprintf(vy, sizeof vy, "\"%s\"", my ? "(missing)" : carta_column_str(y, i));
                    } else {
                        snprintf(vx, sizeof vx, "%.17g", carta_column_number(x, i));
                        snprintf(vy, sizeof vy, "%.17g", carta_column_number(y, i));
                    }
                    fprintf(stderr, "%s.%s row %zu column %s: .xpt %s vs %s\n", table, fb, i + 1,
                            x->name, vx, vy);
                }
            }
        }
    }
    return diffs;
}

static void cross_check(const char *table, size_t rows, size_t cols)
{
    carta_table *x = load(table, "xpt");
    if (!x) cr_skip_test("../shared/data is absent: cross-format check of %s not run", table);
    carta_table *j = load(table, "json"), *nd = load(table, "ndjson");
    cr_assert(j && nd, "%s: .json or .ndjson missing", table);
    /* Known counts from ../shared/data/README.md. */
    cr_assert_eq(carta_table_nrows(x), rows);
    cr_assert_eq(carta_table_ncols(x), cols);
    cr_expect_eq(compare(table, x, j, "json"), 0, "%s: .json differs from .xpt", table);
    cr_expect_eq(compare(table, x, nd, "ndjson"), 0, "%s: .ndjson differs from .xpt", table);
    carta_table_free(x);
    carta_table_free(j);
    carta_table_free(nd);
}

Test(formats, adsl_is_the_same_table_in_xpt_json_and_ndjson) { cross_check("adsl", 254, 49); }
Test(formats, adtte_is_the_same_table_in_xpt_json_and_ndjson) { cross_check("adtte", 254, 26); }
Test(formats, adae_is_the_same_table_in_xpt_json_and_ndjson) { cross_check("adae", 1191, 55); }

/* The ADTTE outcome the survival tests rely on: 152 events (CNSR == 0) in every format,
   as the shared README states (checked there against R). */
Test(formats, adtte_has_152_events_in_every_format)
{
    const char *exts[] = { "xpt", "json", "ndjson" };
    for (size_t k = 0; k < 3; k++) {
        carta_table *t = load("adtte", exts[k]);
        if (!t) cr_skip_test("../shared/data is absent: adtte not tested");
        const carta_column *c = carta_table_find(t, "CNSR");
        cr_assert_not_null(c);
        size_t events = 0;
        for (size_t i = 0; i < c->n; i++) events += !carta_column_is_missing(c, i) && c->f64[i] == 0.0;
        cr_expect_eq(events, 152, "adtte.%s: %zu events", exts[k], events);
        carta_table_free(t);
    }
}
