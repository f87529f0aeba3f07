/* `carta describe CONFIG`: the cohort flow and a "Table 1" of the analysis dataset, overall or
 * by a grouping column: n, mean (SD), median [IQR], min-max and missing for numbers; n (%) per
 * level for text; as aligned text or as JSON. Quantiles are R's default (type 7). */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/jsonw.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

typedef struct num_summary {
    size_t n, missing;
    double mean, sd, median, q1, q3, min, max;
} num_summary;

/* Summary of column c over the rows where group == g (group NULL: all rows). */
static int summarize(const carta_column *c, const int *group, int g, num_summary *s)
{
    double *v = carta_malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v) return CARTA_ENOMEM;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < c->n; i++) {
        if (group && group[i] != g) continue;
        double x = carta_column_number(c, i);
        if (isnan(x)) s->missing++;
        else v[s->n++] = x;
    }
    if (s->n) {
        gsl_sort(v, 1, s->n);
        s->mean = gsl_stats_mean(v, 1, s->n);
        s->sd = s->n > 1 ? gsl_stats_sd_m(v, 1, s->n, s->mean) : (double)NAN;
        s->median = gsl_stats_median_from_sorted_data(v, 1, s->n);
        s->q1 = gsl_stats_quantile_from_sorted_data(v, 1, s->n, 0.25);
        s->q3 = gsl_stats_quantile_from_sorted_data(v, 1, s->n, 0.75);
        s->min = v[0];
        s->max = v[s->n - 1];
    } else {
        s->mean = s->sd = s->median = s->q1 = s->q3 = s->min = s->max = NAN;
    }
    carta_free(v);
    return CARTA_OK;
}

/* Level counts of a text column within group g; counts has n_levels + 1 slots (last: missing). */
static void level_counts(const carta_column *c, const int *group, int g, size_t *counts)
{
    memset(counts, 0, (c->n_levels + 1) * sizeof *counts);
    for (size_t i = 0; i < c->n; i++) {
        if (group && group[i] != g) continue;
        if (carta_column_is_missing(c, i)) counts[c->n_levels]++;
        else counts[c->code[i]]++;
    }
}

/* The levels of a text column in byte order. */
static size_t *sorted_levels(const carta_column *c)
{
    size_t *o = carta_malloc((c->n_levels ? c->n_levels : 1) * sizeof *o);
    if (!o) return NULL;
    for (size_t k = 0; k < c->n_levels; k++) {
        size_t j = k;
        while (j > 0 && strcmp(c->levels[o[j - 1]], c->levels[k]) > 0) {
            o[j] = o[j - 1];
            j--;
        }
        o[j] = k;
    }
    return o;
}

/* The columns a Table 1 describes: the features' columns as they stand in the analysis table. */
static int describe_columns(const carta_config *c, const carta_table *t, const carta_column **cols, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < c->n_features; i++) {
        const carta_column *col = carta_table_find(t, c->features[i].name);
        if (col) cols[(*n)++] = col;
    }
    return CARTA_OK;
}

int carta_describe_command(const char *config_path, const char *by, int json, const carta_run_opts *o, FILE *out,
                           carta_error *err)
{
    carta_config *c = NULL;
    carta_dataset *d = NULL;
    analysis a;
    memset(&a, 0, sizeof a);
    int rc;
    int *group = NULL;
    size_t *glev = NULL, ng = 1;
    const carta_column **cols = NULL;
    carta_jsonw *w = NULL;
    if ((rc = carta_config_load(config_path, &c, err)) || (rc = carta_dataset_load(c, o, &d, err)) ||
        (rc = carta_dataset_harmonize(d, c, err)) || (rc = analysis_build(c, d, &a, err)))
        goto done;
    const carta_table *t = a.table;
    size_t n = carta_table_nrows(t);
    const carta_column *gcol = NULL;
    if (by) {
        gcol = carta_table_find(t, by);
        if (!gcol || gcol->type != CARTA_STR) {
            rc = carta_error_set(err, CARTA_EUSAGE, NULL, "describe: --by %s is not a text column of the analysis table", by);
            goto done;
        }
        if (!(glev = sorted_levels(gcol)) || !(group = carta_malloc((n ? n : 1) * sizeof *group))) goto oom;
        int *rank = carta_malloc((gcol->n_levels ? gcol->n_levels : 1) * sizeof *rank);
        if (!rank) goto oom;
        for (size_t k = 0; k < gcol->n_levels; k++) rank[glev[k]] = (int)k;
        for (size_t i = 0; i < n; i++) group[i] = carta_column_is_missing(gcol, i) ? -1 : rank[gcol->code[i]];
        carta_free(rank);
        ng = gcol->n_levels;
    }
    if (!(cols = carta_calloc(c->n_features + 1, sizeof *cols))) goto oom;
    size_t nc;
    describe_columns(c, t, cols, &nc);
    const carta_flow *flow = carta_cohort_flow(a.cohort);
    if (json) {
        if (!(w = carta_jsonw_new(2))) goto oom;
        carta_jsonw_begin_object(w);
        carta_jsonw_key(w, "flow");
        carta_jsonw_begin_array(w);
        for (size_t i = 0; i < flow->n; i++) {
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "step", flow->steps[i].description);
            carta_jsonw_kint(w, "n", (int64_t)flow->steps[i].n_remaining);
            carta_jsonw_kint(w, "excluded", (int64_t)flow->steps[i].n_excluded);
            carta_jsonw_kstring(w, "reason", flow->steps[i].reason);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        carta_jsonw_kstring(w, "by", by);
        carta_jsonw_key(w, "groups");
        carta_jsonw_begin_array(w);
    } else {
        fprintf(out, "cohort flow\n");
        for (size_t i = 0; i < flow->n; i++)
            fprintf(out, "  %-50s %8zu remaining %8zu excluded%s%s\n", flow->steps[i].description, flow->steps[i].n_remaining,
                    flow->steps[i].n_excluded, flow->steps[i].reason[0] ? "  " : "", flow->steps[i].reason);
    }
    for (size_t g = 0; g < ng; g++) {
        const char *label = by ? gcol->levels[glev[g]] : "all";
        size_t gn = 0;
        for (size_t i = 0; i < n; i++) gn += !group || group[i] == (int)g;
        if (json) {
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "group", label);
            carta_jsonw_kint(w, "n", (int64_t)gn);
            carta_jsonw_key(w, "variables");
            carta_jsonw_begin_array(w);
        } else {
            fprintf(out, "\n%s%s%s (n = %zu)\n", by ? by : "", by ? "=" : "", label, gn);
        }
        for (size_t k = 0; k < nc; k++) {
            const carta_column *col = cols[k];
            if (col->type == CARTA_STR) {
                size_t *cnt = carta_malloc((col->n_levels + 1) * sizeof *cnt), *ord = sorted_levels(col);
                if (!cnt || !ord) {
                    carta_free(cnt);
                    carta_free(ord);
                    goto oom;
                }
                level_counts(col, group, (int)g, cnt);
                if (json) {
                    carta_jsonw_begin_object(w);
                    carta_jsonw_kstring(w, "name", col->name);
                    carta_jsonw_kint(w, "missing", (int64_t)cnt[col->n_levels]);
                    carta_jsonw_key(w, "levels");
                    carta_jsonw_begin_array(w);
                } else {
                    fprintf(out, "  %s, n (%%)%s", col->name, cnt[col->n_levels] ? "" : "\n");
                    if (cnt[col->n_levels]) fprintf(out, "   missing %zu\n", cnt[col->n_levels]);
                }
                for (size_t l = 0; l < col->n_levels; l++) {
                    size_t v = cnt[ord[l]];
                    double pct = gn ? 100.0 * (double)v / (double)gn : (double)NAN;
                    if (json) {
                        carta_jsonw_begin_object(w);
                        carta_jsonw_kstring(w, "level", col->levels[ord[l]]);
                        carta_jsonw_kint(w, "n", (int64_t)v);
                        carta_jsonw_knumber(w, "percent", pct);
                        carta_jsonw_end_object(w);
                    } else {
                        fprintf(out, "    %-40s %8zu (%5.1f%%)\n", col->levels[ord[l]], v, pct);
                    }
                }
                if (json) {
                    carta_jsonw_end_array(w);
                    carta_jsonw_end_object(w);
                }
                carta_free(cnt);
                carta_free(ord);
            } else {
                num_summary s;
                if (summarize(col, group, (int)g, &s)) goto oom;
                if (json) {
                    carta_jsonw_begin_object(w);
                    carta_jsonw_kstring(w, "name", col->name);
                    carta_jsonw_kint(w, "n", (int64_t)s.n);
                    carta_jsonw_kint(w, "missing", (int64_t)s.missing);
                    carta_jsonw_knumber(w, "mean", s.mean);
                    carta_jsonw_knumber(w, "sd", s.sd);
                    carta_jsonw_knumber(w, "median", s.median);
                    carta_jsonw_knumber(w, "q1", s.q1);
                    carta_jsonw_knumber(w, "q3", s.q3);
                    carta_jsonw_knumber(w, "min", s.min);
                    carta_jsonw_knumber(w, "max", s.max);
                    carta_jsonw_end_object(w);
                } else {
                    fprintf(out, "  %-42s mean %.4g (SD %.4g), median %.4g [%.4g, %.4g], range %.4g to %.4g, missing %zu\n",
                            col->name, s.mean, s.sd, s.median, s.q1, s.q3, s.min, s.max, s.missing);
                }
            }
        }
        if (json) {
            carta_jsonw_end_array(w);
            carta_jsonw_end_object(w);
        }
    }
    if (json) {
        carta_jsonw_end_array(w);
        carta_jsonw_end_object(w);
        const char *text;
        if ((rc = carta_jsonw_finish(w, &text, NULL, err))) goto done;
        fputs(text, out);
    }
    goto done;
oom:
    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
done:
    carta_jsonw_free(w);
    carta_free(cols);
    carta_free(group);
    carta_free(glev);
    analysis_free(&a);
    carta_dataset_free(d);
    carta_config_free(c);
    return rc;
}
