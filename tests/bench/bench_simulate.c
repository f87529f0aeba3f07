/* Benchmark: synthetic cohort generation (patients per second, peak memory) and harmonization
   of its grades and lab units (records per second). Issue target: 1e6 patients in under 30 s,
   with memory that does not grow with the number of patients. No peer program exists for this
   step, so the figures stand alone. Set CARTA_BENCH_PATIENTS to change the size. */
#include <carta/csv.h>
#include <carta/fs.h>
#include <carta/harmonize.h>
#include <carta/simulate.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long peak_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

static carta_table *read_csv(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    if (carta_csv_read(path, name, NULL, &t, &err)) fprintf(stderr, "bench_simulate: %s\n", err.msg);
    return t;
}

int main(void)
{
    const char *env = getenv("CARTA_BENCH_PATIENTS");
    long patients = env ? atol(env) : 1000000;
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/carta-bench-sim-%ld", (long)getpid());
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.patients = patients;
    o.force = 1;
    carta_error err;
    carta_error_clear(&err);
    long kb0 = peak_kb();
    double t0 = now();
    if (carta_simulate(&o, dir, &err)) {
        fprintf(stderr, "bench_simulate: %s\n", err.msg);
        return 1;
    }
    double gen = now() - t0;
    printf("simulate: %ld patients in %.2f s = %.0f patients/s; peak RSS %.1f MB (%.1f MB before)\n", patients, gen,
           (double)patients / gen, (double)peak_kb() / 1024, (double)kb0 / 1024);
    printf("simulate: target 1e6 patients in < 30 s: %s\n", patients >= 1000000 ? (gen < 30 ? "met" : "NOT met") : "n/a (smaller run)");

    carta_table *studies = read_csv(dir, "studies.csv"), *adae = read_csv(dir, "adae.csv"), *adlb = read_csv(dir, "adlb.csv");
    carta_table *mt = NULL, *ut = NULL, *ae2 = NULL, *lb2 = NULL;
    carta_grade_map *gm = NULL;
    carta_unit_map *um = NULL;
    carta_harmonize_report rep = { 0 };
    int rc = !studies || !adae || !adlb;
    if (!rc) rc = carta_csv_read("data-schemas/crs_astct_mapping.csv", "mapping", NULL, &mt, &err) ||
                  carta_csv_read("data-schemas/lab_units.csv", "units", NULL, &ut, &err) ||
                  carta_grade_map_from_table(mt, &gm, &err) || carta_unit_map_from_table(ut, &um, &err);
    if (!rc) {
        t0 = now();
        rc = carta_harmonize_grades(gm, CARTA_BOUND_POINT, studies, adae, &ae2, &rep, &err);
        double tg = now() - t0;
        t0 = now();
        if (!rc) rc = carta_harmonize_units(um, studies, adlb, &lb2, &rep, &err);
        double tu = now() - t0;
        if (!rc) {
            printf("harmonize grades: %zu AE records in %.2f s = %.0f patients/s\n", carta_table_nrows(adae), tg,
                   (double)patients / tg);
            printf("harmonize units: %zu lab records in %.2f s = %.0f patients/s\n", carta_table_nrows(adlb), tu,
                   (double)patients / tu);
        }
    }
    if (rc) fprintf(stderr, "bench_simulate: %s\n", err.msg);
    carta_harmonize_report_clear(&rep);
    carta_grade_map_free(gm);
    carta_unit_map_free(um);
    carta_table_free(mt);
    carta_table_free(ut);
    carta_table_free(ae2);
    carta_table_free(lb2);
    carta_table_free(studies);
    carta_table_free(adae);
    carta_table_free(adlb);
    carta_remove_tree(dir);
    return rc ? 1 : 0;
}
