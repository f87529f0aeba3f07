/* Test helpers: relative comparisons as gsl_test_rel defines them, reference files, paths. */
#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

int check_rel(double obs, double exp, double rtol, const char *what, ...)
{
    int ok;
    double rel = 0;
    if (isnan(exp)) ok = isnan(obs);
    else if (isinf(exp)) ok = obs == exp;
    else if (exp == 0) { rel = fabs(obs); ok = rel <= rtol; }
    else { rel = fabs(obs - exp) / fabs(exp); ok = rel <= rtol; }
    if (!ok) {
        char name[512];
        va_list ap;
        va_start(ap, what);
        vsnprintf(name, sizeof name, what, ap);
        va_end(ap);
        fprintf(stderr, "%s: %.12g vs %.12g (rel %.2g > %.2g)\n", name, obs, exp, rel, rtol);
    }
    return ok;
}

int check_vec(const double *obs, const double *exp, size_t n, double rtol, const char *what)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !check_rel(obs[i], exp[i], rtol, "%s[%zu]", what, i);
    return bad;
}

cJSON *ref_load(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) cr_assert_fail("cannot open reference %s", path);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len) cr_assert_fail("cannot read %s", path);
    buf[len] = '\0';
    fclose(fp);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j) cr_assert_fail("reference %s is not valid JSON", path);
    return j;
}

double ref_tol(const cJSON *ref, const char *field)
{
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(ref, "tol");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(tol, field);
    if (!cJSON_IsNumber(t)) cr_assert_fail("reference has no tol.%s", field);
    return t->valuedouble;
}

double *ref_doubles(const cJSON *obj, const char *key, size_t *n)
{
    const cJSON *a = key ? cJSON_GetObjectItemCaseSensitive(obj, key) : obj;
    if (!cJSON_IsArray(a)) cr_assert_fail("reference field %s is not an array", key ? key : "(value)");
    size_t k = (size_t)cJSON_GetArraySize(a), i = 0;
    double *v = malloc((k ? k : 1) * sizeof *v);
    const cJSON *e;
    cJSON_ArrayForEach(e, a) v[i++] = cJSON_IsNumber(e) ? e->valuedouble : (double)NAN;
    *n = k;
    return v;
}

const char *shared_dir(void)
{
    static char dir[4096];
    const char *env = getenv("CARTA_SHARED");
    struct stat st;
    snprintf(dir, sizeof dir, "%s", env && env[0] ? env : "../shared");
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

const char *shared_path(const char *rel)
{
    static char path[4096];
    const char *dir = shared_dir();
    struct stat st;
    if (!dir) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return stat(path, &st) == 0 ? path : NULL;
}

const char *carta_bin(void)
{
    const char *b = getenv("CARTA_BIN");
    return b && b[0] ? b : "build/rel/carta";
}

int run_capture(const char *cmd, char *out, size_t cap)
{
    char full[8192];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = 0, k;
    char tmp[4096];
    while ((k = fread(tmp, 1, sizeof tmp, p)) > 0) {
        size_t room = n + 1 < cap ? cap - n - 1 : 0;
        size_t take = k < room ? k : room;
        memcpy(out + n, tmp, take);
        n += take;
    }
    if (cap) out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *read_file_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) cr_assert_fail("cannot open %s", path);
    size_t cap = 1 << 16, n = 0, k;
    char *t = malloc(cap);
    cr_assert(t != NULL);
    while ((k = fread(t + n, 1, cap - n - 1, fp)) > 0) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            t = realloc(t, cap);
            cr_assert(t != NULL);
        }
    }
    fclose(fp);
    t[n] = '\0';
    return t;
}

const char *csv_field(const char *line, int k, char *buf, size_t cap)
{
    for (int i = 0; i < k && line; i++) line = strchr(line, ',') ? strchr(line, ',') + 1 : NULL;
    if (!line) return NULL;
    size_t n = strcspn(line, ",\n");
    if (n >= cap) n = cap - 1;
    memcpy(buf, line, n);
    buf[n] = 0;
    return buf;
}

int csv_col_index(const char *header, const char *name)
{
    char buf[64];
    for (int k = 0; csv_field(header, k, buf, sizeof buf); k++)
        if (!strcmp(buf, name)) return k;
    return -1;
}

const char *run_prediction_text(const char *preds, const char *model, const char *usubjid, char *out, size_t cap)
{
    for (const char *l = preds; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char b1[64], b2[64];
        if (csv_field(l, 1, b1, sizeof b1) && !strcmp(b1, usubjid) && csv_field(l, 3, b2, sizeof b2) && !strcmp(b2, model))
            return csv_field(l, 4, out, cap);
    }
    return NULL;
}

void col_f64(carta_table *t, const char *name, const double *v, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, CARTA_F64, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) cr_assert_eq(carta_column_push_f64(c, v[i]), CARTA_OK);
}

void col_str(carta_table *t, const char *name, const char *const *v, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, CARTA_STR, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i] ? carta_column_push_str(c, v[i], strlen(v[i])) : carta_column_push_missing(c), CARTA_OK);
}
