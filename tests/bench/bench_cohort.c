/* Benchmark of the cohort step (not run by `make test`): 1e6 subjects (ADSL), a 1e7-row lab table
   (5 parameters x 2 visits per subject, one baseline each) and a 2e6-row adverse-event table,
   built in memory (loading is excluded). Times: the subject index, four baseline reductions, a
   worst-grade reduction in a window, m-EASIX, a where filter, the analysis table and a binary
   outcome. Target for the whole step: under 3 s on the 2-core CI machine. Step times are CPU
   seconds of this process.
   Usage: bench_cohort [n_subjects] (default 1000000). */
#include <carta/cohort.h>
#include <carta/design.h>
#include <carta/table.h>

#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of the process: the steps are single-threaded, and CPU time is less disturbed than
   wall time when other jobs share the machine. The wall time of the whole step is printed too. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const carta_error *err)
{
    fprintf(stderr, "bench_cohort: %s: %s\n", what, err->msg);
    exit(1);
}

static carta_column *add(carta_table *t, const char *name, carta_type type)
{
    carta_column *c;
    carta_error err = { 0 };
    if (carta_table_add_column(t, name, type, &c, &err)) die("add column", &err);
    return c;
}

/* Bytes of a table's column arrays (values, codes, bitmaps; dictionaries left out). */
static double table_bytes(const carta_table *t)
{
    double b = 0;
    for (size_t j = 0; j < carta_table_ncols(t); j++) {
        const carta_column *c = carta_table_column(t, j);
        b += (double)c->n * (c->type == CARTA_STR ? 4.0 : 8.0) + (c->missing ? (double)c->n / 8 : 0);
    }
    return b;
}

/* A small deterministic generator (xorshift64*), so that runs are comparable. */
static uint64_t rng_state = 88172645463325252ULL;
static double uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;
    carta_error err = { 0 };
    char id[32];
    double t0 = now();

    carta_table *adsl = carta_table_new("adsl");
    carta_column *st = add(adsl, "STUDYID", CARTA_STR), *us = add(adsl, "USUBJID", CARTA_STR),
                 *age = add(adsl, "AGE", CARTA_F64), *saf = add(adsl, "SAFFL", CARTA_STR),
                 *trt = add(adsl, "TRTSDT", CARTA_DATE);
    /* 34 more baseline columns, so that the design has 40 features: 30 numbers, 4 factors. */
    carta_column *xs[30], *cs[4];
    char nm[16];
    for (int j = 0; j < 30; j++) {
        snprintf(nm, sizeof nm, "X%02d", j + 1);
        xs[j] = add(adsl, nm, CARTA_F64);
    }
    for (int j = 0; j < 4; j++) {
        snprintf(nm, sizeof nm, "C%d", j + 1);
        cs[j] = add(adsl, nm, CARTA_STR);
    }
    static const char *const levels5[] = { "a", "b", "c", "d", "e" };
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(id, sizeof id, "SUBJ-%07zu", i);
        for (int j = 0; j < 30; j++) carta_column_push_f64(xs[j], uniform());
        for (int j = 0; j < 4; j++) carta_column_push_str(cs[j], levels5[(int)(uniform() * 4.999)], 1);
        carta_column_push_str(st, i % 2 ? "TRIAL-B" : "TRIAL-A", 7);
        carta_column_push_str(us, id, (size_t)k);
        carta_column_push_f64(age, 18 + 60 * uniform());
        carta_column_push_str(saf, uniform() < 0.97 ? "Y" : "N", 1);
        carta_column_push_i64(trt, 18000 + (int64_t)(i % 1000));
    }
    static const char *const params[] = { "LDH", "CREAT", "PLAT", "CRP", "ALB" };
    static const double mean[] = { 250, 1.0, 180, 2.0, 40 };
    carta_table *lb = carta_table_new("adlb");
    carta_column *ls = add(lb, "STUDYID", CARTA_STR), *lu = add(lb, "USUBJID", CARTA_STR),
                 *lp = add(lb, "PARAMCD", CARTA_STR), *lf = add(lb, "ABLFL", CARTA_STR),
                 *lv = add(lb, "AVAL", CARTA_F64), *lunit = add(lb, "AVALU", CARTA_STR);
    static const char *const units[] = { "U/L", "mg/dL", "10^9/L", "mg/dL", "g/L" };
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(id, sizeof id, "SUBJ-%07zu", i);
        for (int p = 0; p < 5; p++) {
            for (int v = 0; v < 2; v++) {
                carta_column_push_str(ls, i % 2 ? "TRIAL-B" : "TRIAL-A", 7);
                carta_column_push_str(lu, id, (size_t)k);
                carta_column_push_str(lp, params[p], strlen(params[p]));
                carta_column_push_str(lf, v == 0 ? "Y" : "", v == 0 ? 1 : 0);
                carta_column_push_f64(lv, mean[p] * (0.5 + uniform()));
                carta_column_push_str(lunit, units[p], strlen(units[p]));
            }
        }
    }
    carta_table *ae = carta_table_new("adae");
    carta_column *as = add(ae, "STUDYID", CARTA_STR), *au = add(ae, "USUBJID", CARTA_STR),
                 *ad = add(ae, "AEDECOD", CARTA_STR), *ag = add(ae, "AETOXGR", CARTA_STR),
                 *ay = add(ae, "ASTDY", CARTA_F64);
    static const char *const grades[] = { "1", "2", "3", "4", "5" };
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(id, sizeof id, "SUBJ-%07zu", i);
        for (int r = 0; r < 2; r++) {
            const char *term = uniform() < 0.6 ? "Cytokine release syndrome" : "Pyrexia";
            carta_column_push_str(as, i % 2 ? "TRIAL-B" : "TRIAL-A", 7);
            carta_column_push_str(au, id, (size_t)k);
            carta_column_push_str(ad, term, strlen(term));
            carta_column_push_str(ag, grades[(int)(uniform() * 4.999)], 1);
            carta_column_push_f64(ay, (double)(int)(1 + 40 * uniform()));
        }
    }
    double t_build = now() - t0;
    printf("bench_cohort: %zu subjects, %zu lab rows, %zu AE rows (built in %.2f s, not counted)\n", n,
           carta_table_nrows(lb), carta_table_nrows(ae), t_build);

    /* For reference: what carta_table_clone of ADSL alone costs (the cohort starts with one). */
    double tc = now();
    carta_table *copy = NULL;
    if (carta_table_clone(adsl, NULL, &copy, &err)) die("clone", &err);
    tc = now() - tc;
    carta_table_free(copy);

    double t[10];
    double w0 = wall();
    t[0] = now();
    carta_cohort *c = NULL;
    if (carta_cohort_new(adsl, "adsl", NULL, NULL, &c, &err)) die("cohort", &err);
    t[1] = now();
    for (int p = 0; p < 4; p++) {
        carta_reduce_spec r;
        carta_reduce_spec_default(&r);
        r.source = "adlb";
        r.name = params[p];
        r.param = params[p];
        if (carta_cohort_reduce(c, lb, &r, &err)) die("baseline", &err);
    }
    t[2] = now();
    carta_reduce_spec w;
    carta_reduce_spec_default(&w);
    w.rule = CARTA_REDUCE_WORST;
    w.source = "adae";
    w.name = "CRS_WORST";
    w.term = "Cytokine release syndrome";
    w.window_lo = 0;
    w.window_hi = 28;
    if (carta_cohort_reduce(c, ae, &w, &err)) die("worst", &err);
    t[3] = now();
    carta_derive_spec d = { .kind = CARTA_DERIVE_M_EASIX, .name = "M_EASIX" };
    if (carta_cohort_derive(c, &d, &err)) die("m-easix", &err);
    t[4] = now();
    if (carta_cohort_where(c, "SAFFL == 'Y' && AGE >= 18 && !(LDH is missing)", "/cohort/where", &err))
        die("where", &err);
    t[5] = now();
    const carta_table *a;
    if (carta_cohort_table(c, &a, &err)) die("table", &err);
    t[6] = now();
    carta_outcome_spec os = { .type = CARTA_OUTCOME_BINARY, .name = "/outcome", .event = "CRS_WORST >= 3" };
    carta_outcome *o = NULL;
    if (carta_outcome_build(&os, a, &o, &err)) die("outcome", &err);
    t[7] = now();
    /* The design matrix of 40 features: AGE, 4 baseline labs, log2 m-EASIX, 30 numbers, 4 factors
       (4 dummies each): 56 columns. */
    carta_feature_spec fs[40];
    const char *names[40] = { "AGE", "LDH", "CREAT", "PLAT", "CRP", "M_EASIX" };
    char xnames[34][8];
    for (int j = 0; j < 30; j++) { snprintf(xnames[j], sizeof xnames[j], "X%02d", j + 1); names[6 + j] = xnames[j]; }
    for (int j = 0; j < 4; j++) { snprintf(xnames[30 + j], sizeof xnames[30 + j], "C%d", j + 1); names[36 + j] = xnames[30 + j]; }
    for (int j = 0; j < 40; j++) {
        carta_feature_spec_default(&fs[j]);
        fs[j].name = names[j];
        if (j == 5) fs[j].transform = CARTA_TRANSFORM_LOG2;
    }
    carta_design_spec ds;
    carta_design_spec_default(&ds);
    ds.features = fs;
    ds.n_features = 40;
    carta_design *design = NULL;
    carta_design_matrix *dm = NULL;
    if (carta_design_fit(&ds, a, &design, &err)) die("design fit", &err);
    t[8] = now();
    if (carta_design_apply(design, a, &dm, &err)) die("design apply", &err);
    t[9] = now();
    double w1 = wall();
    printf("  subject index (copy of ADSL + hash)   %6.3f s (of which carta_table_clone: %.3f s)\n", t[1] - t[0], tc);
    printf("  4 baseline labs from %zu rows     %6.3f s\n", carta_table_nrows(lb), t[2] - t[1]);
    printf("  worst CRS grade, day window           %6.3f s\n", t[3] - t[2]);
    printf("  m-EASIX                               %6.3f s\n", t[4] - t[3]);
    printf("  where (3 conditions)                  %6.3f s\n", t[5] - t[4]);
    printf("  analysis table (%zu rows)          %6.3f s\n", carta_table_nrows(a), t[6] - t[5]);
    printf("  binary outcome (%zu events)         %6.3f s\n", o->n_events, t[7] - t[6]);
    printf("  design fit (40 features)              %6.3f s\n", t[8] - t[7]);
    printf("  design apply (%zu x %zu)          %6.3f s\n", dm->x.n, dm->x.p, t[9] - t[8]);
    printf("  total                                 %6.3f s CPU, %.3f s wall (target < 3 s)\n", t[9] - t[0], w1 - w0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mat = (double)dm->x.n * (double)dm->x.p * 8, tabs = table_bytes(adsl) + table_bytes(lb) + table_bytes(ae);
    printf("  peak memory %.0f MB = %.2f x (2 x matrix %.0f MB + loaded tables %.0f MB) (target < 1)\n",
           (double)ru.ru_maxrss / 1024, (double)ru.ru_maxrss * 1024 / (2 * mat + tabs), mat / 1048576, tabs / 1048576);
    carta_design_matrix_free(dm);
    carta_design_free(design);
    carta_outcome_free(o);
    carta_cohort_free(c);
    carta_table_free(adsl);
    carta_table_free(lb);
    carta_table_free(ae);
    return 0;
}
