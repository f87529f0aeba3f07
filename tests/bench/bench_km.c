/* bench_km: Kaplan-Meier (log-log limits, 4 groups) and a 4-group log-rank on 1e6 and 1e7
 * subjects, with times in whole days (heavily tied) and continuous, against R survival's survfit
 * and survdiff on the same data in the same run (tests/bench/bench_km.R, when Rscript exists).
 * KM runs twice: with the full table (every column an array) and the compact table (times and
 * counts; the rest recomputed on demand). Each fit runs in a child process so that its peak
 * memory (getrusage ru_maxrss above what the child inherits, i.e. the input columns) is its own. Environment: CARTA_BENCH_R_MAX (default 1e7) is the
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

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* One measurement in its own process, so that its peak memory is its own: the child's peak
   resident size starts at what it inherits (the input columns) and the difference is the fit's.
   what: 0 KM with the full table, 1 KM with the compact table, 2 log-rank. Results come back
   through a pipe: wall seconds, extra doubles per subject, table rows, chi-square or last S, and
   CPU seconds (on a shared machine the wall time also counts waiting for a core). */
static int measure(int what, const carta_surv_data *d, double out[5])
{
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double r[5] = { NAN, NAN, NAN, NAN, NAN };
        long base = maxrss_kb();
        carta_error err;
        carta_error_clear(&err);
        if (what < 2) {
            carta_km_spec ks;
            carta_km_spec_default(&ks);
            ks.conf_type = CARTA_KM_CONF_LOGLOG;
            ks.table = what == 0 ? CARTA_KM_TABLE_FULL : CARTA_KM_TABLE_COMPACT;
            carta_km_result *km = NULL;
            double t0 = now(), c0 = cpu_now();
            int rc = carta_km_fit(&ks, d, &km, &err);
            r[0] = now() - t0;
            r[4] = cpu_now() - c0;
            if (rc) { fprintf(stderr, "bench_km: %s\n", err.msg); _exit(1); }
            long peak = maxrss_kb();
            size_t rows = 0;
            for (size_t c = 0; c < km->n_curves; c++) rows += km->curves[c].n_rows;
            carta_km_rows it;
            carta_km_row row = { 0 };
            carta_km_rows_begin(km, 0, &it);
            while (carta_km_rows_next(&it, &row)) {}
            r[1] = (double)(peak - base) * 1024.0 / (double)d->n / sizeof(double);
            r[2] = (double)rows;
            r[3] = row.surv;
            carta_km_result_free(km);
        } else {
            carta_logrank_spec ls;
            carta_logrank_spec_default(&ls);
            carta_logrank_result *lr = NULL;
            double t0 = now(), c0 = cpu_now();
            int rc = carta_logrank_fit(&ls, d, &lr, &err);
            r[0] = now() - t0;
            r[4] = cpu_now() - c0;
            if (rc) { fprintf(stderr, "bench_km: %s\n", err.msg); _exit(1); }
            long peak = maxrss_kb();
            r[1] = (double)(peak - base) * 1024.0 / (double)d->n / sizeof(double);
            r[3] = lr->chisq;
            carta_logrank_result_free(lr);
        }
        ssize_t wr = write(fds[1], r, sizeof r);
        _exit(wr == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = pid > 0 ? read(fds[0], out, 5 * sizeof *out) : -1;
    close(fds[0]);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        got != (ssize_t)(5 * sizeof *out))
        return 1;
    return 0;
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
    carta_surv_data d = { .n = n, .time = t, .status = s, .group = g, .n_groups = 4 };
    double kf[5], kc[5], lr[5];
    if (measure(0, &d, kf) || measure(1, &d, kc) || measure(2, &d, lr)) {
        fprintf(stderr, "bench_km: a measurement failed\n");
        return 1;
    }

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
    printf("n=%-9zu %-10s rows=%-8.0f KM full table %7.3f s (cpu %.3f), extra peak %5.2f doubles/subject;"
           " KM compact table %7.3f s (cpu %.3f), extra peak %5.2f (R survfit %7.3f s: x%.1f / x%.1f);"
           " log-rank %7.3f s (cpu %.3f), extra peak %5.2f (R survdiff %7.3f s: x%.1f);"
           " chisq %.10g (R %.10g) S_last %.10g / %.10g (R %.10g)\n",
           n, days ? "days" : "continuous", kf[2], kf[0], kf[4], kf[1], kc[0], kc[4], kc[1], r_km,
           r_km / kf[0], r_km / kc[0], lr[0], lr[4], lr[1], r_lr, r_lr / lr[0], lr[3], r_chisq, kf[3],
           kc[3], r_last);
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
