/* Benchmark: 5-fold cross-validated elastic-net Cox path (carta_glmnet_cv) against R's
 * cv.glmnet(family = "cox") on the same data and folds, in the same run.
 *
 * usage (from the repository root): bench_glmnet [n p r]
 *   no arguments: n = 1e5, p = 200, alpha = 0.5, with R. r = 0 skips R.
 * Data: column 1 binary, the others standard normal (a pure function of row and column), true
 * log-hazard 0.7 x1 - 0.5 x2 + 0.3 x3, exponential times with administrative and random
 * censoring, times rounded to whole days (ties; Breslow on both sides). Folds: row i goes to
 * fold 1 + i mod 5. Both sides use the default path (100 lambdas, ratio 1e-4, early stop) and
 * thresh 1e-7. Prints both wall times, the ratio, and lambda.min / lambda.1se of each. The
 * lambdas differ by a few 1e-6: on integer day times above ~200 glmnet's shift of censored
 * times (+100 eps) is lost and it orders censored/death ties its own way (see the top of
 * src/fit/glmnet.c). */
#include <carta/glmnet.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

int main(int argc, char **argv)
{
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    size_t n = argc > 2 ? (size_t)atof(argv[1]) : 100000, p = argc > 2 ? (size_t)atof(argv[2]) : 200;
    int with_r = argc > 3 ? atoi(argv[3]) : 1;
    double alpha = 0.5;
    double *x = malloc(n * p * sizeof *x), *time = malloc(n * sizeof *time);
    int *status = malloc(n * sizeof *status), *foldid = malloc(n * sizeof *foldid);
    if (!x || !time || !status || !foldid) { fprintf(stderr, "bench_glmnet: no memory\n"); return 1; }
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < n; i++) {
            double u = unif(i, j + 1);
            x[i + j * n] = j == 0 ? (u < 0.5) : sqrt(-2 * log(u)) * cos(6.283185307179586 * unif(i, j + 1000));
        }
    for (size_t i = 0; i < n; i++) {
        double eta = 0.7 * x[i] - 0.5 * x[i + n] + 0.3 * x[i + 2 * n];
        double t = -log(unif(i, 0)) / (0.002 * exp(eta)), c = -log(unif(i, 99999)) / 0.001;
        if (c > 1825) c = 1825;
        time[i] = ceil(t < c ? t : c);
        status[i] = t < c;
        foldid[i] = 1 + (int)(i % 5);
    }
    char path[64] = "";
    if (with_r) {
        snprintf(path, sizeof path, "/tmp/bench_glmnet_%d.bin", (int)getpid());
        FILE *fp = fopen(path, "wb");
        double hdr[3] = { (double)n, (double)p, alpha };
        double *tmp = malloc(n * sizeof *tmp);
        int ok = fp && tmp && fwrite(hdr, sizeof hdr, 1, fp) == 1 && fwrite(time, sizeof *time, n, fp) == n;
        if (ok) { for (size_t i = 0; i < n; i++) tmp[i] = status[i]; ok = fwrite(tmp, sizeof *tmp, n, fp) == n; }
        if (ok) { for (size_t i = 0; i < n; i++) tmp[i] = foldid[i]; ok = fwrite(tmp, sizeof *tmp, n, fp) == n; }
        if (ok) ok = fwrite(x, sizeof *x, n * p, fp) == n * p;
        if (!ok) { fprintf(stderr, "bench_glmnet: cannot write %s\n", path); with_r = 0; }
        if (fp) fclose(fp);
        free(tmp);
    }
    carta_surv_data d = { .n = n, .time = time, .status = status };
    carta_matrix m = { .n = n, .p = p, .data = x, .names = NULL };
    carta_glmnet_spec spec;
    carta_glmnet_spec_default(&spec);
    spec.family = CARTA_GLMNET_COX;
    spec.alpha = alpha;
    carta_error err;
    carta_error_clear(&err);
    carta_glmnet_cv_result *cv = NULL;
    double t0 = now();
    int rc = carta_glmnet_cv(&spec, &m, NULL, &d, foldid, 5, &cv, &err);
    double tc = now() - t0;
    if (rc != CARTA_OK) { fprintf(stderr, "bench_glmnet: %s\n", err.msg); return 1; }
    printf("cox elastic net (alpha %.2g), 5-fold CV, n=%zu p=%zu: carta %8.2f s  %zu lambdas  lambda.min %.6g  lambda.1se %.6g  cvm(min) %.8g  lambda[0..1] %.15g %.15g\n",
           alpha, n, p, tc, cv->nlambda, cv->lambda_min, cv->lambda_1se, cv->cvm[cv->index_min], cv->lambda[0], cv->lambda[1]);
    fflush(stdout);
    carta_glmnet_cv_free(cv);
    int bad = 0;
    if (with_r) {
        char cmd[256], out[512] = "";
        snprintf(cmd, sizeof cmd, "Rscript tests/bench/bench_glmnet.R %s 2>/dev/null", path);
        FILE *pp = popen(cmd, "r");
        if (pp) {
            if (!fgets(out, sizeof out, pp)) out[0] = '\0';
            pclose(pp);
        }
        double rt = 0, lmin = 0, l1se = 0, cvm = 0, l0 = 0, l1 = 0;
        int nl = 0;
        if (sscanf(out, "%lf %d %lf %lf %lf %lf %lf", &rt, &nl, &lmin, &l1se, &cvm, &l0, &l1) == 7)
            printf("%*s R cv.glmnet %8.2f s  %d lambdas  lambda.min %.6g  lambda.1se %.6g  cvm(min) %.8g  lambda[0..1] %.15g %.15g   R/carta wall: %.2fx\n",
                   40, "", rt, nl, lmin, l1se, cvm, l0, l1, rt / tc);
        else {
            printf("R cv.glmnet did not run (%s)\n", out[0] ? out : "Rscript failed");
            bad = 1;
        }
        unlink(path);
    }
    free(x); free(time); free(status); free(foldid);
    return bad;
}
