/* Benchmark of the cohort step (not run by `make test`): the analysis dataset and a 40-feature
   design matrix for 1e6 subjects, from CSV tables: ADSL (1e6 rows, 39 columns), a long lab table
   ADLB (1e7 rows: 5 parameters x 2 visits per subject, one baseline each) and ADAE (2e6 rows).

   The CSV files are written once (deterministic seeds) into $CARTA_BENCH_DIR (default
   /tmp/carta-bench) and kept for later runs, then read with carta_load_table (timed and
   reported, not part of the target). The step timed against the target is everything after
   loading: the cohort (carta_cohort_adopt: the cohort takes the loaded ADSL without a copy),
   four baseline reductions of ADLB, the worst CRS grade in a day window from ADAE, m-EASIX, a
   where filter, the analysis table, a binary outcome, and the design fit and apply. Targets
   (issue 3): the step in under 3 s on the 2-core machine, and peak memory under 2 x the final
   matrix plus the loaded tables. Peak memory is the resident set's high-water mark (VmHWM)
   during the step alone: it is reset after loading (Linux: write 5 to /proc/self/clear_refs),
   and the resident set at the step's start (the loaded tables as they sit in memory, with
   their string dictionaries) is the "loaded tables" term; the bytes of the tables' column
   arrays are printed too, and the peak is also compared with 2 x matrix + those bytes.

   Usage: bench_cohort [n_subjects] [--copy]   (default 1000000; --copy starts the cohort with
   carta_cohort_new, which copies ADSL, as `carta run` does, instead of carta_cohort_adopt).
   Exit status 0 unless something failed to run (the targets are reported, not enforced: the
   machine is shared). */
#include <carta/cohort.h>
#include <carta/design.h>
#include <carta/load.h>
#include <carta/table.h>

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* CPU time of the process (the steps are single-threaded; less disturbed than wall time on a
   shared machine) and wall time. */
static double cpu(void)
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
    fprintf(stderr, "bench_cohort: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

/* Current and peak resident set of this process in KiB (VmRSS, VmHWM), -1 when unknown. */
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

/* Resets the peak so that VmHWM measures the step alone (Linux >= 4.0). 0 on success. */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
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

/* ---- deterministic CSV files ---------------------------------------------------------------- */

/* xorshift64*, one seed per file, so that each file is the same whatever exists already. */
static uint64_t rng_state;
static double uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

/* A buffered writer with fast fixed-point formatting (snprintf for 5e7 numbers is slow). */
typedef struct out {
    FILE *f;
    char buf[1 << 20];
    size_t n;
} out;

static void flush(out *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) die("write", NULL);
    o->n = 0;
}

static void put(out *o, const char *s, size_t len)
{
    if (o->n + len > sizeof o->buf) flush(o);
    memcpy(o->buf + o->n, s, len);
    o->n += len;
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

static void putu(out *o, uint64_t v, int width)
{
    char tmp[24];
    int k = 0;
    do tmp[k++] = (char)('0' + v % 10); while ((v /= 10) != 0 || k < width);
    char rev[24];
    for (int i = 0; i < k; i++) rev[i] = tmp[k - 1 - i];
    put(o, rev, (size_t)k);
}

/* x >= 0 with d decimals. */
static void putfix(out *o, double x, int d)
{
    uint64_t scale = 1;
    for (int i = 0; i < d; i++) scale *= 10;
    uint64_t v = (uint64_t)(x * (double)scale + 0.5);
    putu(o, v / scale, 1);
    put(o, ".", 1);
    putu(o, v % scale, d);
}

static void put_id(out *o, size_t i)
{
    puts_(o, i % 2 ? "TRIAL-B,SUBJ-" : "TRIAL-A,SUBJ-");
    putu(o, i, 7);
}

static void put_date(out *o, int64_t days)
{
    int64_t y;
    unsigned m, d;
    carta_civil_from_days(days, &y, &m, &d);
    putu(o, (uint64_t)y, 4);
    put(o, "-", 1);
    putu(o, m, 2);
    put(o, "-", 1);
    putu(o, d, 2);
}

static const char *const PARAMS[] = { "LDH", "CREAT", "PLAT", "CRP", "ALB" };
static const double MEANS[] = { 250, 1.0, 180, 2.0, 40 };
static const char *const UNITS[] = { "U/L", "mg/dL", "10^9/L", "mg/dL", "g/L" };

static void write_adsl(out *o, size_t n)
{
    static const char *const levels5[] = { "a", "b", "c", "d", "e" };
    rng_state = 88172645463325252ULL;
    puts_(o, "STUDYID,USUBJID,AGE,SAFFL,TRTSDT");
    for (int j = 1; j <= 30; j++) {
        put(o, ",X", 2);
        putu(o, (uint64_t)j, 2);
    }
    puts_(o, ",C1,C2,C3,C4\n");
    for (size_t i = 0; i < n; i++) {
        put_id(o, i);
        put(o, ",", 1);
        putfix(o, 18 + 60 * uniform(), 1);
        puts_(o, uniform() < 0.97 ? ",Y," : ",N,");
        put_date(o, 18000 + (int64_t)(i % 1000));
        for (int j = 0; j < 30; j++) {
            put(o, ",", 1);
            putfix(o, uniform(), 6);
        }
        for (int j = 0; j < 4; j++) {
            put(o, ",", 1);
            puts_(o, levels5[(int)(uniform() * 4.999)]);
        }
        put(o, "\n", 1);
    }
}

static void write_adlb(out *o, size_t n)
{
    rng_state = 0x9E3779B97F4A7C15ULL;
    puts_(o, "STUDYID,USUBJID,PARAMCD,ABLFL,AVAL,AVALU\n");
    for (size_t i = 0; i < n; i++) {
        for (int p = 0; p < 5; p++) {
            for (int v = 0; v < 2; v++) {
                put_id(o, i);
                put(o, ",", 1);
                puts_(o, PARAMS[p]);
                puts_(o, v == 0 ? ",Y," : ",,");
                putfix(o, MEANS[p] * (0.5 + uniform()), 3);
                put(o, ",", 1);
                puts_(o, UNITS[p]);
                put(o, "\n", 1);
            }
        }
    }
}

static void write_adae(out *o, size_t n)
{
    rng_state = 0xD1B54A32D192ED03ULL;
    puts_(o, "STUDYID,USUBJID,AEDECOD,AETOXGR,ASTDY\n");
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < 2; r++) {
            put_id(o, i);
            puts_(o, uniform() < 0.6 ? ",Cytokine release syndrome," : ",Pyrexia,");
            putu(o, (uint64_t)(1 + (int)(uniform() * 4.999)), 1);
            put(o, ",", 1);
            putu(o, (uint64_t)(1 + (int)(40 * uniform())), 1);
            put(o, "\n", 1);
        }
    }
}

/* path = dir/cohort_<what>_<n>.csv, written (through a .part file) unless it exists. */
static void ensure(const char *dir, const char *what, size_t n, void (*gen)(out *, size_t), char *path, size_t cap)
{
    snprintf(path, cap, "%s/cohort_%s_%zu.csv", dir, what, n);
    struct stat st;
    if (stat(path, &st) == 0) return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    static out o;
    o.n = 0;
    if (!(o.f = fopen(tmp, "wb"))) die(tmp, NULL);
    double t = wall();
    gen(&o, n);
    flush(&o);
    if (fclose(o.f) != 0 || rename(tmp, path) != 0) die(path, NULL);
    printf("  wrote %s in %.1f s\n", path, wall() - t);
}

static carta_table *load(const char *path, double *secs)
{
    carta_load_spec spec = { .path = path, .format = CARTA_FORMAT_CSV };
    carta_table *t = NULL;
    carta_error err = { 0 };
    double t0 = wall();
    if (carta_load_table(&spec, &t, NULL, &err)) die("load", &err);
    *secs = wall() - t0;
    return t;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int copy = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--copy") == 0) copy = 1;
        else n = (size_t)strtoul(argv[i], NULL, 10);
    }
    carta_error err = { 0 };
    const char *dir = getenv("CARTA_BENCH_DIR") ? getenv("CARTA_BENCH_DIR") : "/tmp/carta-bench";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) die(dir, NULL);
    char p_sl[4300], p_lb[4300], p_ae[4300];
    ensure(dir, "adsl", n, write_adsl, p_sl, sizeof p_sl);
    ensure(dir, "adlb", n, write_adlb, p_lb, sizeof p_lb);
    ensure(dir, "adae", n, write_adae, p_ae, sizeof p_ae);

    double l_sl, l_lb, l_ae;
    carta_table *adsl = load(p_sl, &l_sl), *lb = load(p_lb, &l_lb), *ae = load(p_ae, &l_ae);
    double tabs = table_bytes(adsl) + table_bytes(lb) + table_bytes(ae);
    size_t n_sl = carta_table_nrows(adsl);
    printf("bench_cohort: %zu subjects, %zu lab rows, %zu AE rows; cohort by %s\n", n_sl, carta_table_nrows(lb),
           carta_table_nrows(ae), copy ? "carta_cohort_new (copies ADSL)" : "carta_cohort_adopt (no copy)");
    printf("  loading (not counted): adsl %.2f s, adlb %.2f s, adae %.2f s (wall, carta_load_table)\n", l_sl, l_lb,
           l_ae);

    /* Loader garbage is returned to the system so that the resident set at the start is the
       loaded tables; then the peak is reset to measure the step alone. */
    malloc_trim(0);
    int peak_ok = reset_peak() == 0;
    long rss0, hwm0;
    vm_kib(&rss0, &hwm0);

    double t[10];
    long rs[10], hw_unused; /* resident set after each step (KiB), to see where memory goes */
    double w0 = wall();
    t[0] = cpu();
    carta_cohort *c = NULL;
    if (copy ? carta_cohort_new(adsl, "adsl", NULL, NULL, &c, &err) : carta_cohort_adopt(adsl, "adsl", NULL, NULL, &c, &err))
        die("cohort", &err);
    if (!copy) adsl = NULL; /* the cohort owns it now */
    t[1] = cpu();
    vm_kib(&rs[1], &hw_unused);
    for (int p = 0; p < 4; p++) {
        carta_reduce_spec r;
        carta_reduce_spec_default(&r);
        r.source = "adlb";
        r.name = PARAMS[p];
        r.param = PARAMS[p];
        if (carta_cohort_reduce(c, lb, &r, &err)) die("baseline", &err);
    }
    t[2] = cpu();
    vm_kib(&rs[2], &hw_unused);
    carta_reduce_spec w;
    carta_reduce_spec_default(&w);
    w.rule = CARTA_REDUCE_WORST;
    w.source = "adae";
    w.name = "CRS_WORST";
    w.term = "Cytokine release syndrome";
    w.window_lo = 0;
    w.window_hi = 28;
    if (carta_cohort_reduce(c, ae, &w, &err)) die("worst", &err);
    t[3] = cpu();
    vm_kib(&rs[3], &hw_unused);
    carta_derive_spec d = { .kind = CARTA_DERIVE_M_EASIX, .name = "M_EASIX" };
    if (carta_cohort_derive(c, &d, &err)) die("m-easix", &err);
    t[4] = cpu();
    vm_kib(&rs[4], &hw_unused);
    if (carta_cohort_where(c, "SAFFL == 'Y' && AGE >= 18 && !(LDH is missing)", "/cohort/where", &err))
        die("where", &err);
    t[5] = cpu();
    vm_kib(&rs[5], &hw_unused);
    const carta_table *a;
    if (carta_cohort_table(c, &a, &err)) die("table", &err);
    t[6] = cpu();
    vm_kib(&rs[6], &hw_unused);
    carta_outcome_spec os = { .type = CARTA_OUTCOME_BINARY, .name = "/outcome", .event = "CRS_WORST >= 3" };
    carta_outcome *o = NULL;
    if (carta_outcome_build(&os, a, &o, &err)) die("outcome", &err);
    t[7] = cpu();
    vm_kib(&rs[7], &hw_unused);
    /* The design matrix of 40 features: AGE, 4 baseline labs, log2 m-EASIX, 30 numbers, 4 factors
       (4 dummies each): 56 columns. */
    carta_feature_spec fs[40];
    const char *names[40] = { "AGE", "LDH", "CREAT", "PLAT", "CRP", "M_EASIX" };
    char xnames[34][8];
    for (int j = 0; j < 30; j++) {
        snprintf(xnames[j], sizeof xnames[j], "X%02d", j + 1);
        names[6 + j] = xnames[j];
    }
    for (int j = 0; j < 4; j++) {
        snprintf(xnames[30 + j], sizeof xnames[30 + j], "C%d", j + 1);
        names[36 + j] = xnames[30 + j];
    }
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
    t[8] = cpu();
    vm_kib(&rs[8], &hw_unused);
    if (carta_design_apply(design, a, &dm, &err)) die("design apply", &err);
    t[9] = cpu();
    vm_kib(&rs[9], &hw_unused);
    double w1 = wall();
    long rss1, hwm;
    vm_kib(&rss1, &hwm);

    char label[9][80];
    snprintf(label[0], sizeof label[0], "cohort (%s)", copy ? "copy of ADSL + key index" : "key index, no copy");
    snprintf(label[1], sizeof label[1], "4 baseline labs from %zu rows", carta_table_nrows(lb));
    snprintf(label[2], sizeof label[2], "worst CRS grade, day window");
    snprintf(label[3], sizeof label[3], "m-EASIX");
    snprintf(label[4], sizeof label[4], "where (3 conditions)");
    snprintf(label[5], sizeof label[5], "analysis table (%zu rows, compacted)", carta_table_nrows(a));
    snprintf(label[6], sizeof label[6], "binary outcome (%zu events)", o->n_events);
    snprintf(label[7], sizeof label[7], "design fit (40 features)");
    snprintf(label[8], sizeof label[8], "design apply (%zu x %zu)", dm->x.n, dm->x.p);
    printf("  %-42s %8s %14s\n", "step", "CPU s", "resident MB");
    for (int k = 0; k < 9; k++) printf("  %-42s %8.3f %14.0f\n", label[k], t[k + 1] - t[k], (double)rs[k + 1] / 1024);
    double step_wall = w1 - w0;
    printf("  %-42s %8.3f s CPU, %.3f s wall\n", "total", t[9] - t[0], step_wall);
    /* On a shared machine the wall time includes waiting for a core; the load average says how
       much of that there was. */
    double load1 = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &load1) != 1) load1 = -1;
        fclose(la);
    }
    printf("  time target (step < 3 s): CPU %.2f s %s; wall %.2f s %s (load average %.1f on %ld cores)\n",
           t[9] - t[0], t[9] - t[0] < 3 ? "PASS" : "NOT MET", step_wall, step_wall < 3 ? "PASS" : "NOT MET", load1,
           sysconf(_SC_NPROCESSORS_ONLN));

    const double MB = 1048576;
    double mat = (double)dm->x.n * (double)dm->x.p * 8;
    double base = (double)rss0 * 1024, peak = (double)hwm * 1024;
    printf("  matrix %.0f MB; loaded tables: %.0f MB of column arrays, %.0f MB resident at the step's start\n",
           mat / MB, tabs / MB, base / MB);
    if (!peak_ok || hwm < 0 || rss0 < 0) {
        printf("  peak memory: unknown (no /proc/self/clear_refs or /proc/self/status)\n");
    } else {
        printf("  peak resident during the step %.0f MB: %.0f MB above the start = %.2f x matrix\n", peak / MB,
               (peak - base) / MB, (peak - base) / mat);
        printf("  memory target (peak < 2 x matrix + loaded tables as resident, %.0f MB): %.2f x -> %s\n",
               (2 * mat + base) / MB, peak / (2 * mat + base), peak < 2 * mat + base ? "PASS" : "NOT MET");
        printf("  memory target, strict (peak < 2 x matrix + column arrays only, %.0f MB): %.2f x -> %s\n",
               (2 * mat + tabs) / MB, peak / (2 * mat + tabs), peak < 2 * mat + tabs ? "PASS" : "NOT MET");
    }
    carta_design_matrix_free(dm);
    carta_design_free(design);
    carta_outcome_free(o);
    carta_cohort_free(c);
    carta_table_free(adsl);
    carta_table_free(lb);
    carta_table_free(ae);
    return 0;
}
