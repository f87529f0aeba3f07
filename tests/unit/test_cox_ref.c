/* Cox regression against R survival 3.5-3 (tests/reference/cox/<case>.json, written by make_cox.R).
 * Each case carries its inputs, the expected values and the tolerances; nothing here is copied
 * from carta's own output. */
#include <carta/cox.h>

#include "../../src/fit/cox_internal.h"
#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct refcase {
    cJSON *j;
    size_t n, p;
    double *x, *time, *start, *weight, *offset, *newx;
    int *status, *strata, *cluster;
    char **names;
    size_t *term_of;       /* the term of each column (model.matrix's assign), or NULL */
    carta_surv_data d;
    carta_matrix m, nd;
    carta_cox_spec spec;
} refcase;

static int *ints(const cJSON *j, const char *key, size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!a || cJSON_IsNull(a)) return NULL;
    cr_assert(cJSON_IsArray(a) && (size_t)cJSON_GetArraySize(a) == n, "%s has %d values", key, cJSON_GetArraySize(a));
    int *v = malloc(n * sizeof *v);
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) v[i++] = (int)e->valuedouble;
    return v;
}

static double *opt_doubles(const cJSON *j, const char *key)
{
    size_t k;
    if (!cJSON_GetObjectItemCaseSensitive(j, key)) return NULL;
    return ref_doubles(j, key, &k);
}

/* columns (array of arrays) into one column-major block */
static double *columns(const cJSON *j, const char *key, size_t *rows, size_t *ncol)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!a) return NULL;
    size_t p = (size_t)cJSON_GetArraySize(a), n = 0, c = 0;
    double *out = NULL;
    const cJSON *col;
    cJSON_ArrayForEach(col, a) {
        size_t k;
        double *v = ref_doubles(col, NULL, &k);
        if (!out) { n = k; out = malloc((n * p > 0 ? n * p : 1) * sizeof *out); }
        cr_assert_eq(k, n);
        memcpy(out + c * n, v, n * sizeof *v);
        free(v);
        c++;
    }
    *rows = n;
    *ncol = p;
    return out;
}

static void load_case(refcase *c, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/cox/%s.json", name);
    memset(c, 0, sizeof *c);
    c->j = ref_load(path);
    size_t rows, p;
    c->x = columns(c->j, "x", &rows, &p);
    c->n = rows;
    c->p = p;
    size_t k;
    c->time = ref_doubles(c->j, "time", &k);
    cr_assert_eq(k, c->n);
    c->start = opt_doubles(c->j, "start");
    c->weight = opt_doubles(c->j, "weights");
    c->offset = opt_doubles(c->j, "offset");
    c->status = ints(c->j, "status", c->n);
    c->strata = ints(c->j, "strata", c->n);
    c->cluster = ints(c->j, "cluster", c->n);
    c->names = calloc(p, sizeof *c->names);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(c->j, "names");
    for (size_t i = 0; i < p; i++) c->names[i] = cJSON_GetArrayItem(nm, (int)i)->valuestring;
    c->d.n = c->n;
    c->d.time = c->time;
    c->d.start = c->start;
    c->d.status = c->status;
    c->d.weight = c->weight;
    c->d.strata = c->strata;
    c->d.cluster = c->cluster;
    if (c->strata) for (size_t i = 0; i < c->n; i++) if ((size_t)c->strata[i] + 1 > c->d.n_strata) c->d.n_strata = (size_t)c->strata[i] + 1;
    if (c->cluster) for (size_t i = 0; i < c->n; i++) if ((size_t)c->cluster[i] + 1 > c->d.n_clusters) c->d.n_clusters = (size_t)c->cluster[i] + 1;
    c->m.n = c->n;
    c->m.p = p;
    c->m.data = c->x;
    c->m.names = (const char *const *)c->names;
    carta_cox_spec_default(&c->spec);
    const char *ties = cJSON_GetObjectItemCaseSensitive(c->j, "ties")->valuestring;
    c->spec.ties = strcmp(ties, "breslow") == 0 ? CARTA_COX_TIES_BRESLOW
                 : strcmp(ties, "exact") == 0 ? CARTA_COX_TIES_EXACT : CARTA_COX_TIES_EFRON;
    c->spec.robust = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->j, "robust"));
    c->spec.offset = c->offset;
    c->spec.zph = CARTA_COX_ZPH_NONE;
    const cJSON *zt = cJSON_GetObjectItemCaseSensitive(c->j, "zph_transform");
    if (zt) {
        const char *t = zt->valuestring;
        c->spec.zph = strcmp(t, "km") == 0 ? CARTA_COX_ZPH_KM : strcmp(t, "rank") == 0 ? CARTA_COX_ZPH_RANK
                    : strcmp(t, "log") == 0 ? CARTA_COX_ZPH_LOG : CARTA_COX_ZPH_IDENTITY;
    }
    if (cJSON_GetObjectItemCaseSensitive(c->j, "martingale"))
        c->spec.residuals = cJSON_GetObjectItemCaseSensitive(c->j, "score_resid")
                                ? 31u : CARTA_COX_RESID_MARTINGALE | CARTA_COX_RESID_DEVIANCE; /* (exact ties) */
    int *tof = ints(c->j, "term_of", p);
    if (tof) {
        c->term_of = malloc(p * sizeof *c->term_of);
        cr_assert(c->term_of != NULL);
        for (size_t i = 0; i < p; i++) {
            c->term_of[i] = (size_t)tof[i];
            if (c->term_of[i] + 1 > c->spec.n_terms) c->spec.n_terms = c->term_of[i] + 1;
        }
        c->spec.term_of = c->term_of;
        free(tof);
    }
    size_t nr, np;
    c->newx = columns(c->j, "newdata", &nr, &np);
    if (c->newx) {
        c->nd.n = nr;
        c->nd.p = np;
        c->nd.data = c->newx;
        c->spec.newdata = &c->nd;
    }
}

static void free_case(refcase *c)
{
    cJSON_Delete(c->j);
    free(c->x); free(c->time); free(c->start); free(c->weight); free(c->offset); free(c->newx);
    free(c->status); free(c->strata); free(c->cluster); free(c->names); free(c->term_of);
}

/* Compares a vector with tolerance tol relative to the largest |expected| value in it (for
   residuals and curve standard errors, where single values may sit near 0). */
static int check_scaled(const double *obs, const double *exp, size_t n, double tol, const char *what)
{
    double big = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) if (fabs(exp[i]) > big) big = fabs(exp[i]);
    for (size_t i = 0; i < n; i++) {
        double e = fabs(obs[i] - exp[i]);
        if (isnan(exp[i]) ? !isnan(obs[i]) : !(e <= tol * big)) {
            if (bad < 5) fprintf(stderr, "%s[%zu]: %.12g vs %.12g (err %.2g > %.2g * %.3g)\n", what, i, obs[i], exp[i], e, tol, big);
            bad++;
        }
    }
    return bad;
}

static void field(const cJSON *j, const char *key, const double *obs, size_t n, double tol,
                  const char *name)
{
    size_t k;
    double *e = ref_doubles(j, key, &k);
    cr_expect_eq(k, n, "%s %s: %zu values, expected %zu", name, key, n, k);
    char what[128];
    snprintf(what, sizeof what, "%s %s", name, key);
    cr_expect_eq(check_vec(obs, e, k < n ? k : n, tol, what), 0, "%s differs from R", what);
    free(e);
}

static void test3(const cJSON *j, const char *key, carta_cox_test t, const char *name)
{
    size_t k;
    double *e = ref_doubles(j, key, &k);
    cr_assert_eq(k, 3);
    cr_expect(check_rel(t.stat, e[0], ref_tol(j, "test"), "%s %s stat", name, key));
    cr_expect_eq(t.df, e[1], "%s %s df", name, key);
    cr_expect(check_rel(t.p, e[2], ref_tol(j, "p"), "%s %s p", name, key));
    free(e);
}

/* reorder: fit with carta_cox_fit_reorder (the call `carta run` makes), which must take the
   sorted path on this case and give the design back unchanged. */
static void run_case_as(const char *name, int reorder)
{
    refcase c;
    load_case(&c, name);
    carta_cox_result *r = NULL;
    carta_error err;
    carta_error_clear(&err);
    int rc;
    if (reorder) {
        cox_work *w = NULL;
        cr_assert_eq(cox_work_new(&c.spec, &c.d, &c.m, c.x, &w, &err), CARTA_OK, "%s: %s", name, err.msg);
        cr_assert(w->sortable, "%s: not a case for the sorted path", name);
        cox_work_free(w);
        size_t nx = c.n * c.p;
        double *x0 = malloc((nx ? nx : 1) * sizeof *x0);
        cr_assert(x0 != NULL);
        memcpy(x0, c.x, nx * sizeof *x0);
        rc = carta_cox_fit_reorder(&c.spec, &c.d, &c.m, c.x, &r, &err);
        cr_expect(memcmp(x0, c.x, nx * sizeof *x0) == 0, "%s: the design was not put back", name);
        free(x0);
    } else {
        rc = carta_cox_fit(&c.spec, &c.d, &c.m, &r, &err);
    }
    cr_assert_eq(rc, CARTA_OK, "%s: %s", name, err.msg);
    const cJSON *j = c.j;
    size_t p = c.p, n = c.n;
    double *v = malloc((n * p + p * p + 16) * sizeof *v);

    cr_expect(r->converged, "%s did not converge: %s", name, r->warnings);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].coef;
    field(j, "coef", v, p, ref_tol(j, "coef"), name);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].se;
    field(j, "se", v, p, ref_tol(j, "se"), name);
    field(j, "vcov", r->vcov, p * p, ref_tol(j, "vcov"), name);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].hr_lower;
    field(j, "hr_lower", v, p, ref_tol(j, "se"), name);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].hr_upper;
    field(j, "hr_upper", v, p, ref_tol(j, "se"), name);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].z;
    field(j, "z", v, p, ref_tol(j, "test"), name);
    for (size_t k = 0; k < p; k++) v[k] = r->terms[k].p;
    field(j, "pz", v, p, ref_tol(j, "p"), name);
    field(j, "loglik", r->loglik, 2, ref_tol(j, "loglik"), name);
    test3(j, "lr", r->lr, name);
    test3(j, "score", r->score, name);
    test3(j, "wald", r->wald, name);
    if (cJSON_GetObjectItemCaseSensitive(j, "robust_se")) {
        cr_assert(r->robust && r->robust_vcov, "%s: no robust variance", name);
        for (size_t k = 0; k < p; k++) v[k] = r->terms[k].robust_se;
        field(j, "robust_se", v, p, ref_tol(j, "se"), name);
        field(j, "robust_vcov", r->robust_vcov, p * p, ref_tol(j, "vcov"), name);
        test3(j, "robust_score", r->robust_score, name);
    }
    double cc[2] = { r->concordance, r->concordance_se };
    size_t k2;
    double *ec = ref_doubles(j, "concordance", &k2);
    cr_expect(check_rel(cc[0], ec[0], ref_tol(j, "concordance"), "%s concordance", name));
    cr_expect(check_rel(cc[1], ec[1], ref_tol(j, "concordance_se"), "%s concordance se", name));
    free(ec);
    field(j, "concordance_counts", r->conc_counts, 5, ref_tol(j, "concordance"), name);

    if (cJSON_GetObjectItemCaseSensitive(j, "martingale")) {
        double tr = ref_tol(j, "resid");
        double *e = ref_doubles(j, "martingale", &k2);
        cr_expect_eq(check_scaled(r->martingale, e, n, tr, "martingale"), 0, "%s martingale", name);
        free(e);
        e = ref_doubles(j, "deviance", &k2);
        cr_expect_eq(check_scaled(r->deviance, e, n, tr, "deviance"), 0, "%s deviance", name);
        free(e);
    }
    if (cJSON_GetObjectItemCaseSensitive(j, "score_resid")) {
        double tr = ref_tol(j, "resid");
        size_t rows, q;
        /* R's residual matrices have the kept columns only */
        double *es = columns(j, "score_resid", &rows, &q);
        double *ed = columns(j, "dfbeta", &rows, &q);
        for (size_t a = 0, kk = 0; a < p; a++) {
            if (r->terms[a].aliased) continue;
            cr_expect_eq(check_scaled(r->score_resid + a * n, es + kk * n, n, tr, "score"), 0, "%s score residuals col %zu", name, a);
            cr_expect_eq(check_scaled(r->dfbeta + a * n, ed + kk * n, n, tr, "dfbeta"), 0, "%s dfbeta col %zu", name, a);
            kk++;
        }
        free(es); free(ed);
        double *sch = columns(j, "schoenfeld", &rows, &q);
        double *ssch = columns(j, "scaled_schoenfeld", &rows, &q);
        cr_expect_eq(r->n_schoenfeld, rows, "%s: %zu Schoenfeld rows, R %zu", name, r->n_schoenfeld, rows);
        int *srow = ints(j, "schoenfeld_rows", rows);
        for (size_t e2 = 0; e2 < rows && e2 < r->n_schoenfeld; e2++) cr_expect_eq(r->schoenfeld_row[e2], (size_t)srow[e2]);
        for (size_t a = 0, kk = 0; a < p; a++) {
            if (r->terms[a].aliased) continue;
            cr_expect_eq(check_scaled(r->schoenfeld + a * rows, sch + kk * rows, rows, tr, "schoenfeld"), 0, "%s schoenfeld col %zu", name, a);
            cr_expect_eq(check_scaled(r->scaled_schoenfeld + a * rows, ssch + kk * rows, rows, tr, "scaled schoenfeld"), 0, "%s scaled schoenfeld col %zu", name, a);
            kk++;
        }
        free(sch); free(ssch); free(srow);
    }

    const cJSON *zph = cJSON_GetObjectItemCaseSensitive(j, "zph");
    if (zph && c.spec.zph != CARTA_COX_ZPH_NONE) {
        cr_assert(r->zph_terms, "%s: no zph", name);
        double tz = ref_tol(j, "zph");
        int i = 0;
        const cJSON *row;
        size_t nrow = (size_t)cJSON_GetArraySize(zph);
        cJSON_ArrayForEach(row, zph) {
            size_t kk;
            double *e = ref_doubles(row, NULL, &kk);
            carta_cox_test t;
            if ((size_t)i + 1 == nrow) t = r->zph_global;
            else {
                /* the i-th kept term */
                size_t a = 0, seen = 0;
                for (; a < p; a++) if (!r->terms[a].aliased && seen++ == (size_t)i) break;
                t = r->zph_terms[a];
            }
            cr_expect(check_rel(t.stat, e[0], tz, "%s zph[%d] chisq", name, i));
            cr_expect_eq(t.df, e[1], "%s zph[%d] df", name, i);
            cr_expect(check_rel(t.p, e[2], tz, "%s zph[%d] p", name, i));
            free(e);
            i++;
        }
    }
    /* cox.zph(terms = TRUE): one row per term (a factor's columns together), then GLOBAL */
    const cJSON *zbt = cJSON_GetObjectItemCaseSensitive(j, "zph_by_term");
    if (zbt && c.spec.zph != CARTA_COX_ZPH_NONE) {
        double tz = ref_tol(j, "zph");
        size_t nrow = (size_t)cJSON_GetArraySize(zbt);
        cr_assert(r->zph_by_term != NULL && r->n_zph_by_term + 1 == nrow, "%s: zph per term has %zu rows, R %zu",
                  name, r->n_zph_by_term, nrow);
        int i = 0;
        const cJSON *row;
        cJSON_ArrayForEach(row, zbt) {
            size_t kk;
            double *e = ref_doubles(row, NULL, &kk);
            carta_cox_test t = (size_t)i + 1 == nrow ? r->zph_global : r->zph_by_term[i];
            cr_expect(check_rel(t.stat, e[0], tz, "%s zph term %d chisq", name, i));
            cr_expect_eq(t.df, e[1], "%s zph term %d df", name, i);
            cr_expect(check_rel(t.p, e[2], tz, "%s zph term %d p", name, i));
            free(e);
            i++;
        }
    }

    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(j, "basehaz");
    if (bh) {
        cr_assert_eq(r->n_basehaz, (size_t)cJSON_GetArraySize(bh), "%s: %zu baseline hazards", name, r->n_basehaz);
        size_t s = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, bh) {
            char what[64];
            snprintf(what, sizeof what, "%s basehaz[%zu]", name, s);
            field(b, "time", r->basehaz[s].time, r->basehaz[s].n_time, ref_tol(j, "coef"), what);
            field(b, "cumhaz", r->basehaz[s].cumhaz, r->basehaz[s].n_time, ref_tol(j, "basehaz"), what);
            s++;
        }
    }
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(j, "curves");
    if (cv) {
        cr_assert_eq(r->n_curves, (size_t)cJSON_GetArraySize(cv), "%s: %zu curves", name, r->n_curves);
        size_t s = 0;
        const cJSON *b;
        double tc = ref_tol(j, "curve");
        cJSON_ArrayForEach(b, cv) {
            const carta_cox_curve *cu = &r->curves[s];
            char what[64];
            snprintf(what, sizeof what, "%s curve[%zu]", name, s);
            cr_expect_eq(cu->row, (size_t)cJSON_GetObjectItemCaseSensitive(b, "row")->valueint);
            cr_expect_eq(cu->stratum, (size_t)cJSON_GetObjectItemCaseSensitive(b, "stratum")->valueint);
            field(b, "time", cu->time, cu->n_time, ref_tol(j, "coef"), what);
            field(b, "surv", cu->surv, cu->n_time, tc, what);
            field(b, "lower", cu->lower, cu->n_time, tc, what);
            field(b, "upper", cu->upper, cu->n_time, tc, what);
            double *e = ref_doubles(b, "std_err", &k2);
            cr_expect_eq(check_scaled(cu->std_err, e, k2 < cu->n_time ? k2 : cu->n_time, tc, what), 0, "%s std_err", what);
            free(e);
            s++;
        }
    }
    free(v);
    carta_cox_result_free(r);
    free_case(&c);
}

static void run_case(const char *name) { run_case_as(name, 0); }

Test(cox_ref, lung_efron) { run_case("lung_efron"); }
Test(cox_ref, lung_breslow) { run_case("lung_breslow"); }
Test(cox_ref, lung_zph_rank) { run_case("lung_zph_rank"); }
Test(cox_ref, lung_zph_identity) { run_case("lung_zph_identity"); }
Test(cox_ref, lung_zph_log) { run_case("lung_zph_log"); }
Test(cox_ref, lung_robust) { run_case("lung_robust"); }
Test(cox_ref, lung_aliased) { run_case("lung_aliased"); }
Test(cox_ref, lung_weights) { run_case("lung_weights"); }
Test(cox_ref, ovarian_efron) { run_case("ovarian_efron"); }
Test(cox_ref, ovarian_offset) { run_case("ovarian_offset"); }
Test(cox_ref, veteran_efron) { run_case("veteran_efron"); }
Test(cox_ref, veteran_breslow) { run_case("veteran_breslow"); }
Test(cox_ref, pbc_strata) { run_case("pbc_strata"); }
Test(cox_ref, pbc_strata_robust_breslow) { run_case("pbc_strata_robust_breslow"); }
Test(cox_ref, heart_counting) { run_case("heart_counting"); }
Test(cox_ref, heart_breslow) { run_case("heart_breslow"); }
Test(cox_ref, heart_cluster) { run_case("heart_cluster"); }
Test(cox_ref, rats_cluster) { run_case("rats_cluster"); }
Test(cox_ref, lung_exact) { run_case("lung_exact"); }
Test(cox_ref, lung_exact_nostrata) { run_case("lung_exact_nostrata"); }
Test(cox_ref, adtte_efron) { run_case("adtte_efron"); }
Test(cox_ref, adtte_breslow) { run_case("adtte_breslow"); }
/* many distinct event times: both the bucket path and the sorted path against R */
Test(cox_ref, sorted_continuous) { run_case("sorted_continuous"); }
Test(cox_ref, sorted_continuous_reordered) { run_case_as("sorted_continuous", 1); }
