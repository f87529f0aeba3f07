/* bench_km: Kaplan-Meier (log-log limits, 4 groups) and a 4-group log-rank on 1e6 and 1e7
 * subjects, with times in whole days (heavily tied) and continuous, against R survival's survfit
 * and survdiff on the same data in the same run (tests/bench/bench_km.R, when Rscript exists).
 * Each case runs in a child process so that its peak memory (getrusage ru_maxrss, measured after
 * the input columns exist) is its own. Environment: CARTA_BENCH_R_MAX (default 1e7) is the
 * largest n given to R; CARTA_BENCH_KM_MAX (default 1e7) the largest n run at all. */
#include <carta/km.h>
#include <carta/logrank.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int run_case(size_t n, int days, double r_max)
{
    double *t = malloc(n * sizeof *t);
    int *s = malloc(n * sizeof *s), *g = malloc(n * sizeof *g);
    if (!t || !s || !g) { fprintf(stderr, "bench_km: no memory\n"); return 1; }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240501u + (unsigned long)n + (unsigned long)days);
    for (size_t i = 0; i < n; i++) {
        g[i] = (int)(gsl_rng_uniform_int(rng, 4));
        double ev = gsl_ran_exponential(rng, 700.0 / (1.0 + 0.15 * g[i]));
        double ce = gsl_ran_exponential(rng, 1500.0);
        double x = ev < ce ? ev : ce;
        s[i] = ev < ce;
        t[i] = days ? ceil(x) : x;
    }
    gsl_rng_free(rng);
    /* touch the result-free baseline: the input columns are resident now */
    long base = maxrss_kb();
    carta_error err;
    carta_error_clear(&err);
    carta_surv_data d = { .n = n, .time = t, .status = s, .group = g, .n_groups = 4 };
    carta_km_spec ks;
    carta_km_spec_default(&ks);
    ks.conf_type = CARTA_KM_CONF_LOGLOG;
    carta_km_result *km = NULL;
    double t0 = now();
    int rc = carta_km_fit(&ks, &d, &km, &err);
    double t_km = now() - t0;
    if (rc) { fprintf(stderr, "bench_km: %s\n", err.msg); return 1; }
    size_t rows = 0;
    for (size_t c = 0; c < km->n_curves; c++) rows += km->curves[c].n_rows;
    double last = km->curves[0].surv[km->curves[0].n_rows - 1];
    carta_km_result_free(km);
    carta_logrank_spec ls;
    carta_logrank_spec_default(&ls);
    carta_logrank_result *lr = NULL;
    t0 = now();
    rc = carta_logrank_fit(&ls, &d, &lr, &err);
    double t_lr = now() - t0;
    if (rc) { fprintf(stderr, "bench_km: %s\n", err.msg); return 1; }
    double chisq = lr->chisq;
    carta_logrank_result_free(lr);
    long peak = maxrss_kb();
    double extra = (double)(peak - base) * 1024.0 / (double)n / sizeof(double);

    double r_km = NAN, r_lr = NAN, r_chisq = NAN, r_last = NAN;
    if ((double)n <= r_max && system("command -v Rscript >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/carta-bench-km-XXXXXX";
        int fd = mkstemp(path);
        FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (fp && fwrite(t, sizeof *t, n, fp) == n && fwrite(s, sizeof *s, n, fp) == n &&
            fwrite(g, sizeof *g, n, fp) == n && fclose(fp) == 0) {
            char cmd[512];
            snprintf(cmd, sizeof cmd, "Rscript tests/bench/bench_km.R %s %zu", path, n);
            FILE *p = popen(cmd, "r");
            if (p) {
                if (fscanf(p, "%lf %lf %lf %lf", &r_km, &r_lr, &r_chisq, &r_last) != 4) r_km = r_lr = NAN;
                pclose(p);
            }
        }
        unlink(path);
    }
    printf("n=%-9zu %-10s rows=%-8zu  km %7.3f s (R %7.3f, x%6.1f)  logrank %7.3f s (R %7.3f, x%6.1f)"
           "  extra peak %.2f doubles/subject  chisq %.10g (R %.10g) S_last %.10g (R %.10g)\n",
           n, days ? "days" : "continuous", rows, t_km, r_km, r_km / t_km, t_lr, r_lr, r_lr / t_lr,
           extra, chisq, r_chisq, last, r_last);
    fflush(stdout);
    free(t); free(s); free(g);
    return 0;
}

int main(void)
{
    const char *e = getenv("CARTA_BENCH_R_MAX");
    double r_max = e ? atof(e) : 1e7;
    e = getenv("CARTA_BENCH_KM_MAX");
    double n_max = e ? atof(e) : 1e7;
    const size_t sizes[2] = { 1000000, 10000000 };
    int failed = 0;
    for (int si = 0; si < 2; si++)
        for (int days = 1; days >= 0; days--) {
            if ((double)sizes[si] > n_max) continue;
            pid_t pid = fork();
            if (pid == 0) _exit(run_case(sizes[si], days, r_max));
            int st = 0;
            if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) failed = 1;
        }
    return failed;
}
