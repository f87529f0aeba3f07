/* Benchmark of the design stage on 1e6 subjects x 40 features (30 numeric with transforms, 10 of
   them with 5% missing values, 5 string factors with up to 12 levels and pooling, 5 integer codes
   declared categorical), with median imputation and indicators: times of fit, apply, the
   constant/collinear check and the row-major float copy for xgboost, and the peak resident
   memory of apply compared with the final matrix.

   Row-major for xgboost: the copy (blocked transpose) is timed against a direct strided write of
   the same values, which is what building the row-major matrix feature by feature would do.

   The table is generated in memory (deterministic xorshift), so that loading is not measured.
   Usage: bench_design [--rows N]. Exit status 0 unless a step failed (targets are reported, not
   enforced: the machine is shared). */
#include <carta/alloc.h>
#include <carta/design.h>
#include <carta/table.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Current and peak resident set of this process in KiB (VmRSS, VmHWM). */
static void vm_kib(long *rss, long *hwm)
{
    FILE *f = fopen("/proc/self/status", "r");
    *rss = *hwm = -1;
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld kB", rss);
        sscanf(line, "VmHWM: %ld kB", hwm);
    }
    fclose(f);
}

/* Resets the peak so that VmHWM measures one step (Linux >= 4.0: write 5 to clear_refs). */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static uint64_t rng = 88172645463325252ULL;
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static int fail(const char *what, const carta_error *err)
{
    fprintf(stderr, "bench_design: %s: %s\n", what, err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--rows") == 0) n = (size_t)strtoull(argv[i + 1], NULL, 10);
    enum { NUM = 30, STR = 5, INT = 5, NF = NUM + STR + INT };
    static const char *const products[] = { "axi-cel", "tisa-cel", "liso-cel", "brexu-cel", "ide-cel",
                                            "cilta-cel", "obe-cel", "rare-a", "rare-b", "rare-c", "rare-d", "rare-e" };
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new("bench");
    char names[NF][16];
    carta_feature_spec f[NF];
    double t0 = now();
    for (size_t j = 0; j < NF; j++) {
        carta_column *c;
        carta_feature_spec_default(&f[j]);
        f[j].name = names[j];
        if (j < NUM) {
            snprintf(names[j], sizeof names[j], "x%zu", j);
            if (carta_table_add_column(t, names[j], CARTA_F64, &c, &err) || carta_column_reserve(c, n)) return fail("table", &err);
            for (size_t i = 0; i < n; i++) {
                double v = j % 3 == 0 && unif() < 0.05 ? (double)NAN : 1 + 100 * unif();
                if (carta_column_push_f64(c, v)) return 1;
            }
            f[j].transform = j % 3 == 0 ? CARTA_TRANSFORM_LOG : j % 3 == 1 ? CARTA_TRANSFORM_STANDARDIZE : CARTA_TRANSFORM_NONE;
            if (j % 5 == 2) {
                f[j].clip = 1;
                f[j].clip_lo = 5;
                f[j].clip_hi = 95;
            }
        } else if (j < NUM + STR) {
            snprintf(names[j], sizeof names[j], "s%zu", j);
            if (carta_table_add_column(t, names[j], CARTA_STR, &c, &err) || carta_column_reserve(c, n)) return fail("table", &err);
            size_t L = 3 + 2 * (j - NUM);
            for (size_t i = 0; i < n; i++) {
                double u = unif();
                /* Skewed: the last levels are rare (about 1e-4), so pooling has work to do. */
                size_t k = u < 0.02 ? L - 1 - (size_t)(unif() * 2) % L : (size_t)(unif() * (double)(L > 2 ? L - 2 : L));
                if (unif() < 0.03 ? carta_column_push_missing(c) : carta_column_push_str(c, products[k], strlen(products[k])))
                    return 1;
            }
            f[j].pool_min_fraction = 0.01;
        } else {
            snprintf(names[j], sizeof names[j], "g%zu", j);
            if (carta_table_add_column(t, names[j], CARTA_I64, &c, &err) || carta_column_reserve(c, n)) return fail("table", &err);
            for (size_t i = 0; i < n; i++)
                if (carta_column_push_i64(c, 1 + (int64_t)(unif() * 5))) return 1;
            f[j].type = CARTA_FEATURE_CATEGORICAL;
        }
    }
    long rss, hwm;
    vm_kib(&rss, &hwm);
    printf("table: %zu rows x %d columns generated in %.2f s (resident %.0f MB)\n", n, NF, now() - t0, (double)rss / 1024);

    carta_interaction_spec ia[2] = { { "x1", "s30" }, { "x3", "x4" } };
    carta_design_spec s;
    carta_design_spec_default(&s);
    s.features = f;
    s.n_features = NF;
    s.missing = CARTA_MISSING_MEDIAN;
    s.indicators = 1;
    s.intercept = 0;
    s.interactions = ia;
    s.n_interactions = 2;

    carta_design *d;
    carta_design_matrix *m;
    reset_peak();
    vm_kib(&rss, &hwm);
    long base = rss;
    t0 = now();
    if (carta_design_fit(&s, t, &d, &err)) return fail("fit", &err);
    double t_fit = now() - t0;
    vm_kib(&rss, &hwm);
    long peak_fit = hwm;
    reset_peak();
    t0 = now();
    if (carta_design_apply(d, t, &m, &err)) return fail("apply", &err);
    double t_apply = now() - t0;
    vm_kib(&rss, &hwm);
    double mat_mb = (double)m->x.n * (double)m->x.p * 8 / 1048576;
    printf("design: %zu x %zu matrix (%.0f MB)\n", m->x.n, m->x.p, mat_mb);
    printf("fit:    %.3f s (peak above the table %.0f MB)\n", t_fit, (double)(peak_fit - base) / 1024);
    printf("apply:  %.3f s (peak above the table %.0f MB = %.2f x the matrix)\n", t_apply,
           (double)(hwm - base) / 1024, (double)(hwm - base) / 1024 / mat_mb);

    carta_design_check_result *r;
    t0 = now();
    if (carta_design_check(&m->x, NULL, &r, &err)) return fail("check", &err);
    printf("check:  %.3f s (rank %zu of %zu, %zu issues)\n", now() - t0, r->rank, m->x.p, r->n_issues);
    for (size_t k = 0; k < r->n_issues && k < 5; k++) printf("        %s\n", r->issues[k].message);
    carta_design_check_free(r);

    float *y;
    t0 = now();
    if (carta_design_row_major_f32(&m->x, &y, &err)) return fail("row-major", &err);
    double t_copy = now() - t0;
    /* What a direct row-major build does: each feature column written with stride p. */
    float *z = malloc(m->x.n * m->x.p * sizeof *z);
    if (!z) return 1;
    t0 = now();
    for (size_t j = 0; j < m->x.p; j++)
        for (size_t i = 0; i < m->x.n; i++) z[i * m->x.p + j] = (float)m->x.data[i + j * m->x.n];
    double t_strided = now() - t0;
    int same = memcmp(y, z, m->x.n * m->x.p * sizeof *z) == 0;
    printf("row-major f32: blocked copy %.3f s; strided per-feature write %.3f s (%s); copy = %.0f%% of apply\n",
           t_copy, t_strided, same ? "same bytes" : "DIFFERENT", 100 * t_copy / t_apply);
    free(z);
    carta_free(y);

    char *json;
    t0 = now();
    if (carta_design_to_json(d, &json, &err)) return fail("json", &err);
    carta_design *d2;
    if (carta_design_from_json(json, strlen(json), "bench", &d2, &err)) return fail("json read", &err);
    printf("json:   %zu bytes, written and read in %.3f s\n", strlen(json), now() - t0);
    carta_free(json);
    carta_design_free(d2);

    printf("target: fit + apply %.2f s (issue 3: the whole step under 3 s)\n", t_fit + t_apply);
    carta_design_matrix_free(m);
    carta_design_free(d);
    carta_table_free(t);
    return same ? 0 : 1;
}
