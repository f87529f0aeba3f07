/* Benchmark: carta_cox_fit against R's coxph on the same data, in the same run.
 *
 * usage (from the repository root): bench_cox [n p tied r]
 *   no arguments: n = 1e5 and 1e6, p = 10 and 50, tied and untied times, with R; then n = 1e7,
 *   p = 10 and 50, tied and untied, without R (when 7 GB of memory is free).
 *   n p tied r: one configuration; tied = 1 rounds times up to whole days; r = 0 skips R.
 * Each configuration runs in a child process: it generates the data (random row order, a pure
 * function of the row index), fits with carta (Efron; concordance on, as coxph computes it; no
 * zph or curves), and reports the wall time and the peak resident memory beside the size of the
 * design matrix. Then it writes the data for R (time, status, x as doubles) to a temporary file,
 * and tests/bench/bench_cox.R fits coxph(ties = "efron") to it and reports the same. */
#include <carta/cox.h>

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

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* splitmix64 of the row and column: the data do not depend on generation order */
static double unif(unsigned long long i, unsigned long long j)
{
    unsigned long long z = i * 0x9E3779B97F4A7C15ULL + j * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static int run_one(size_t n, size_t p, int tied, int with_r)
{
    double design_mb = (double)n * (double)p * 8 / 1048576.0;
    double *x = malloc(n * p * sizeof *x), *time = malloc(n * sizeof *time);
    int *status = malloc(n * sizeof *status);
    char **names = malloc(p * sizeof *names);
    if (!x || !time || !status || !names) { fprintf(stderr, "bench_cox: no memory for n=%zu p=%zu\n", n, p); return 1; }
    for (size_t j = 0; j < p; j++) {
        names[j] = malloc(24);
        snprintf(names[j], 24, "x%zu", j + 1);
        double *col = x + j * n;
        for (size_t i = 0; i < n; i++) {
            double u = unif(i, j + 1);
            col[i] = j == 0 ? (u < 0.5) : sqrt(-2 * log(u)) * cos(6.283185307179586 * unif(i, j + 1000));
        }
    }
    for (size_t i = 0; i < n; i++) {
        double eta = 0.7 * x[i] - 0.5 * x[i + n] + (p > 2 ? 0.3 * x[i + 2 * n] : 0);
        double t = -log(unif(i, 0)) / (0.002 * exp(eta));
        double c = -log(unif(i, 99999)) / 0.001;
        if (c > 1825) c = 1825;
        time[i] = t < c ? t : c;
        status[i] = t < c;
        if (tied) time[i] = ceil(time[i]);
    }
    double base_mb = peak_mb();
    carta_surv_data d = { .n = n, .time = time, .status = status };
    carta_matrix m = { .n = n, .p = p, .data = x, .names = (const char *const *)names };
    carta_cox_spec spec;
    carta_cox_spec_default(&spec);
    spec.zph = CARTA_COX_ZPH_NONE;
    spec.basehaz = 0;
    carta_error err;
    carta_error_clear(&err);
    carta_cox_result *r = NULL;
    double t0 = now(), c0 = cpu();
    int rc = carta_cox_fit_reorder(&spec, &d, &m, x, &r, &err);
    double tc = now() - t0, cc = cpu() - c0, pk = peak_mb();
    if (rc != CARTA_OK) { fprintf(stderr, "bench_cox: %s\n", err.msg); return 1; }
    size_t ev = r->events;
    printf("n=%-8zu p=%-3zu %-6s events=%-8zu carta: %7.2f s (cpu %6.2f s) %2d iter  peak %8.0f MB = %.2fx design (%.0f MB); fit added %.0f MB = %.2fx  loglik %.10g  coef1 %.10f\n",
           n, p, tied ? "tied" : "untied", ev, tc, cc, r->iterations, pk, pk / design_mb, design_mb, pk - base_mb, (pk - base_mb) / design_mb,
           r->loglik[1], r->terms[0].coef);
    fflush(stdout);
    carta_cox_result_free(r);
    /* the data for R, written after carta's fit (which gives the design back bit for bit): the
       kernel's writeback of the file then does not run during carta's timing */
    char path[64] = "";
    if (with_r) {
        snprintf(path, sizeof path, "/tmp/bench_cox_%d.bin", (int)getpid());
        FILE *fp = fopen(path, "wb");
        double hdr[2] = { (double)n, (double)p };
        double *st = malloc(n * sizeof *st);
        for (size_t i = 0; i < n; i++) st[i] = status[i];
        if (!fp || fwrite(hdr, sizeof hdr, 1, fp) != 1 || fwrite(time, sizeof *time, n, fp) != n ||
            fwrite(st, sizeof *st, n, fp) != n || fwrite(x, sizeof *x, n * p, fp) != n * p) {
            fprintf(stderr, "bench_cox: cannot write %s\n", path);
            with_r = 0;
        }
        if (fp) fclose(fp);
        free(st);
    }
    if (with_r) {
        char cmd[256], out[512] = "";
        snprintf(cmd, sizeof cmd, "Rscript tests/bench/bench_cox.R %s 2>/dev/null", path);
        FILE *pp = popen(cmd, "r");
        if (pp) {
            if (!fgets(out, sizeof out, pp)) out[0] = '\0';
            pclose(pp);
        }
        double rt = 0, rcpu = 0, rmb = 0, rll = 0, rc1 = 0;
        if (sscanf(out, "%lf %lf %lf %lf %lf", &rt, &rcpu, &rmb, &rll, &rc1) == 5)
            printf("%-36s R coxph: %7.2f s (cpu %6.2f s)   peak %8.0f MB  loglik %.10g  coef1 %.10f   R/carta: wall %.1fx, cpu %.1fx, memory %.1fx\n",
                   "", rt, rcpu, rmb, rll, rc1, rt / tc, rcpu / cc, rmb / pk);
        else
            printf("%-36s R coxph: did not run (%s)\n", "", out[0] ? out : "Rscript failed");
        unlink(path);
    }
    for (size_t j = 0; j < p; j++) free(names[j]);
    free(names); free(x); free(time); free(status);
    fflush(stdout); /* the child leaves by _exit, which does not flush */
    return 0;
}

/* each configuration in its own process so that peak memory is its own */
static int child(size_t n, size_t p, int tied, int with_r)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(run_one(n, p, tied, with_r));
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
    /* one BLAS thread: the 50 x 50 rank-k updates do not gain from more (distributed.md s. 3).
       carta's own passes over the design run on two threads (cox_sums.c), so the wall time
       is below the CPU time when both cores are free. */
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    if (argc == 5)
        return child((size_t)atof(argv[1]), (size_t)atof(argv[2]), atoi(argv[3]), atoi(argv[4]));
    const size_t ns[2] = { 100000, 1000000 }, ps[2] = { 10, 50 };
    int bad = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int t = 1; t >= 0; t--) bad |= child(ns[a], ps[b], t, 1);
    /* n = 1e7 without R (coxph would need some 30 GB): the 1e7 x 50 design alone is 4 GB and
       the run peaks near 5 GB, so it is skipped when less than 7 GB is free. */
    double avail = (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (avail < 7.0 * 1073741824.0) {
        printf("n = 1e7: skipped (%.1f GB of memory free, 7 GB needed); run `bench_cox 1e7 50 0 0` alone\n",
               avail / 1073741824.0);
        return bad;
    }
    for (int b = 0; b < 2; b++)
        for (int t = 1; t >= 0; t--) bad |= child(10000000, ps[b], t, 0);
    return bad;
}
