/* The per-study table of the card (data.studies): for every study (STUDYID) of the analysed
 * rows, the registry facts (product, costimulatory domain, disease, the CRS grading scale the
 * trial reported), n and events, and a compact "Table 1 by study" (TRIPOD+AI items 5a and 20b;
 * ../shared/domain/model-cards.md section 5): numbers as median and quartiles (R's default
 * quantile, type 7, through GSL), text columns as n (%) per level.
 *
 * Small counts: every count is written through carta_jsonw_count, so a count in
 * [1, threshold) becomes the string "<threshold"; a percentage whose count is suppressed is
 * null, and so are the median and quartiles of fewer than `threshold` values (each of them is
 * a patient's value, or the mean of two). This is primary suppression only: a suppressed level
 * count can still be recovered from the study's n and the other levels' counts. */
#include <carta/report.h>
#include <carta/alloc.h>
#include <carta/jsonw.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

/* Categorical columns with more levels than this are left out of the compact table. */
#define MAX_LEVELS 10

static int cmp_str(const char *a, const char *b) { return strcmp(a, b); }

/* The study's value of a registry column, else the distinct values of the analysis table's
   column over the study's rows (byte order, joined by ", "), else NULL. *owned is set when the
   returned text was allocated. */
static char *study_fact(const carta_table *reg, const carta_column *reg_id, const char *study, const carta_column *col,
                        const size_t *rows, size_t n_rows, const carta_column *id, const char *key, int *oom)
{
    if (reg && reg_id) {
        const carta_column *rc = carta_table_find(reg, key);
        if (rc && rc->type == CARTA_STR)
            for (size_t i = 0; i < carta_table_nrows(reg); i++) {
                const char *s = carta_column_str(reg_id, i);
                if (s && strcmp(s, study) == 0) {
                    const char *v = carta_column_str(rc, i);
                    if (!v) return NULL;
                    char *d = carta_strdup(v);
                    if (!d) *oom = 1;
                    return d;
                }
            }
    }
    if (!col || col->type != CARTA_STR) return NULL;
    /* Distinct levels seen in the study, in byte order. */
    uint8_t *seen = carta_calloc(col->n_levels ? col->n_levels : 1, 1);
    if (!seen) {
        *oom = 1;
        return NULL;
    }
    size_t total = 0, k = 0;
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows ? rows[r] : r;
        const char *s = carta_column_str(id, i);
        if (!s || strcmp(s, study) != 0 || carta_column_is_missing(col, i)) continue;
        if (!seen[col->code[i]]) {
            seen[col->code[i]] = 1;
            total += strlen(col->levels[col->code[i]]) + 2;
            k++;
        }
    }
    char *out = NULL;
    if (k) {
        out = carta_malloc(total + 1);
        if (!out) *oom = 1;
        else {
            out[0] = '\0';
            const char *last = NULL;
            /* Repeatedly the smallest level above the last one written. */
            for (size_t j = 0; j < k; j++) {
                const char *best = NULL;
                for (size_t l = 0; l < col->n_levels; l++)
                    if (seen[l] && (!last || cmp_str(col->levels[l], last) > 0) && (!best || cmp_str(col->levels[l], best) < 0))
                        best = col->levels[l];
                if (j) strcat(out, ", ");
                strcat(out, best);
                last = best;
            }
        }
    }
    carta_free(seen);
    return out;
}

static void kcount(carta_jsonw *w, const char *key, double v, long thr)
{
    carta_jsonw_key(w, key);
    carta_jsonw_count(w, v, thr);
}

/* One variable of one study. Returns -1 when out of memory. */
static int summarise(carta_jsonw *w, const carta_column *col, const carta_column *id, const char *study,
                     const size_t *rows, size_t n_rows, long thr)
{
    if (col->type == CARTA_STR) {
        if (col->n_levels > MAX_LEVELS) return 0;
        size_t *cnt = carta_calloc(col->n_levels + 1, sizeof *cnt);
        if (!cnt) return -1;
        size_t n = 0;
        for (size_t r = 0; r < n_rows; r++) {
            size_t i = rows ? rows[r] : r;
            const char *s = carta_column_str(id, i);
            if (!s || strcmp(s, study) != 0) continue;
            n++;
            if (carta_column_is_missing(col, i)) cnt[col->n_levels]++;
            else cnt[col->code[i]]++;
        }
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "variable", col->name);
        carta_jsonw_kstring(w, "type", "categorical");
        kcount(w, "missing", (double)cnt[col->n_levels], thr);
        carta_jsonw_key(w, "levels");
        carta_jsonw_begin_array(w);
        /* Levels in byte order, every level of the column (0 where the study has none). */
        const char *last = NULL;
        for (size_t j = 0; j < col->n_levels; j++) {
            size_t best = col->n_levels;
            for (size_t l = 0; l < col->n_levels; l++)
                if ((!last || strcmp(col->levels[l], last) > 0) && (best == col->n_levels || strcmp(col->levels[l], col->levels[best]) < 0))
                    best = l;
            if (best == col->n_levels) break;
            last = col->levels[best];
            double c = (double)cnt[best];
            int hidden = thr > 0 && c >= 1 && c < (double)thr;
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "level", col->levels[best]);
            kcount(w, "n", c, thr);
            carta_jsonw_knumber(w, "percent", hidden || n == 0 ? (double)NAN : 100.0 * c / (double)n);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        carta_jsonw_end_object(w);
        carta_free(cnt);
        return 0;
    }
    if (col->type == CARTA_DATE) return 0;
    double *v = carta_malloc((n_rows ? n_rows : 1) * sizeof *v);
    if (!v) return -1;
    size_t n = 0, missing = 0;
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows ? rows[r] : r;
        const char *s = carta_column_str(id, i);
        if (!s || strcmp(s, study) != 0) continue;
        double x = carta_column_number(col, i);
        if (isnan(x)) missing++;
        else v[n++] = x;
    }
    double med = NAN, q1 = NAN, q3 = NAN;
    /* Fewer values than the threshold: no summary (it would be close to single patients' values). */
    if (n > 0 && (thr <= 0 || n >= (size_t)thr)) {
        gsl_sort(v, 1, n);
        med = gsl_stats_median_from_sorted_data(v, 1, n);
        q1 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
        q3 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
    }
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "variable", col->name);
    carta_jsonw_kstring(w, "type", "numeric");
    kcount(w, "n", (double)n, thr);
    kcount(w, "missing", (double)missing, thr);
    carta_jsonw_knumber(w, "median", med);
    carta_jsonw_knumber(w, "q1", q1);
    carta_jsonw_knumber(w, "q3", q3);
    carta_jsonw_end_object(w);
    carta_free(v);
    return 0;
}

/* The columns the compact Table 1 describes: AGE and SEX when present, then the listed
   variables, each once; STUDYID and PRODUCT are columns of the per-study table already. */
static size_t pick_columns(const carta_table *t, const char *const *vars, size_t nv, const carta_column **out)
{
    size_t n = 0;
    for (size_t k = 0; k < nv + 2; k++) {
        const char *name = k == 0 ? "AGE" : k == 1 ? "SEX" : vars[k - 2];
        if (!name || strcmp(name, "STUDYID") == 0 || strcmp(name, "PRODUCT") == 0) continue;
        const carta_column *c = carta_table_find(t, name);
        if (!c) continue;
        int dup = 0;
        for (size_t j = 0; j < n; j++) dup |= out[j] == c;
        if (!dup) out[n++] = c;
    }
    return n;
}

int carta_card_studies_json(const carta_card_studies_spec *sp, char **out, carta_error *err)
{
    *out = NULL;
    const carta_table *t = sp->table;
    const carta_column *id = t ? carta_table_find(t, "STUDYID") : NULL;
    size_t n_rows = sp->rows ? sp->n_rows : t ? carta_table_nrows(t) : 0;
    long thr = sp->threshold;
    carta_jsonw *w = carta_jsonw_new(0);
    const carta_column **cols = carta_calloc(sp->n_variables + 3, sizeof *cols);
    size_t *order = NULL;
    if (!w || !cols) goto oom;
    carta_jsonw_begin_array(w);
    if (id && id->type == CARTA_STR && id->n_levels) {
        const carta_column *reg_id = sp->registry ? carta_table_find(sp->registry, "STUDYID") : NULL;
        if (reg_id && reg_id->type != CARTA_STR) reg_id = NULL;
        size_t nc = pick_columns(t, sp->variables, sp->n_variables, cols);
        /* Studies present in the analysed rows, in byte order. */
        if (!(order = carta_malloc(id->n_levels * sizeof *order))) goto oom;
        uint8_t *present = carta_calloc(id->n_levels, 1);
        if (!present) goto oom;
        for (size_t r = 0; r < n_rows; r++) {
            size_t i = sp->rows ? sp->rows[r] : r;
            if (!carta_column_is_missing(id, i)) present[id->code[i]] = 1;
        }
        size_t ns = 0;
        for (size_t l = 0; l < id->n_levels; l++) {
            if (!present[l]) continue;
            size_t j = ns++;
            while (j > 0 && strcmp(id->levels[order[j - 1]], id->levels[l]) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = l;
        }
        carta_free(present);
        for (size_t s = 0; s < ns; s++) {
            const char *study = id->levels[order[s]];
            double n = 0, ev = 0;
            for (size_t r = 0; r < n_rows; r++) {
                size_t i = sp->rows ? sp->rows[r] : r;
                const char *v = carta_column_str(id, i);
                if (!v || strcmp(v, study) != 0) continue;
                n++;
                if (sp->events && sp->events[r] > 0) ev += 1;
            }
            static const char *const facts[] = { "PRODUCT", "COSTIM", "DISEASE", "CRSSCALE" };
            static const char *const keys[] = { "product", "costim", "disease", "crs_scale_reported" };
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "studyid", study);
            int oom = 0;
            for (size_t f = 0; f < 4; f++) {
                /* The grading scale is a registry fact only (an analysis column of that name
                   would be per subject). */
                const carta_column *col = f < 3 ? carta_table_find(t, facts[f]) : NULL;
                char *v = study_fact(sp->registry, reg_id, study, col, sp->rows, n_rows, id, facts[f], &oom);
                carta_jsonw_kstring(w, keys[f], v);
                carta_free(v);
            }
            if (oom) goto oom;
            kcount(w, "n", n, thr);
            carta_jsonw_key(w, "events");
            if (sp->events) carta_jsonw_count(w, ev, thr);
            else carta_jsonw_null(w);
            carta_jsonw_key(w, "table1");
            carta_jsonw_begin_array(w);
            for (size_t k = 0; k < nc; k++)
                if (summarise(w, cols[k], id, study, sp->rows, n_rows, thr)) goto oom;
            carta_jsonw_end_array(w);
            carta_jsonw_end_object(w);
        }
    }
    carta_jsonw_end_array(w);
    const char *text;
    int rc = carta_jsonw_finish(w, &text, NULL, err);
    if (!rc && !(*out = carta_jsonw_take(w))) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    carta_jsonw_free(w);
    carta_free(cols);
    carta_free(order);
    return rc;
oom:
    carta_jsonw_free(w);
    carta_free(cols);
    carta_free(order);
    return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the per-study table");
}
