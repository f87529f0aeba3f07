/* The synthetic CAR-T cohort: determinism, calibration to the published numbers, and that
   harmonization recovers the truth the generator wrote (truth.json). */
#include <carta/alloc.h>
#include <carta/csv.h>
#include <carta/fs.h>
#include <carta/harmonize.h>
#include <carta/simulate.h>

#include "check.h"

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

/* One cohort shared by the calibration tests: 21 trials, 21000 patients. */
static void make_cohort(const char *path, int trials, long patients, unsigned long seed)
{
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.trials = trials;
    o.patients = patients;
    o.seed = seed;
    o.force = 1;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_simulate(&o, path, &err), CARTA_OK, "%s", err.msg);
}

static carta_table *read_csv(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    carta_table *t;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read(path, name, NULL, &t, &err), CARTA_OK, "%s", err.msg);
    return t;
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/carta-sim-test-%ld", (long)getpid());
    make_cohort(dir, 21, 21000, 20231207);
}

static void teardown(void) { carta_remove_tree(dir); }

static int file_equal(const char *a, const char *b)
{
    char *x, *y;
    size_t lx, ly;
    carta_error err;
    carta_error_clear(&err);
    if (carta_file_read(a, a, &x, &lx, &err) || carta_file_read(b, b, &y, &ly, &err)) return -1;
    int eq = lx == ly && memcmp(x, y, lx) == 0;
    carta_free(x);
    carta_free(y);
    return eq;
}

Test(simulate, same_seed_same_bytes_other_seed_other_data)
{
    char a[256], b[256], c[256], fa[300], fb[300];
    snprintf(a, sizeof a, "/tmp/carta-sim-a-%ld", (long)getpid());
    snprintf(b, sizeof b, "/tmp/carta-sim-b-%ld", (long)getpid());
    snprintf(c, sizeof c, "/tmp/carta-sim-c-%ld", (long)getpid());
    make_cohort(a, 7, 700, 5);
    make_cohort(b, 7, 700, 5);
    make_cohort(c, 7, 700, 6);
    const char *files[] = { "studies.csv", "adsl.csv", "adae.csv", "adlb.csv", "adtte.csv", "truth.json" };
    for (int k = 0; k < 6; k++) {
        snprintf(fa, sizeof fa, "%s/%s", a, files[k]);
        snprintf(fb, sizeof fb, "%s/%s", b, files[k]);
        cr_expect_eq(file_equal(fa, fb), 1, "%s differs between two runs with one seed", files[k]);
    }
    snprintf(fa, sizeof fa, "%s/adsl.csv", a);
    snprintf(fb, sizeof fb, "%s/adsl.csv", c);
    cr_expect_eq(file_equal(fa, fb), 0, "seeds 5 and 6 gave the same patients");
    /* Without force an existing folder is refused and left as it was. */
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.trials = 7;
    o.patients = 70;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_simulate(&o, a, &err), CARTA_EIO);
    snprintf(fa, sizeof fa, "%s/adsl.csv", a);
    cr_expect_eq(file_equal(fa, fb), 0);
    snprintf(fb, sizeof fb, "%s/adsl.csv", b);
    cr_expect_eq(file_equal(fa, fb), 1, "a refused run changed the folder");
    carta_remove_tree(a);
    carta_remove_tree(b);
    carta_remove_tree(c);
}

/* The study index of each ADSL row and each study's scale, signs flag and product. */
typedef struct cohort {
    carta_table *studies, *adsl, *adae, *adtte;
    long *truth;      /* true ASTCT grade per ADSL row */
    size_t n;
} cohort;

static void load_cohort(cohort *c)
{
    c->studies = read_csv("studies.csv");
    c->adsl = read_csv("adsl.csv");
    c->adae = read_csv("adae.csv");
    c->adtte = read_csv("adtte.csv");
    char path[512];
    snprintf(path, sizeof path, "%s/truth.json", dir);
    cJSON *t = ref_load(path);
    size_t k;
    double *g = ref_doubles(t, "astct_crs_grade", &k);
    c->n = carta_table_nrows(c->adsl);
    cr_assert_eq(k, c->n, "truth.json has %zu grades for %zu patients", k, c->n);
    c->truth = malloc(k * sizeof *c->truth);
    for (size_t i = 0; i < k; i++) c->truth[i] = (long)g[i];
    free(g);
    cJSON_Delete(t);
}

static void free_cohort(cohort *c)
{
    carta_table_free(c->studies);
    carta_table_free(c->adsl);
    carta_table_free(c->adae);
    carta_table_free(c->adtte);
    free(c->truth);
}

/* ADSL row of a USUBJID (subjects are unique; a linear search per study block is enough here). */
static long adsl_row(const carta_table *adsl, const char *usubjid)
{
    const carta_column *u = carta_table_find(adsl, "USUBJID");
    long code = carta_column_level(u, usubjid);
    if (code < 0) return -1;
    for (size_t i = 0; i < u->n; i++)
        if ((long)u->code[i] == code) return (long)i;
    return -1;
}

static const char *study_value(const carta_table *studies, const char *studyid, const char *column)
{
    const carta_column *id = carta_table_find(studies, "STUDYID"), *c = carta_table_find(studies, column);
    for (size_t i = 0; i < id->n; i++)
        if (strcmp(carta_column_str(id, i), studyid) == 0) return carta_column_str(c, i);
    return NULL;
}

static carta_table *harmonize(const cohort *c, carta_bound bound)
{
    carta_table *mt, *out;
    carta_grade_map *m;
    carta_harmonize_report rep = { 0 };
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read("data-schemas/crs_astct_mapping.csv", "mapping", NULL, &mt, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_grade_map_from_table(mt, &m, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_harmonize_grades(m, bound, c->studies, c->adae, &out, &rep, &err), CARTA_OK, "%s", err.msg);
    carta_harmonize_report_clear(&rep);
    carta_grade_map_free(m);
    carta_table_free(mt);
    return out;
}

Test(simulate, regrading_from_signs_reproduces_the_true_astct_grades, .init = setup, .fini = teardown)
{
    cohort c;
    load_cohort(&c);
    carta_table *h = harmonize(&c, CARTA_BOUND_POINT);
    const carta_column *term = carta_table_find(h, "AEDECOD"), *usub = carta_table_find(h, "USUBJID");
    const carta_column *sid = carta_table_find(h, "STUDYID"), *g = carta_table_find(h, "ASTCTGR");
    const carta_column *src = carta_table_find(h, "ASTCTSRC");
    long *graded = calloc(c.n, sizeof *graded);
    size_t checked = 0;
    for (size_t i = 0; i < carta_table_nrows(h); i++) {
        if (strcmp(carta_column_str(term, i), "Cytokine release syndrome") != 0) continue;
        long row = adsl_row(c.adsl, carta_column_str(usub, i));
        cr_assert_geq(row, 0);
        graded[row] = g->i64[i] + 1; /* +1: 0 means "no CRS record" */
        if (strcmp(carta_column_str(src, i), "SIGNS") == 0) {
            cr_expect_eq(g->i64[i], c.truth[row], "%s: regraded %lld, truth %ld", carta_column_str(usub, i),
                         (long long)g->i64[i], c.truth[row]);
            checked++;
        }
    }
    /* Patients without a CRS record have no CRS by the truth either. */
    const carta_column *asid = carta_table_find(c.adsl, "STUDYID");
    for (size_t i = 0; i < c.n; i++)
        if (!graded[i]) cr_expect_eq(c.truth[i], 0, "row %zu: no CRS record but true grade %ld", i, c.truth[i]);
    cr_expect_gt(checked, 1000);
    (void)asid;
    (void)sid;
    free(graded);
    carta_table_free(h);
    free_cohort(&c);
}

Test(simulate, mapped_grades_bracket_the_true_rates, .init = setup, .fini = teardown)
{
    cohort c;
    load_cohort(&c);
    carta_table *lo = harmonize(&c, CARTA_BOUND_MIN), *hi = harmonize(&c, CARTA_BOUND_MAX);
    /* Per trial without signs: the share with ASTCT >= 3 under min <= the true share <= under max. */
    const carta_column *ids = carta_table_find(c.studies, "STUDYID");
    for (size_t s = 0; s < ids->n; s++) {
        const char *study = carta_column_str(ids, s);
        if (strcmp(study_value(c.studies, study, "CRSSIGNS"), "Y") == 0) continue;
        long n = 0, truth3 = 0, lo3 = 0, hi3 = 0;
        const carta_column *asid = carta_table_find(c.adsl, "STUDYID");
        for (size_t i = 0; i < c.n; i++)
            if (strcmp(carta_column_str(asid, i), study) == 0) {
                n++;
                truth3 += c.truth[i] >= 3;
            }
        const carta_column *term = carta_table_find(lo, "AEDECOD"), *sid = carta_table_find(lo, "STUDYID");
        const carta_column *gl = carta_table_find(lo, "ASTCTGR"), *gh = carta_table_find(hi, "ASTCTGR");
        for (size_t i = 0; i < carta_table_nrows(lo); i++) {
            if (strcmp(carta_column_str(sid, i), study) != 0 || strcmp(carta_column_str(term, i), "Cytokine release syndrome") != 0)
                continue;
            lo3 += gl->i64[i] >= 3;
            hi3 += gh->i64[i] >= 3;
        }
        cr_expect(lo3 <= truth3 && truth3 <= hi3, "%s: ASTCT >= 3 in %ld (min) .. %ld (max), truth %ld of %ld", study, lo3,
                  hi3, truth3, n);
    }
    carta_table_free(lo);
    carta_table_free(hi);
    free_cohort(&c);
}

/* The binomial 95% interval of the published rate at the published trial size, as a share. */
static void binomial_interval(double p, int n, double *lo, double *hi)
{
    int k = 0;
    while (k < n && gsl_cdf_binomial_P((unsigned)k, p, (unsigned)n) < 0.025) k++;
    *lo = (double)k / n;
    k = n;
    while (k > 0 && gsl_cdf_binomial_Q((unsigned)(k - 1), p, (unsigned)n) < 0.025) k--;
    *hi = (double)k / n;
}

Test(simulate, reported_crs_rates_and_onset_match_the_pivotal_trials, .init = setup, .fini = teardown)
{
    cohort c;
    load_cohort(&c);
    int np;
    const carta_sim_product *prods = carta_sim_products(&np);
    const carta_column *asid = carta_table_find(c.adsl, "STUDYID"), *esid = carta_table_find(c.adae, "STUDYID");
    const carta_column *term = carta_table_find(c.adae, "AEDECOD"), *grade = carta_table_find(c.adae, "AETOXGR");
    const carta_column *day = carta_table_find(c.adae, "ASTDY");
    for (int k = 0; k < np; k++) {
        const carta_sim_product *p = &prods[k];
        long n = 0, any = 0, ge3 = 0;
        long *days = malloc(carta_table_nrows(c.adae) * sizeof *days);
        size_t nd = 0;
        /* Trials of this product that graded on its pivotal trial's scale. */
        for (size_t i = 0; i < c.n; i++) {
            const char *s = carta_column_str(asid, i);
            n += strcmp(study_value(c.studies, s, "PRODUCT"), p->name) == 0 &&
                 strcmp(study_value(c.studies, s, "CRSSCALE"), p->scale) == 0;
        }
        for (size_t i = 0; i < carta_table_nrows(c.adae); i++) {
            const char *s = carta_column_str(esid, i);
            if (strcmp(carta_column_str(term, i), "Cytokine release syndrome") != 0 ||
                strcmp(study_value(c.studies, s, "PRODUCT"), p->name) != 0 ||
                strcmp(study_value(c.studies, s, "CRSSCALE"), p->scale) != 0)
                continue;
            any++;
            ge3 += carta_column_number(grade, i) >= 3;
            days[nd++] = (long)carta_column_number(day, i);
        }
        cr_assert_gt(n, 500, "%s: %ld patients on its pivotal scale", p->name, n);
        double lo, hi;
        binomial_interval(p->crs_any, p->n_published, &lo, &hi);
        cr_expect((double)any / n >= lo && (double)any / n <= hi, "%s: any-grade CRS %.3f outside [%.3f, %.3f]", p->name,
                  (double)any / n, lo, hi);
        binomial_interval(p->crs_ge3, p->n_published, &lo, &hi);
        cr_expect((double)ge3 / n >= lo && (double)ge3 / n <= hi, "%s: grade >= 3 CRS %.3f outside [%.3f, %.3f]", p->name,
                  (double)ge3 / n, lo, hi);
        /* Median onset day (a count of days: the published median is a whole day). */
        for (size_t a = 1; a < nd; a++)
            for (size_t b = a; b > 0 && days[b - 1] > days[b]; b--) {
                long t = days[b];
                days[b] = days[b - 1];
                days[b - 1] = t;
            }
        double med = nd % 2 ? (double)days[nd / 2] : 0.5 * (double)(days[nd / 2 - 1] + days[nd / 2]);
        cr_expect(fabs(med - p->onset_median) <= 0.5, "%s: median onset %.1f, published %.0f", p->name, med, p->onset_median);
        for (size_t a = 0; a < nd; a++) cr_expect_leq(days[a], 14, "CRS onset after day 14");
        free(days);
    }
    free_cohort(&c);
}

/* Kaplan-Meier at t (days) over the rows of one product, for a landmark check: the product-limit
   estimate written out directly (carta's own KM is tested against R elsewhere). */
typedef struct obs {
    double t;
    int event;
} obs;

static int by_time(const void *a, const void *b)
{
    double x = ((const obs *)a)->t, y = ((const obs *)b)->t;
    return (x > y) - (x < y);
}

static double km_at(const cohort *c, const char *paramcd, const char *product, double t)
{
    const carta_column *sid = carta_table_find(c->adtte, "STUDYID"), *pc = carta_table_find(c->adtte, "PARAMCD");
    const carta_column *aval = carta_table_find(c->adtte, "AVAL"), *cnsr = carta_table_find(c->adtte, "CNSR");
    size_t n = 0, cap = carta_table_nrows(c->adtte);
    obs *o = malloc(cap * sizeof *o);
    for (size_t i = 0; i < cap; i++) {
        if (strcmp(carta_column_str(pc, i), paramcd) != 0 ||
            strcmp(study_value(c->studies, carta_column_str(sid, i), "PRODUCT"), product) != 0)
            continue;
        o[n].t = carta_column_number(aval, i);
        o[n++].event = carta_column_number(cnsr, i) == 0;
    }
    qsort(o, n, sizeof *o, by_time);
    double s = 1;
    for (size_t i = 0; i < n && o[i].t <= t;) {
        size_t j = i, d = 0;
        while (j < n && o[j].t == o[i].t) d += o[j++].event;
        s *= 1 - (double)d / (double)(n - i); /* n - i subjects are still at risk at o[i].t */
        i = j;
    }
    free(o);
    return s;
}

Test(simulate, os_and_pfs_landmarks_match_within_one_standard_error, .init = setup, .fini = teardown)
{
    cohort c;
    load_cohort(&c);
    int np;
    const carta_sim_product *prods = carta_sim_products(&np);
    for (int k = 0; k < np; k++) {
        const carta_sim_product *p = &prods[k];
        for (int e = 0; e < 2; e++) {
            const double *tm = e ? p->pfs_t : p->os_t, *sv = e ? p->pfs_s : p->os_s;
            for (int l = 0; l < 2 && tm[l] > 0; l++) {
                double s = km_at(&c, e ? "PFS" : "OS", p->name, tm[l] * 30.4375);
                /* One KM standard error at the published size (no censoring before the landmark). */
                double se = sqrt(sv[l] * (1 - sv[l]) / p->n_published);
                cr_expect(fabs(s - sv[l]) <= se, "%s %s at %.1f months: %.3f, published %.3f (SE %.3f)", p->name,
                          e ? "PFS" : "OS", tm[l], s, sv[l], se);
            }
        }
    }
    free_cohort(&c);
}

Test(simulate, options_are_checked)
{
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.trials = 0;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_sim_options_check(&o, &err), CARTA_EUSAGE);
    carta_sim_options_default(&o);
    o.patients = 3;
    carta_error_clear(&err);
    cr_expect_eq(carta_sim_options_check(&o, &err), CARTA_EUSAGE);
    cr_expect(strstr(err.msg, "--patients"), "%s", err.msg);
}

#include <carta/xpt.h>

/* --format xpt: the same tables as the CSV files, read back through carta's XPORT reader. */
Test(simulate, xpt_output_holds_the_same_tables)
{
    char a[256], b[256], pa[300], pb[300];
    snprintf(a, sizeof a, "/tmp/carta-sim-xa-%ld", (long)getpid());
    snprintf(b, sizeof b, "/tmp/carta-sim-xb-%ld", (long)getpid());
    make_cohort(a, 7, 350, 3);
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.trials = 7;
    o.patients = 350;
    o.seed = 3;
    o.xpt = 1;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_simulate(&o, b, &err), CARTA_OK, "%s", err.msg);
    const char *tables[] = { "studies", "adsl", "adae", "adtte" };
    for (int k = 0; k < 4; k++) {
        snprintf(pa, sizeof pa, "%s/%s.csv", a, tables[k]);
        snprintf(pb, sizeof pb, "%s/%s.xpt", b, tables[k]);
        carta_table *tc, *tx;
        static const char *const text_cols[] = { "SUBJID", "SITEID" };
        static const carta_type text_types[] = { CARTA_STR, CARTA_STR };
        carta_csv_options co;
        carta_csv_options_default(&co);
        co.n_types = 2;
        co.type_names = text_cols;
        co.types = text_types;
        cr_assert_eq(carta_csv_read(pa, tables[k], &co, &tc, &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_xpt_read(pb, tables[k], &tx, &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_table_nrows(tc), carta_table_nrows(tx), "%s rows", tables[k]);
        cr_assert_eq(carta_table_ncols(tc), carta_table_ncols(tx), "%s columns", tables[k]);
        for (size_t j = 0; j < carta_table_ncols(tc); j++) {
            const carta_column *c = carta_table_column(tc, j), *x = carta_table_find(tx, c->name);
            cr_assert_not_null(x, "%s.%s", tables[k], c->name);
            for (size_t i = 0; i < c->n; i++) {
                if (c->type == CARTA_STR) {
                    const char *s1 = carta_column_str(c, i), *s2 = carta_column_str(x, i);
                    /* XPORT cannot tell a blank text from a missing one: both read back as "". */
                    cr_expect_str_eq(s1 ? s1 : "", s2 ? s2 : "", "%s.%s row %zu", tables[k], c->name, i);
                } else if (!carta_column_is_missing(c, i)) {
                    cr_expect_eq(carta_column_number(c, i), carta_column_number(x, i), "%s.%s row %zu", tables[k], c->name, i);
                }
            }
        }
        carta_table_free(tc);
        carta_table_free(tx);
    }
    carta_remove_tree(a);
    carta_remove_tree(b);
}
