/* Unit tests of repeated k-fold validation (src/run/models.c, validate_repeats): whole runs
 * through carta_run_card on a small simulated table. Every repeat is scored and the card's
 * metric is the mean of the per-repeat values (listed as slices repeat=1..R for the headline
 * metric), with the type-7 quantiles of those values as its interval ("repeats"); repeat 1 deals
 * the same folds as plain k-fold with the same seed, so its value is the k-fold run's; repeats = 1
 * is plain k-fold; the same seed gives the same card; failed allocations are reported, not
 * leaked (the sanitizer build checks). */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/run.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* n rows: USUBJID, x1, x2, SEX, Y (binary), T, E, written to dir/d.csv. */
static void write_rows(const char *dir, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    fprintf(fp, "USUBJID,x1,x2,SEX,Y,T,E\n");
    for (size_t i = 0; i < n; i++) {
        double x1 = gsl_ran_gaussian(r, 1), x2 = gsl_ran_gaussian(r, 1), lp = 0.7 * x1 - 0.4 * x2;
        int y = gsl_rng_uniform(r) < 1 / (1 + exp(-lp));
        double t = gsl_ran_exponential(r, 10 * exp(-lp)), cz = gsl_ran_exponential(r, 15);
        fprintf(fp, "S%03zu,%.6f,%.6f,%s,%d,%.4f,%d\n", i, x1, x2, gsl_rng_uniform(r) < 0.5 ? "F" : "M", y,
                t < cz ? t : cz, t < cz);
    }
    gsl_rng_free(r);
    fclose(fp);
}

/* The card text of a config over dir/d.csv: outcome, model and validation blocks given. */
static char *card_of(const char *dir, const char *outcome, const char *model, const char *validation, carta_error *err)
{
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "{ \"name\": \"r\", \"seed\": 3, \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
             "  \"outcome\": %s, \"features\": [ { \"name\": \"x1\" }, { \"name\": \"x2\" } ],"
             "  \"models\": [ %s ], \"validation\": %s }",
             outcome, model, validation);
    carta_run_opts o = { 0 };
    o.quiet = 1;
    char *card = NULL;
    carta_error_clear(err);
    return carta_run_card(cfg, strlen(cfg), "config.json", dir, &o, "0", &card, err) == CARTA_OK ? card : NULL;
}

static const char SURV[] = "{ \"type\": \"survival\", \"time\": \"T\", \"event\": \"E == 1\" }";
static const char BIN[] = "{ \"type\": \"binary\", \"event\": \"Y == 1\" }";

/* The metrics array of the card's first model. */
static const cJSON *metrics_of(const cJSON *card)
{
    const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(card, "models"), 0);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "validation"), "metrics");
    cr_assert_not_null(v, "models/0/validation/metrics");
    return v;
}

static const cJSON *metric(const cJSON *metrics, const char *name, const char *slice)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, metrics)
        if (!strcmp(cJSON_GetObjectItem(x, "name")->valuestring, name) &&
            !strcmp(cJSON_GetObjectItem(x, "slice")->valuestring, slice))
            return x;
    return NULL;
}

static double num(const cJSON *m, const char *key) { return cJSON_GetObjectItem(m, key)->valuedouble; }

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's quantile(type = 7) of v[0..n), written out here (not GSL's). */
static double q7(const double *v, size_t n, double p)
{
    double s[16];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, by_value);
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    return lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]) : s[lo];
}

static void check_mean_over_repeats(const char *outcome, const char *model, const char *head)
{
    char dir[] = "/tmp/carta-repeats-XXXXXX";
    cr_assert(mkdtemp(dir));
    write_rows(dir, 120);
    carta_error err;
    char *rep = card_of(dir, outcome, model, "{ \"scheme\": \"repeated_kfold\", \"folds\": 3, \"repeats\": 4 }", &err);
    cr_assert_not_null(rep, "%s", err.msg);
    char *kf = card_of(dir, outcome, model, "{ \"scheme\": \"kfold\", \"folds\": 3 }", &err);
    cr_assert_not_null(kf, "%s", err.msg);
    cJSON *cr = cJSON_Parse(rep), *ck = cJSON_Parse(kf);
    cr_assert(cr && ck);
    const cJSON *mr = metrics_of(cr), *mk = metrics_of(ck);
    double v[4];
    for (int q = 0; q < 4; q++) {
        char slice[32];
        snprintf(slice, sizeof slice, "repeat=%d", q + 1);
        const cJSON *m = metric(mr, head, slice);
        cr_assert_not_null(m, "%s %s", head, slice);
        v[q] = num(m, "value");
    }
    /* repeat 1 deals the k-fold folds: the same model fits, the same value */
    const cJSON *k1 = metric(mk, head, "overall");
    cr_assert_not_null(k1);
    cr_expect_eq(v[0], num(k1, "value"), "repeat 1 %.17g vs k-fold %.17g", v[0], num(k1, "value"));
    cr_expect(v[1] != v[0] || v[2] != v[0] || v[3] != v[0], "the repeats reshuffle");
    const cJSON *o = metric(mr, head, "overall");
    cr_assert_not_null(o);
    double mean = (v[0] + v[1] + v[2] + v[3]) / 4;
    cr_expect(fabs(num(o, "value") - mean) <= 1e-12, "mean %.17g vs %.17g", num(o, "value"), mean);
    cr_expect(fabs(num(o, "lower") - q7(v, 4, 0.025)) <= 1e-12, "lower %.17g", num(o, "lower"));
    cr_expect(fabs(num(o, "upper") - q7(v, 4, 0.975)) <= 1e-12, "upper %.17g", num(o, "upper"));
    cr_expect_str_eq(cJSON_GetObjectItem(o, "ci_method")->valuestring, "repeats");
    /* every averaged metric is named so; the plain k-fold card has none */
    const cJSON *x;
    size_t n_rep = 0;
    cJSON_ArrayForEach(x, mr) {
        const char *ci = cJSON_GetStringValue(cJSON_GetObjectItem(x, "ci_method"));
        if (strncmp(cJSON_GetObjectItem(x, "slice")->valuestring, "repeat=", 7) != 0) {
            cr_expect(ci && !strcmp(ci, "repeats"), "%s", cJSON_GetObjectItem(x, "name")->valuestring);
            n_rep++;
        }
    }
    cr_expect_gt(n_rep, 3);
    cJSON_ArrayForEach(x, mk) {
        const char *ci = cJSON_GetStringValue(cJSON_GetObjectItem(x, "ci_method"));
        cr_expect(!ci || strcmp(ci, "repeats"), "k-fold has no repeats");
    }
    /* the same seed, the same card */
    char *again = card_of(dir, outcome, model, "{ \"scheme\": \"repeated_kfold\", \"folds\": 3, \"repeats\": 4 }", &err);
    cr_assert_not_null(again, "%s", err.msg);
    cr_expect_str_eq(again, rep);
    carta_free(again);
    cJSON_Delete(cr);
    cJSON_Delete(ck);
    carta_free(rep);
    carta_free(kf);
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    unlink(path);
    rmdir(dir);
}

Test(repeats, survival_card_metric_is_the_mean_over_repeats)
{
    check_mean_over_repeats(SURV, "{ \"name\": \"cox\", \"type\": \"cox\" }", "c_harrell");
}

Test(repeats, binary_card_metric_is_the_mean_over_repeats)
{
    check_mean_over_repeats(BIN, "{ \"name\": \"lr\", \"type\": \"logistic\" }", "auc");
}

Test(repeats, one_repeat_is_plain_kfold)
{
    char dir[] = "/tmp/carta-repeats-XXXXXX";
    cr_assert(mkdtemp(dir));
    write_rows(dir, 90);
    carta_error err;
    const char *model = "{ \"name\": \"lr\", \"type\": \"logistic\" }";
    char *a = card_of(dir, BIN, model, "{ \"scheme\": \"repeated_kfold\", \"folds\": 3, \"repeats\": 1, \"bootstrap\": 20 }", &err);
    cr_assert_not_null(a, "%s", err.msg);
    char *b = card_of(dir, BIN, model, "{ \"scheme\": \"kfold\", \"folds\": 3, \"bootstrap\": 20 }", &err);
    cr_assert_not_null(b, "%s", err.msg);
    cJSON *ca = cJSON_Parse(a), *cb = cJSON_Parse(b);
    cr_assert(ca && cb);
    cr_expect(cJSON_Compare(metrics_of(ca), metrics_of(cb), 1), "repeats = 1 scores as k-fold");
    cJSON_Delete(ca);
    cJSON_Delete(cb);
    carta_free(a);
    carta_free(b);
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    unlink(path);
    rmdir(dir);
}

Test(repeats, reports_out_of_memory_without_leaking)
{
    char dir[] = "/tmp/carta-repeats-XXXXXX";
    cr_assert(mkdtemp(dir));
    write_rows(dir, 60);
    carta_error err;
    const char *model = "{ \"name\": \"cox\", \"type\": \"cox\" }";
    const char *val = "{ \"scheme\": \"repeated_kfold\", \"folds\": 2, \"repeats\": 2 }";
    carta_alloc_fail_at(1000000000L); /* counts allocations without failing any */
    char *ok = card_of(dir, SURV, model, val, &err);
    long total = carta_alloc_count();
    carta_alloc_fail_at(0);
    cr_assert_not_null(ok, "%s", err.msg);
    carta_free(ok);
    /* Validation's allocations come after the full-data fit (the card follows): probe every
       third of the last 60% (about 2000 allocations in all), the rest sparsely, to stay fast. */
    long failed = 0;
    for (long k = 1; k <= total; k += k < total * 2 / 5 ? 29 : 3) {
        carta_alloc_fail_at(k);
        char *card = card_of(dir, SURV, model, val, &err);
        carta_alloc_fail_at(0);
        if (card) {
            carta_free(card);
            continue;
        }
        failed++;
        cr_expect_eq(err.code, CARTA_ENOMEM, "k = %ld: %s", k, err.msg);
    }
    cr_expect_gt(failed, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    unlink(path);
    rmdir(dir);
}
