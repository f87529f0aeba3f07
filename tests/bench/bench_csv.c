/* Benchmark of carta_csv_read on a 1e6 x 50 numeric CSV (about 560 MB), against data.table's
   fread on the same file when R with data.table is installed.

   The file is generated once (deterministically) in $CARTA_BENCH_DIR (default /tmp/carta-bench)
   and kept for later runs. Each reader runs several times on a warm page cache; the best time is
   reported. carta runs in a fresh child process (this program re-executed with --child), so
   that its peak resident set (VmHWM from /proc/self/status) is the reader's alone, and is
   compared with the size of the parsed columns (n * p * 8 bytes).

   Usage: bench_csv [--rows N] [--cols P] [--runs K] [--threads T]
   Exit status 0 unless something failed to run (the throughput target is reported, not
   enforced: the machine is shared). */
#include <carta/csv.h>
#include <carta/table.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set of this process in KiB (VmHWM), or -1. */
static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Writes n rows of p columns "c1..cp"; each value is a decimal with up to 3 integer digits and
   6 decimals, negative in every third column ("-123.456789"), as a measuring device writes. */
static int generate(const char *path, size_t n, size_t p)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    static char buf[1 << 16];
    size_t o = 0;
    for (size_t j = 0; j < p; j++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%sc%zu", j ? "," : "", j + 1);
    buf[o++] = '\n';
    uint64_t s = 0x2545F4914F6CDD1DULL;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p; j++) {
            uint64_t r = next_u64(&s);
            unsigned ip = (unsigned)(r % 1000), fp = (unsigned)((r >> 20) % 1000000);
            if (j % 3 == 2) buf[o++] = '-';
            char tmpd[8];
            int k = 0;
            do tmpd[k++] = (char)('0' + ip % 10); while ((ip /= 10) != 0);
            while (k) buf[o++] = tmpd[--k];
            buf[o++] = '.';
            for (int d = 5; d >= 0; d--) {
                buf[o + (size_t)d] = (char)('0' + fp % 10);
                fp /= 10;
            }
            o += 6;
            buf[o++] = j + 1 < p ? ',' : '\n';
        }
        if (o > sizeof buf - 2048) {
            if (fwrite(buf, 1, o, f) != o) { fclose(f); return -1; }
            o = 0;
        }
    }
    if (fwrite(buf, 1, o, f) != o || fclose(f) != 0) return -1;
    return rename(tmp, path);
}

/* Reads the file once so that every reader finds it in the page cache. */
static void warm(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static char buf[1 << 20];
    while (fread(buf, 1, sizeof buf, f) == sizeof buf) {}
    fclose(f);
}

/* CPU seconds (user + system, all threads) used by this process so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The child: one read, then "seconds cpu_seconds hwm_before_kib hwm_after_kib rows cols". */
static int child(const char *path, int threads)
{
    long before = vm_hwm_kib();
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.threads = threads;
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    double c0 = cpu_seconds(), t0 = now();
    int rc = carta_csv_read(path, path, &o, &t, &err);
    double t1 = now(), c1 = cpu_seconds();
    if (rc) {
        fprintf(stderr, "bench_csv: %s\n", err.msg);
        return 1;
    }
    long after = vm_hwm_kib();
    printf("%.6f %.6f %ld %ld %zu %zu\n", t1 - t0, c1 - c0, before, after, carta_table_nrows(t), carta_table_ncols(t));
    carta_table_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, p = 50;
    int runs = 3, threads = 2;
    const char *child_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc) n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--cols") && i + 1 < argc) p = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--child") && i + 1 < argc) child_path = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--rows N] [--cols P] [--runs K] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (child_path) return child(child_path, threads);

    const char *dir = getenv("CARTA_BENCH_DIR");
    if (!dir || !dir[0]) dir = "/tmp/carta-bench";
    char path[4096];
    snprintf(path, sizeof path, "%s/num_%zux%zu.csv", dir, n, p);
    struct stat st;
    if (stat(path, &st) != 0) {
        mkdir(dir, 0777);
        printf("bench_csv: generating %s ...\n", path);
        fflush(stdout);
        double t0 = now();
        if (generate(path, n, p) != 0 || stat(path, &st) != 0) {
            fprintf(stderr, "bench_csv: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
        printf("bench_csv: generated in %.1f s\n", now() - t0);
    }
    double mb = (double)st.st_size / 1e6, parsed_mb = (double)n * (double)p * 8.0 / 1e6;
    warm(path);
    printf("bench_csv: %s, %.1f MB, %zu rows x %zu columns, %d threads, best of %d runs\n", path, mb, n, p, threads,
           runs);

    /* carta, each run in a fresh process. */
    double best = 1e300, best_cpu = 1e300;
    long peak_kib = 0, base_kib = 0;
    for (int r = 0; r < runs; r++) {
        char cmd[8400], line[256];
        snprintf(cmd, sizeof cmd, "'%s' --threads %d --child '%s'", argv[0], threads, path);
        FILE *f = popen(cmd, "r");
        if (!f || !fgets(line, sizeof line, f)) {
            fprintf(stderr, "bench_csv: the carta child failed\n");
            if (f) pclose(f);
            return 1;
        }
        pclose(f);
        double secs, cpu;
        long before, after;
        size_t rn, rp;
        if (sscanf(line, "%lf %lf %ld %ld %zu %zu", &secs, &cpu, &before, &after, &rn, &rp) != 6 || rn != n ||
            rp != p) {
            fprintf(stderr, "bench_csv: unexpected child output: %s", line);
            return 1;
        }
        printf("  carta run %d: %.3f s wall, %.3f s CPU, %.0f MB/s, peak RSS %.1f MB (%.1f MB before the read)\n",
               r + 1, secs, cpu, mb / secs, (double)after * 1024.0 / 1e6, (double)before * 1024.0 / 1e6);
        if (secs < best) best = secs;
        if (cpu < best_cpu) best_cpu = cpu;
        if (after > peak_kib) peak_kib = after;
        base_kib = before;
    }
    double peak_mb = (double)peak_kib * 1024.0 / 1e6, base_mb = (double)base_kib * 1024.0 / 1e6;
    printf("carta:  %.3f s wall  %.3f s CPU  %.0f MB/s  peak RSS %.1f MB = %.3fx the parsed columns (%.1f MB); "
           "%.3fx without the %.1f MB the process held before reading\n",
           best, best_cpu, mb / best, peak_mb, peak_mb / parsed_mb, parsed_mb, (peak_mb - base_mb) / parsed_mb, base_mb);

    /* data.table::fread, when available. */
    if (system("Rscript -e 'suppressMessages(library(data.table))' >/dev/null 2>&1") != 0) {
        printf("fread:  skipped (R with data.table is not installed)\n");
        return 0;
    }
    char cmd[8400];
    snprintf(cmd, sizeof cmd,
             "Rscript -e 'suppressMessages(library(data.table)); f <- \"%s\"; b <- Inf; bc <- Inf; "
             "for (i in 1:%d) { t <- system.time(x <- fread(f, nThread = %d, showProgress = FALSE)); "
             "stopifnot(nrow(x) == %zu, ncol(x) == %zu); b <- min(b, t[[\"elapsed\"]]); "
             "bc <- min(bc, t[[\"user.self\"]] + t[[\"sys.self\"]]); rm(x); invisible(gc()) }; "
             "cat(sprintf(\"%%.6f %%.6f %%s\\n\", b, bc, as.character(packageVersion(\"data.table\"))))'",
             path, runs, threads, n, p);
    FILE *f = popen(cmd, "r");
    char line[256];
    if (!f || !fgets(line, sizeof line, f)) {
        fprintf(stderr, "bench_csv: fread failed\n");
        if (f) pclose(f);
        return 1;
    }
    pclose(f);
    double fsecs, fcpu;
    char ver[64] = "";
    if (sscanf(line, "%lf %lf %63s", &fsecs, &fcpu, ver) < 2) {
        fprintf(stderr, "bench_csv: unexpected R output: %s", line);
        return 1;
    }
    printf("fread:  %.3f s wall  %.3f s CPU  %.0f MB/s  (data.table %s, nThread = %d)\n", fsecs, fcpu, mb / fsecs, ver,
           threads);
    printf("carta / fread throughput: %.2fx by wall time (target >= 2x: %s), %.2fx by CPU time\n", fsecs / best,
           fsecs / best >= 2.0 ? "met" : "NOT met", fcpu / best_cpu);
    return 0;
}
