/* The design matrix against R's model.matrix (tests/reference/design/<case>.json, written by
   make_design.R): term names exactly, the matrix to the stated tolerance (0 = bit for bit), the
   kept rows of complete-case selection; then the same design through a JSON round trip. */
#include <carta/alloc.h>
#include <carta/design.h>
#include <carta/xpt.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table from the reference's "data": columns of number, integer, boolean or string values,
   null meaning missing. */
static carta_table *ref_table(const cJSON *ref, const char *name)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new(name);
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ref, "data"), "columns");
    const cJSON *c;
    cJSON_ArrayForEach(c, cols) {
        const char *cn = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const char *ty = cJSON_GetObjectItemCaseSensitive(c, "type")->valuestring;
        carta_type type = strcmp(ty, "number") == 0    ? CARTA_F64
                          : strcmp(ty, "integer") == 0 ? CARTA_I64
                          : strcmp(ty, "boolean") == 0 ? CARTA_BOOL
                                                       : CARTA_STR;
        carta_column *col;
        cr_assert_eq(carta_table_add_column(t, cn, type, &col, &err), CARTA_OK, "%s", err.msg);
        const cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(c, "values")) {
            int rc;
            if (cJSON_IsNull(v)) rc = carta_column_push_missing(col);
            else if (type == CARTA_F64) rc = carta_column_push_f64(col, v->valuedouble);
            else if (type == CARTA_I64) rc = carta_column_push_i64(col, (int64_t)v->valuedouble);
            else if (type == CARTA_BOOL) rc = carta_column_push_i64(col, cJSON_IsTrue(v));
            else rc = carta_column_push_str(col, v->valuestring, strlen(v->valuestring));
            cr_assert_eq(rc, CARTA_OK);
        }
    }
    return t;
}

/* Storage for a spec read from JSON (strings point into the cJSON tree). */
typedef struct ref_spec {
    carta_design_spec spec;
    carta_feature_spec features[16];
    const char *levels[16][16];
    carta_interaction_spec inter[16];
} ref_spec;

static const char *str_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void ref_spec_read(const cJSON *ref, ref_spec *rs)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(ref, "spec");
    carta_design_spec_default(&rs->spec);
    size_t i = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "features")) {
        carta_feature_spec *fs = &rs->features[i];
        carta_feature_spec_default(fs);
        fs->name = str_or_null(f, "name");
        const char *type = str_or_null(f, "type"), *tr = str_or_null(f, "transform");
        if (type) fs->type = strcmp(type, "categorical") == 0 ? CARTA_FEATURE_CATEGORICAL : CARTA_FEATURE_NUMERIC;
        if (tr)
            fs->transform = strcmp(tr, "log") == 0    ? CARTA_TRANSFORM_LOG
                            : strcmp(tr, "log2") == 0 ? CARTA_TRANSFORM_LOG2
                                                      : CARTA_TRANSFORM_STANDARDIZE;
        fs->reference = str_or_null(f, "reference");
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(f, "levels");
        if (lv) {
            const cJSON *l;
            cJSON_ArrayForEach(l, lv) rs->levels[i][fs->n_levels++] = l->valuestring;
            fs->levels = rs->levels[i];
        }
        const cJSON *clip = cJSON_GetObjectItemCaseSensitive(f, "clip");
        if (clip) {
            fs->clip = 1;
            fs->clip_lo = cJSON_GetArrayItem(clip, 0)->valuedouble;
            fs->clip_hi = cJSON_GetArrayItem(clip, 1)->valuedouble;
        }
        const cJSON *pool = cJSON_GetObjectItemCaseSensitive(f, "pool_rare");
        if (pool) {
            const cJSON *mc = cJSON_GetObjectItemCaseSensitive(pool, "min_count");
            const cJSON *mf = cJSON_GetObjectItemCaseSensitive(pool, "min_fraction");
            if (mc) fs->pool_min_count = (size_t)mc->valuedouble;
            if (mf) fs->pool_min_fraction = mf->valuedouble;
        }
        i++;
    }
    rs->spec.features = rs->features;
    rs->spec.n_features = i;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "missing");
    const char *strategy = str_or_null(m, "strategy");
    rs->spec.missing = strcmp(strategy, "median") == 0 ? CARTA_MISSING_MEDIAN
                       : strcmp(strategy, "none") == 0 ? CARTA_MISSING_NAN
                                                       : CARTA_MISSING_OMIT;
    rs->spec.indicators = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "indicators"));
    rs->spec.intercept = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "intercept"));
    size_t k = 0;
    const cJSON *ia;
    cJSON_ArrayForEach(ia, cJSON_GetObjectItemCaseSensitive(s, "interactions")) {
        rs->inter[k].a = cJSON_GetArrayItem(ia, 0)->valuestring;
        rs->inter[k].b = cJSON_GetArrayItem(ia, 1)->valuestring;
        k++;
    }
    rs->spec.interactions = rs->inter;
    rs->spec.n_interactions = k;
}

/* Fits and applies the case's spec, compares with R, then re-applies a JSON round trip. */
static void check_case(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/design/%s.json", name);
    cJSON *ref = ref_load(path);
    const double tol = ref_tol(ref, "matrix");
    ref_spec rs;
    ref_spec_read(ref, &rs);
    /* A case either carries its data or names a file of the shared data folder. */
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ref, "data"), "shared");
    carta_table *t = NULL;
    if (cJSON_IsString(shared)) {
        const char *file = shared_path(shared->valuestring);
        if (!file) {
            char missing[256];
            snprintf(missing, sizeof missing, "%s", shared->valuestring);
            cJSON_Delete(ref);
            cr_skip_test("shared data %s is absent", missing);
        }
        carta_error e;
        carta_error_clear(&e);
        cr_assert_eq(carta_xpt_read(file, shared->valuestring, &t, &e), CARTA_OK, "%s", e.msg);
    } else {
        t = ref_table(ref, name);
    }
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    carta_design_matrix *m;
    cr_assert_eq(carta_design_fit(&rs.spec, t, &d, &err), CARTA_OK, "%s: %s", name, err.msg);
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK, "%s: %s", name, err.msg);

    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(ref, "expected");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(exp, "names");
    cr_assert_eq(m->x.p, (size_t)cJSON_GetArraySize(names), "%s: p", name);
    cr_assert_eq(m->x.n, (size_t)cJSON_GetObjectItemCaseSensitive(exp, "n")->valuedouble, "%s: n", name);
    for (size_t j = 0; j < m->x.p; j++)
        cr_expect_str_eq(m->x.names[j], cJSON_GetArrayItem(names, (int)j)->valuestring, "%s: name %zu", name, j);
    size_t nr, nm;
    double *rows = ref_doubles(exp, "rows", &nr);
    cr_assert_eq(nr, m->x.n);
    for (size_t i = 0; i < nr; i++) cr_expect_eq(m->rows[i], (size_t)rows[i], "%s: row %zu", name, i);
    cr_expect_eq(m->n_dropped, m->n_input - m->x.n);
    double *mat = ref_doubles(exp, "matrix", &nm);
    cr_assert_eq(nm, m->x.n * m->x.p);
    char what[64];
    snprintf(what, sizeof what, "%s matrix", name);
    cr_expect_eq(check_vec(m->x.data, mat, nm, tol, what), 0, "%s: matrix differs from R", name);

    /* The same design after serialising: identical text on a second round, identical bytes. */
    char *json, *json2;
    carta_design *d2;
    carta_design_matrix *m2;
    cr_assert_eq(carta_design_to_json(d, &json, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_from_json(json, strlen(json), "design.json", &d2, &err), CARTA_OK, "%s: %s", name, err.msg);
    cr_assert_eq(carta_design_to_json(d2, &json2, &err), CARTA_OK);
    cr_expect_str_eq(json2, json, "%s: second round trip changed the text", name);
    cr_assert_eq(carta_design_apply(d2, t, &m2, &err), CARTA_OK, "%s: %s", name, err.msg);
    cr_assert_eq(m2->x.n, m->x.n);
    cr_assert_eq(m2->x.p, m->x.p);
    cr_expect_eq(memcmp(m2->data, m->data, m->x.n * m->x.p * sizeof(double)), 0, "%s: matrix bytes differ", name);

    carta_free(json);
    carta_free(json2);
    carta_design_matrix_free(m2);
    carta_design_free(d2);
    free(rows);
    free(mat);
    carta_design_matrix_free(m);
    carta_design_free(d);
    carta_table_free(t);
    cJSON_Delete(ref);
}

Test(design_ref, basic_numeric_log_factor_integer_levels_logical) { check_case("basic"); }
Test(design_ref, reference_and_declared_levels_byte_order) { check_case("reference_levels"); }
Test(design_ref, interactions_in_r_order) { check_case("interactions"); }
Test(design_ref, complete_case_rows) { check_case("missing_omit"); }
Test(design_ref, missing_left_as_nan) { check_case("missing_nan"); }
Test(design_ref, median_mode_imputation_with_indicators) { check_case("median_indicators"); }
Test(design_ref, transforms_log2_clip_standardize) { check_case("transforms"); }
Test(design_ref, rare_levels_pooled) { check_case("pooling"); }
Test(design_ref, cdisc_pilot_adsl) { check_case("cdisc_adsl"); }
