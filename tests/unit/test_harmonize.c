/* Harmonization: CRS/ICANS grades to ASTCT and lab units, on tables built in the test. */
#include <carta/harmonize.h>
#include <carta/alloc.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds a table from a header of "NAME:type" fields and rows of text cells ("" = missing). */
static carta_table *make_table(const char *source, const char *const *spec, size_t ncol, const char *const *cells,
                               size_t nrow)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new(source);
    for (size_t j = 0; j < ncol; j++) {
        char name[64];
        const char *colon = strchr(spec[j], ':');
        snprintf(name, sizeof name, "%.*s", (int)(colon - spec[j]), spec[j]);
        carta_type ty = colon[1] == 's' ? CARTA_STR : colon[1] == 'i' ? CARTA_I64 : CARTA_F64;
        carta_column *c;
        cr_assert_eq(carta_table_add_column(t, name, ty, &c, &err), CARTA_OK);
        for (size_t i = 0; i < nrow; i++) {
            const char *v = cells[i * ncol + j];
            if (!v[0]) carta_column_push_missing(c);
            else if (ty == CARTA_STR) carta_column_push_str(c, v, strlen(v));
            else if (ty == CARTA_I64) carta_column_push_i64(c, atoll(v));
            else carta_column_push_f64(c, atof(v));
        }
    }
    return t;
}

static carta_grade_map *mapping(void)
{
    static const char *const spec[] = { "VERSION:s", "SYNDROME:s", "SCALE:s", "GRADE:i", "POINT:i", "MIN:i", "MAX:i" };
    static const char *const rows[] = {
        "v1", "CRS", "ASTCT", "3", "3", "3", "3",
        "v1", "CRS", "PENN", "3", "2", "1", "4",
        "v1", "CRS", "PENN", "2", "1", "1", "2",
        "v1", "CRS", "LEE2014", "2", "2", "1", "3",
        "v1", "ICANS", "ASTCT", "2", "2", "2", "2",
    };
    carta_table *t = make_table("map.csv", spec, 7, rows, 5);
    carta_grade_map *m;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_grade_map_from_table(t, &m, &err), CARTA_OK, "%s", err.msg);
    carta_table_free(t);
    return m;
}

static carta_table *registry(void)
{
    static const char *const spec[] = { "STUDYID:s", "CRSSCALE:s", "ICANSSCL:s" };
    static const char *const rows[] = { "S1", "PENN", "ASTCT", "S2", "LEE2014", "ASTCT", "S3", "ASTCT", "ASTCT" };
    return make_table("studies.csv", spec, 3, rows, 3);
}

static const char *const ae_spec[] = { "STUDYID:s", "USUBJID:s", "AEDECOD:s", "AETOXGR:i", "CRSTMAX:f", "HYPOTFL:s",
                                       "VASONUM:f", "O2DEV:s", "O2FLOW:f", "CRSDTHFL:s" };

static void expect_grades(const carta_table *t, const long *want, const char *const *src, size_t n)
{
    const carta_column *g = carta_table_find(t, "ASTCTGR"), *s = carta_table_find(t, "ASTCTSRC");
    for (size_t i = 0; i < n; i++) {
        if (want[i] < 0) {
            cr_expect(carta_column_is_missing(g, i), "row %zu should have no ASTCT grade", i);
            continue;
        }
        cr_expect_eq(g->i64[i], want[i], "row %zu: ASTCT %lld, expected %ld", i, (long long)g->i64[i], want[i]);
        cr_expect_str_eq(carta_column_str(s, i), src[i], "row %zu", i);
    }
}

Test(harmonize, regrades_from_signs_with_the_component_rule)
{
    static const char *const rows[] = {
        /* fever, no hypotension, no oxygen: grade 1 whatever Penn said */
        "S1", "a", "Cytokine release syndrome", "3", "38.4", "N", "0", "NONE", "0", "N",
        /* no fever: no CRS by ASTCT */
        "S1", "b", "Cytokine release syndrome", "2", "37.9", "N", "0", "NONE", "0", "N",
        /* hypotension without pressor, low-flow 4 L/min: 2 */
        "S1", "c", "Cytokine release syndrome", "3", "39.0", "Y", "0", "LOW-FLOW NASAL CANNULA", "4", "N",
        /* low-flow device at 8 L/min is high flow: 3 */
        "S1", "d", "Cytokine release syndrome", "3", "39.0", "N", "0", "LOW-FLOW NASAL CANNULA", "8", "N",
        /* one pressor, blow-by: 3 */
        "S1", "e", "Cytokine release syndrome", "4", "38.0", "Y", "1", "BLOW-BY", "", "N",
        /* two pressors: 4; BiPAP: 4 */
        "S1", "f", "Cytokine release syndrome", "4", "40.1", "Y", "2", "NONE", "0", "N",
        "S1", "g", "Cytokine release syndrome", "4", "38.5", "N", "0", "BIPAP", "0", "N",
        /* death attributed to CRS: 5 */
        "S1", "h", "Cytokine release syndrome", "4", "40.0", "Y", "2", "MECHANICAL VENTILATION", "0", "Y",
        /* no signs recorded: Penn 3 maps to point 2 */
        "S1", "i", "Cytokine release syndrome", "3", "", "", "", "", "", "",
        /* another AE: untouched */
        "S1", "j", "Neutropenia", "3", "", "", "", "", "", "",
    };
    carta_table *ae = make_table("adae.csv", ae_spec, 10, rows, 10), *st = registry(), *out;
    carta_grade_map *m = mapping();
    carta_harmonize_report rep = { 0 };
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_harmonize_grades(m, CARTA_BOUND_POINT, st, ae, &out, &rep, &err), CARTA_OK, "%s", err.msg);
    long want[] = { 1, 0, 2, 3, 3, 4, 4, 5, 2, -1 };
    const char *src[] = { "SIGNS", "SIGNS", "SIGNS", "SIGNS", "SIGNS", "SIGNS", "SIGNS", "SIGNS", "MAPPING", "" };
    expect_grades(out, want, src, 10);
    cr_expect_eq(rep.n_studies, 3);
    cr_expect_eq(rep.studies[0].crs_records, 9);
    cr_expect_eq(rep.studies[0].from_signs, 8);
    cr_expect_eq(rep.studies[0].mapped, 1);
    cr_expect_eq(rep.studies[0].changed, 6); /* rows d (3), f and g (4) keep their grade */
    cr_expect_str_eq(rep.mapping_version, "v1");
    carta_harmonize_report_clear(&rep);
    carta_table_free(out);
    carta_table_free(ae);
    carta_table_free(st);
    carta_grade_map_free(m);
}

Test(harmonize, maps_reported_grades_at_each_bound)
{
    static const char *const spec[] = { "STUDYID:s", "USUBJID:s", "AEDECOD:s", "AETOXGR:i" };
    static const char *const rows[] = {
        "S1", "a", "cytokine release syndrome", "3",
        "S2", "b", "Cytokine release syndrome", "2",
        "S3", "c", "Cytokine release syndrome", "3",
        "S3", "d", "Immune effector cell-associated neurotoxicity syndrome", "2",
    };
    carta_table *ae = make_table("adae.csv", spec, 4, rows, 4), *st = registry();
    carta_grade_map *m = mapping();
    const carta_bound bounds[] = { CARTA_BOUND_POINT, CARTA_BOUND_MIN, CARTA_BOUND_MAX };
    const long want[3][4] = { { 2, 2, 3, 2 }, { 1, 1, 3, 2 }, { 4, 3, 3, 2 } };
    const char *src[] = { "MAPPING", "MAPPING", "IDENTITY", "IDENTITY" };
    for (int b = 0; b < 3; b++) {
        carta_table *out;
        carta_harmonize_report rep = { 0 };
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_harmonize_grades(m, bounds[b], st, ae, &out, &rep, &err), CARTA_OK, "%s", err.msg);
        expect_grades(out, want[b], src, 4);
        const carta_column *lo = carta_table_find(out, "ASTCTLO"), *hi = carta_table_find(out, "ASTCTHI");
        cr_expect(lo->i64[0] == 1 && hi->i64[0] == 4);
        cr_expect_eq(rep.studies[2].identity, 1);
        cr_expect_eq(rep.studies[2].icans_records, 1);
        carta_harmonize_report_clear(&rep);
        carta_table_free(out);
    }
    carta_table_free(ae);
    carta_table_free(st);
    carta_grade_map_free(m);
}

Test(harmonize, names_the_study_for_unmapped_grades_and_unregistered_studies)
{
    static const char *const spec[] = { "STUDYID:s", "USUBJID:s", "AEDECOD:s", "AETOXGR:i" };
    static const char *const rows1[] = { "S2", "b", "Cytokine release syndrome", "4" };
    static const char *const rows2[] = { "S9", "z", "Cytokine release syndrome", "1" };
    carta_table *st = registry();
    carta_grade_map *m = mapping();
    carta_table *ae = make_table("adae.csv", spec, 4, rows1, 1), *out;
    carta_harmonize_report rep = { 0 };
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_harmonize_grades(m, CARTA_BOUND_POINT, st, ae, &out, &rep, &err), CARTA_EDATA);
    cr_expect(strstr(err.msg, "study S2") && strstr(err.msg, "CRS grade 4 on scale LEE2014"), "%s", err.msg);
    carta_harmonize_report_clear(&rep);
    carta_table_free(ae);
    ae = make_table("adae.csv", spec, 4, rows2, 1);
    carta_error_clear(&err);
    cr_assert_eq(carta_harmonize_grades(m, CARTA_BOUND_POINT, st, ae, &out, &rep, &err), CARTA_EDATA);
    cr_expect(strstr(err.msg, "study S9 (subject z) is not in the study registry"), "%s", err.msg);
    carta_harmonize_report_clear(&rep);
    carta_table_free(ae);
    carta_table_free(st);
    carta_grade_map_free(m);
}

Test(harmonize, rejects_inconsistent_mapping_tables)
{
    static const char *const spec[] = { "VERSION:s", "SYNDROME:s", "SCALE:s", "GRADE:i", "POINT:i", "MIN:i", "MAX:i" };
    static const char *const bad_order[] = { "v1", "CRS", "PENN", "3", "4", "1", "3" };
    static const char *const dup[] = { "v1", "CRS", "PENN", "3", "2", "1", "4", "v1", "CRS", "penn", "3", "2", "1", "4" };
    static const char *const two_versions[] = { "v1", "CRS", "PENN", "3", "2", "1", "4", "v2", "CRS", "PENN", "2", "1", "1", "2" };
    const char *const *cases[] = { bad_order, dup, two_versions };
    size_t rows[] = { 1, 2, 2 };
    for (int k = 0; k < 3; k++) {
        carta_table *t = make_table("map.csv", spec, 7, cases[k], rows[k]);
        carta_grade_map *m;
        carta_error err;
        carta_error_clear(&err);
        cr_expect_eq(carta_grade_map_from_table(t, &m, &err), CARTA_EDATA, "case %d", k);
        cr_expect(err.row >= 2, "case %d names a row: %s", k, err.msg);
        carta_table_free(t);
    }
}

Test(harmonize, converts_lab_units_per_record)
{
    static const char *const uspec[] = { "PARAMCD:s", "UNIT:s", "CANONICAL:s", "MULTIPLY:f", "DIVIDE:f" };
    static const char *const urows[] = { "CRP", "mg/dL", "mg/dL", "1", "1", "CRP", "mg/L", "mg/dL", "1", "10",
                                          "CREAT", "umol/L", "mg/dL", "1", "88.42", "CREAT", "mg/dL", "mg/dL", "1", "1" };
    static const char *const lspec[] = { "STUDYID:s", "USUBJID:s", "PARAMCD:s", "AVAL:f", "AVALU:s", "BASE:f" };
    static const char *const lrows[] = {
        "S1", "a", "CRP", "23.5", "mg/L", "23.5",
        "S1", "a", "CREAT", "79.578", "umol/L", "79.578",
        "S2", "b", "CRP", "2.35", "mg/dL", "2.35",
        "S2", "b", "ALB", "3.9", "g/dL", "",
        "S3", "c", "CRP", "", "mg/L", "",
    };
    carta_table *ut = make_table("units.csv", uspec, 5, urows, 4), *lb = make_table("adlb.csv", lspec, 6, lrows, 5);
    carta_table *st = registry(), *out;
    carta_unit_map *m;
    carta_harmonize_report rep = { 0 };
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_unit_map_from_table(ut, &m, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_harmonize_units(m, st, lb, &out, &rep, &err), CARTA_OK, "%s", err.msg);
    const carta_column *v = carta_table_find(out, "AVAL"), *u = carta_table_find(out, "AVALU");
    const carta_column *b = carta_table_find(out, "BASE"), *o = carta_table_find(out, "AVALORIG");
    cr_expect_eq(v->f64[0], 23.5 / 10);
    cr_expect_eq(v->f64[1], 79.578 / 88.42);
    cr_expect_eq(v->f64[2], 2.35);
    cr_expect_eq(v->f64[3], 3.9);
    cr_expect(carta_column_is_missing(v, 4));
    cr_expect_eq(b->f64[0], 2.35);
    cr_expect_str_eq(carta_column_str(u, 0), "mg/dL");
    cr_expect_str_eq(carta_column_str(u, 1), "mg/dL");
    cr_expect_str_eq(carta_column_str(u, 3), "g/dL");
    cr_expect_eq(o->f64[0], 23.5);
    cr_expect_eq(rep.studies[0].lab_records, 2);
    cr_expect_eq(rep.studies[0].lab_converted, 2);
    cr_expect_eq(rep.studies[1].lab_converted, 0);
    carta_harmonize_report_clear(&rep);
    carta_table_free(out);
    carta_table_free(lb);

    static const char *const bad[] = { "S2", "b", "CRP", "2.1", "mmol/L", "2.1" };
    lb = make_table("adlb.csv", lspec, 6, bad, 1);
    carta_error_clear(&err);
    cr_assert_eq(carta_harmonize_units(m, st, lb, &out, &rep, &err), CARTA_EDATA);
    cr_expect(strstr(err.msg, "study S2, test CRP: unknown unit \"mmol/L\""), "%s", err.msg);
    carta_harmonize_report_clear(&rep);
    carta_table_free(lb);
    carta_table_free(ut);
    carta_table_free(st);
    carta_unit_map_free(m);
}

Test(harmonize, every_failed_allocation_ends_cleanly)
{
    static const char *const rows[] = {
        "S1", "a", "Cytokine release syndrome", "3", "38.4", "N", "0", "NONE", "0", "N",
        "S2", "i", "Cytokine release syndrome", "2", "", "", "", "", "", "",
    };
    carta_table *ae = make_table("adae.csv", ae_spec, 10, rows, 2), *st = registry();
    carta_grade_map *m = mapping();
    for (long k = 1; k < 500; k++) {
        carta_table *out = NULL;
        carta_harmonize_report rep = { 0 };
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_harmonize_grades(m, CARTA_BOUND_POINT, st, ae, &out, &rep, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d %s", k, rc, err.msg);
        carta_harmonize_report_clear(&rep);
        carta_table_free(out);
        if (rc == CARTA_OK) break;
    }
    carta_table_free(ae);
    carta_table_free(st);
    carta_grade_map_free(m);
}
