/* Unit tests of the derived predictors (src/cohort/derive.c) against values worked by hand from
   the published definitions (EASIX family: Pennisi 2021; CAR-HEMATOTOX: Rejeski 2021), the
   cut-off boundaries carta documents, units, and bad values. */
#include <carta/cohort.h>
#include <carta/table.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static carta_column *col_f64(carta_table *t, const char *name, const char *unit, const double *v, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, CARTA_F64, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) cr_assert_eq(carta_column_push_f64(c, v[i]), CARTA_OK);
    if (unit) cr_assert_eq(carta_column_set_meta(c, NULL, unit, NULL), CARTA_OK);
    return c;
}

/* Five subjects. Subject 2 sits on every CAR-HEMATOTOX cut-off; subject 5 lacks ferritin. */
static carta_table *lab_table(const char *crp_unit)
{
    carta_table *t = carta_table_new("labs");
    const char *id[] = { "A", "B", "C", "D", "E" };
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, "USUBJID", CARTA_STR, &c, &err), CARTA_OK);
    for (int i = 0; i < 5; i++) carta_column_push_str(c, id[i], 1);
    const double ldh[] = { 250, 300, 600, 200, 180 };
    const double creat[] = { 1.2, 0.8, 2.0, 1.0, 0.9 };
    const double plat[] = { 150, 175, 74, 75, 200 };
    const double crp[] = { 3.0, 3.0, 3.1, 10, 0.5 };
    const double anc[] = { 2.0, 1.2, 1.1, 0.5, 3 };
    const double hgb[] = { 12, 9.0, 8.9, 10, 13 };
    const double fer[] = { 300, 650, 2001, 2000, NAN };
    col_f64(t, "LDH", "U/L", ldh, 5);
    col_f64(t, "CREAT", "mg/dL", creat, 5);
    col_f64(t, "PLAT", "G/L", plat, 5);
    col_f64(t, "CRP", crp_unit, crp, 5);
    col_f64(t, "ANC", "10^9/L", anc, 5);
    col_f64(t, "HGB", "g/dL", hgb, 5);
    col_f64(t, "FERRITIN", "ng/mL", fer, 5);
    return t;
}

static carta_cohort *cohort_of(const carta_table *t)
{
    carta_cohort_keys keys = { NULL, "USUBJID" };
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(t, "labs", &keys, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    return c;
}

static void expect_derived(carta_cohort *c, carta_derive_kind kind, const char *name, const double *want, size_t n)
{
    carta_error err = { 0 };
    carta_derive_spec d = { .kind = kind, .name = name };
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_OK, "%s: %s", name, err.msg);
    const carta_table *a;
    cr_assert_eq(carta_cohort_table(c, &a, &err), CARTA_OK);
    const carta_column *col = carta_table_find(a, name);
    cr_assert_not_null(col);
    for (size_t i = 0; i < n; i++) {
        double v = carta_column_number(col, i);
        if (isnan(want[i])) cr_expect(isnan(v), "%s[%zu] = %g, expected missing", name, i, v);
        else cr_expect_eq(v, want[i], "%s[%zu] = %.17g, expected %.17g", name, i, v, want[i]);
    }
}

Test(derive, easix_family_by_hand)
{
    carta_table *t = lab_table("mg/dL");
    carta_cohort *c = cohort_of(t);
    /* EASIX = LDH x creatinine / platelets: 250 x 1.2 / 150 = 2; 300 x 0.8 / 175 = 240/175;
       600 x 2 / 74 = 1200/74; 200 x 1 / 75 = 200/75; 180 x 0.9 / 200 = 162/200. The divisions are
       written as the code computes them (product first) so that equality is exact. */
    const double easix[] = { 250 * 1.2 / 150, 300 * 0.8 / 175, 600 * 2.0 / 74, 200 * 1.0 / 75, 180 * 0.9 / 200 };
    cr_assert_eq(easix[0], 2.0);
    expect_derived(c, CARTA_DERIVE_EASIX, "EASIX", easix, 5);
    /* m-EASIX = LDH x CRP / platelets: 250 x 3 / 150 = 5. */
    const double measix[] = { 5.0, 300 * 3.0 / 175, 600 * 3.1 / 74, 200 * 10.0 / 75, 180 * 0.5 / 200 };
    expect_derived(c, CARTA_DERIVE_M_EASIX, "M_EASIX", measix, 5);
    /* s-EASIX = LDH / platelets: 250 / 150 = 5/3. */
    const double seasix[] = { 250.0 / 150, 300.0 / 175, 600.0 / 74, 200.0 / 75, 180.0 / 200 };
    expect_derived(c, CARTA_DERIVE_S_EASIX, "S_EASIX", seasix, 5);
    carta_cohort_free(c);
    carta_table_free(t);
}

Test(derive, car_hematotox_points_and_cut_offs)
{
    carta_table *t = lab_table("mg/dL");
    carta_cohort *c = cohort_of(t);
    /* A: PLAT 150 (75..175: 1), ANC 2.0 (0), Hb 12 (0), CRP 3.0 (<= 3: 0), ferritin 300 (0) = 1.
       B: PLAT 175 (1), ANC 1.2 (0), Hb 9.0 (0), CRP 3.0 (0), ferritin 650 (1) = 2.
       C: PLAT 74 (2), ANC 1.1 (1), Hb 8.9 (1), CRP 3.1 (1), ferritin 2001 (2) = 7.
       D: PLAT 75 (1), ANC 0.5 (1), Hb 10 (0), CRP 10 (1), ferritin 2000 (1) = 4.
       E: ferritin missing: missing. */
    const double want[] = { 1, 2, 7, 4, NAN };
    expect_derived(c, CARTA_DERIVE_CAR_HEMATOTOX, "HEMATOTOX", want, 5);
    carta_cohort_free(c);
    carta_table_free(t);
}

Test(derive, days_between_dates)
{
    carta_table *t = carta_table_new("dm");
    carta_column *id, *a, *b;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, "USUBJID", CARTA_STR, &id, &err), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "LDDT", CARTA_DATE, &a, &err), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "INFDT", CARTA_DATE, &b, &err), CARTA_OK);
    carta_column_push_str(id, "1", 1);
    carta_column_push_str(id, "2", 1);
    carta_column_push_i64(a, carta_days_from_civil(2024, 2, 26));
    carta_column_push_i64(b, carta_days_from_civil(2024, 3, 1)); /* across 29 February: 4 days */
    carta_column_push_i64(a, carta_days_from_civil(2023, 12, 30));
    carta_column_push_missing(b);
    carta_cohort *c = cohort_of(t);
    const char *args[] = { "LDDT", "INFDT" };
    carta_derive_spec d = { .kind = CARTA_DERIVE_DAYS_BETWEEN, .name = "LD_TO_INF", .args = args, .n_args = 2 };
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_OK, "%s", err.msg);
    const carta_table *an;
    cr_assert_eq(carta_cohort_table(c, &an, &err), CARTA_OK);
    const carta_column *r = carta_table_find(an, "LD_TO_INF");
    cr_assert_eq(carta_column_number(r, 0), 4);
    cr_assert(isnan(carta_column_number(r, 1)));
    cr_assert_str_eq(r->unit, "days");
    /* days_between has no default columns. */
    carta_derive_spec d2 = { .kind = CARTA_DERIVE_DAYS_BETWEEN, .name = "X" };
    cr_assert_eq(carta_cohort_derive(c, &d2, &err), CARTA_ECONFIG);
    carta_cohort_free(c);
    carta_table_free(t);
}

Test(derive, units_values_and_columns_are_checked)
{
    carta_table *t = lab_table("mg/L");
    carta_cohort *c = cohort_of(t);
    carta_error err = { 0 };
    carta_derive_spec d = { .kind = CARTA_DERIVE_M_EASIX, .name = "M_EASIX" };
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "column M_EASIX: m_easix needs CRP in mg/dL, but it is in mg/L (harmonize units first)",
                     "%s", err.msg);
    /* EASIX does not use CRP. */
    carta_error_clear(&err);
    d.kind = CARTA_DERIVE_EASIX;
    d.name = "EASIX";
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_OK, "%s", err.msg);
    /* Same name twice. */
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_EDATA);
    /* Explicit columns; a missing one; a string one; a wrong count. */
    const char *args[] = { "LDH", "PLATX" };
    carta_derive_spec s = { .kind = CARTA_DERIVE_S_EASIX, .name = "S", .args = args, .n_args = 2 };
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_derive(c, &s, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "column S: s_easix needs column PLATX, which the analysis table lacks", "%s", err.msg);
    const char *args2[] = { "LDH", "USUBJID" };
    s.args = args2;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_derive(c, &s, &err), CARTA_EDATA);
    s.n_args = 3;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_derive(c, &s, &err), CARTA_ECONFIG);
    carta_cohort_free(c);
    carta_table_free(t);

    /* A platelet count of 0 in the cohort is an error naming the subject; outside it, not. */
    t = lab_table("mg/dL");
    carta_column *plat = carta_table_find(t, "PLAT");
    plat->f64[1] = 0;
    c = cohort_of(t);
    carta_error_clear(&err);
    d.kind = CARTA_DERIVE_EASIX;
    d.name = "EASIX";
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "column EASIX: easix needs positive values; 1 subject has a value <= 0: B (PLAT = 0)", "%s",
                     err.msg);
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_where(c, "USUBJID != 'B'", "/w", &err), CARTA_OK);
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_OK, "%s", err.msg);
    carta_cohort_free(c);
    carta_table_free(t);
}
