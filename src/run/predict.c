/* `carta predict`: scores new patients with a finished run folder.
 *
 * The run folder holds design.json (the fitted encoding: levels, references, centres, scales,
 * imputation values), card.json (coefficients as the shortest text that reads back to the same
 * double, Cox baseline hazards) and <model>.xgboost.json. Applying the design to the training
 * table gives the training matrix bit for bit (carta/design.h), and the sums below are taken in
 * the same order as the fit's own predictions, so predicting the training data reproduces
 * predictions.csv exactly for logistic and xgboost models.
 *
 *   logistic:  p = 1 / (1 + exp(-(b0 + sum_j b_j x_j)))
 *   cox:       lp = sum_j b_j x_j (R's predict(type = "lp", reference = "zero"));
 *              S(t | x) = exp(-H0(t) exp(lp)), H0 = the uncentred Breslow/Efron baseline cumulative
 *              hazard of the card (R's basehaz(fit, centered = FALSE)), a right-continuous step
 *              function (0 before the first event time). When the card carries the fit's
 *              column means (result.means) the prediction column is centred, lp - sum_j b_j m_j,
 *              as predictions.csv is; S(t) always uses the uncentred lp with the uncentred H0.
 *   xgboost:   libxgboost's prediction (probability; exp(margin) for survival:cox and :aft),
 *              and for the survival objectives lp = the margin and
 *              survival:cox  S(t | x) = exp(-H0(t) exp(margin)), H0 the Breslow baseline saved at
 *                            `carta run` as <model>.baseline.csv (src/run/gbm_baseline.c);
 *              survival:aft  S(t | x) = 1 - F((log t - margin) / sigma), F and sigma from the card's
 *                            aft_loss_distribution and aft_loss_distribution_scale
 *              (formulas and sources in src/fit/survpred.c).
 * S(t) is given at the --time values, else at the card's horizons for the model (the times of its
 * time-dependent AUC), else for Cox baselines at 25%, 50% and 75% of the last baseline time.
 * Coefficients that are null in the card (aliased terms) contribute nothing, as in R. A Cox or
 * logistic model fitted with an offset (card spec.offset) adds the input's column of that name
 * to its linear predictor (lp, the prediction and S(t)), as the run's predictions do. */
#include <carta/alloc.h>
#include <carta/design.h>
#include <carta/export.h>
#include <carta/fs.h>
#include <carta/gbm.h>
#include <carta/load.h>
#include <carta/csvout.h>
#include <carta/numfmt.h>
#include <carta/survpred.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_in(const char *dir, const char *name, char **text, size_t *len, carta_error *err)
{
    char *path = carta_path_resolve(dir, name);
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = carta_file_read(path, path, text, len, err);
    carta_free(path);
    return rc;
}

static int is_predictive(const char *type)
{
    return type && (!strcmp(type, "logistic") || !strcmp(type, "cox") || !strcmp(type, "xgboost"));
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Coefficients of the card's model in design column order into b (p values; b0 = the intercept
   when intercept). A term that differs from the design's is an error: the card and design.json
   would come from different runs. */
static int card_coefs(const cJSON *model, const carta_design *d, int intercept, const char *shown, double *b,
                      double *b0, carta_error *err)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(model, "result");
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(res, "coefficients");
    size_t p = carta_design_p(d);
    carta_where at = { .file = shown, .field = "/models/result/coefficients" };
    if (!cJSON_IsArray(co) || (size_t)cJSON_GetArraySize(co) != p + (intercept ? 1 : 0))
        return carta_error_set(err, CARTA_EDATA, &at, "expected %zu coefficients (the terms of design.json)",
                               p + (intercept ? 1 : 0));
    size_t k = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, co) {
        const char *term = jstr(c, "term");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "coef");
        const char *want = intercept && k == 0 ? "(Intercept)" : carta_design_term(d, k - (intercept ? 1 : 0));
        if (!term || strcmp(term, want))
            return carta_error_set(err, CARTA_EDATA, &at, "coefficient %zu is \"%s\", design.json has \"%s\"", k,
                                   term ? term : "(none)", want);
        if (!cJSON_IsNumber(v) && !cJSON_IsNull(v))
            return carta_error_set(err, CARTA_EDATA, &at, "coefficient %s: expected a number or null", term);
        double x = cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
        if (intercept && k == 0) *b0 = x;
        else b[k - (intercept ? 1 : 0)] = x;
        k++;
    }
    return CARTA_OK;
}

/* The card's optional column means of a Cox fit (p values), or 0 when absent. */
static int card_means(const cJSON *model, size_t p, double *m)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(model, "result"), "means");
    if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) != p) return 0;
    size_t j = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsNumber(e)) return 0;
        m[j++] = e->valuedouble;
    }
    return 1;
}

/* The unstratified baseline hazard: 1 and the arrays (borrowed) when usable. */
static int card_basehaz(const cJSON *model, const cJSON **time, const cJSON **cumhaz)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(model, "result");
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(res, "basehaz");
    if (!cJSON_IsArray(bh) || cJSON_GetArraySize(bh) != 1) return 0;
    const cJSON *s = cJSON_GetArrayItem(bh, 0);
    *time = cJSON_GetObjectItemCaseSensitive(s, "time");
    *cumhaz = cJSON_GetObjectItemCaseSensitive(s, "cumhaz");
    if (!cJSON_IsArray(*time) || !cJSON_IsArray(*cumhaz) || cJSON_GetArraySize(*time) < 1 ||
        cJSON_GetArraySize(*time) != cJSON_GetArraySize(*cumhaz))
        return 0;
    return 1;
}

/* H0(t): the cumulative hazard at the last baseline time <= t (0 before the first). */
static double step_at(const cJSON *time, const cJSON *cumhaz, double t)
{
    double h = 0;
    const cJSON *a = time->child, *b = cumhaz->child;
    for (; a && b; a = a->next, b = b->next) {
        if (!cJSON_IsNumber(a) || a->valuedouble > t) break;
        h = cJSON_IsNumber(b) ? b->valuedouble : (double)NAN;
    }
    return h;
}

static carta_gbm_objective gbm_objective_of(const cJSON *model, int *ok)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(model, "spec"), "params");
    const char *obj = jstr(params, "objective");
    *ok = 1;
    if (!obj || !strcmp(obj, "binary:logistic")) return CARTA_GBM_BINARY;
    if (!strcmp(obj, "survival:cox")) return CARTA_GBM_COX;
    if (!strcmp(obj, "survival:aft")) return CARTA_GBM_AFT;
    if (!strcmp(obj, "reg:squarederror")) return CARTA_GBM_REGRESSION;
    *ok = 0;
    return CARTA_GBM_BINARY;
}

typedef struct scored {
    double *pred, *lp, *surv;   /* n kept rows; surv n x n_times, row-major */
    double *times;
    size_t n_times;
    int has_lp;
} scored;

/* The card's horizons for a model: the times of its time-dependent AUC (performance metrics
   named auc_t, slices "time=T", the quartiles of the event times), in card order; at most cap. */
static size_t card_horizons(const cJSON *root, const char *name, double *h, size_t cap)
{
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "performance"), "metrics");
    const cJSON *e;
    size_t n = 0;
    cJSON_ArrayForEach(e, ms) {
        const char *mn = jstr(e, "model"), *metric = jstr(e, "name"), *slice = jstr(e, "slice");
        if (!mn || !name || strcmp(mn, name) || !metric || strcmp(metric, "auc_t") || !slice || strncmp(slice, "time=", 5))
            continue;
        char *end;
        double t = strtod(slice + 5, &end);
        if (*end || !isfinite(t) || t < 0 || n == cap) continue;
        h[n++] = t;
    }
    return n;
}

/* The times of the S(t) columns: --time when given, else the card's horizons for the model, else
   25%, 50% and 75% of `last` (the last baseline time) when it is a number, else none. */
static int pick_times(const cJSON *root, const char *name, const double *in, size_t n_in, double last, size_t n,
                      scored *s, carta_error *err)
{
    double card[16], fb[3];
    const double *src = in;
    size_t k = n_in;
    if (!k && (k = card_horizons(root, name, card, sizeof card / sizeof card[0]))) src = card;
    if (!k && !isnan(last)) {
        for (size_t j = 0; j < 3; j++) fb[j] = last * (double)(j + 1) / 4.0;
        src = fb;
        k = 3;
    }
    if (!k) return CARTA_OK;
    s->times = carta_malloc(k * sizeof *s->times);
    s->surv = carta_malloc((n ? n : 1) * k * sizeof *s->surv);
    if (!s->times || !s->surv) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    memcpy(s->times, src, k * sizeof *s->times);
    s->n_times = k;
    return CARTA_OK;
}

/* An xgboost survival:aft model's distribution and scale from the card's resolved params
   (xgboost's defaults normal and 1 when absent). */
static int aft_params(const cJSON *model, const char *shown, carta_survpred_aft_dist *dist, double *sigma,
                      carta_error *err)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(model, "spec"), "params");
    const char *d = jstr(params, "aft_loss_distribution");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(params, "aft_loss_distribution_scale");
    carta_where at = { .file = shown, .field = "/models/spec/params/aft_loss_distribution" };
    carta_error local;
    carta_error_clear(&local);
    if (carta_survpred_aft_dist_parse(d ? d : "normal", dist, &local))
        return carta_error_set(err, CARTA_EDATA, &at, "%s", local.msg);
    *sigma = cJSON_IsNumber(sc) ? sc->valuedouble : 1.0;
    if (sc && !cJSON_IsNumber(sc)) *sigma = NAN;
    if (!(*sigma > 0) || !isfinite(*sigma)) {
        at.field = "/models/spec/params/aft_loss_distribution_scale";
        return carta_error_set(err, CARTA_EDATA, &at, "expected a number > 0");
    }
    return CARTA_OK;
}

/* The baseline hazard saved beside an xgboost survival:cox model, or *b = NULL when the run
   folder has none (written by carta before the baseline existed). */
static int gbm_baseline(const char *model_dir, const char *name, carta_survpred_baseline **b, carta_error *err)
{
    char file[512];
    snprintf(file, sizeof file, "%s.baseline.csv", name);
    char *path = carta_path_resolve(model_dir, file), *text = NULL;
    size_t len = 0;
    *b = NULL;
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = CARTA_OK;
    if (carta_path_exists(path) && !(rc = carta_file_read(path, path, &text, &len, err)))
        rc = carta_survpred_read_csv(text, len, path, b, err);
    carta_free(text);
    carta_free(path);
    return rc;
}

/* The note of a row the design dropped: the features missing in it. */
static void write_note(FILE *fp, const carta_design *d, const carta_table *t, size_t row)
{
    fputs("\"not scored: missing ", fp);
    int first = 1;
    for (size_t k = 0; k < carta_design_nfeatures(d); k++) {
        const carta_design_feature *f = carta_design_feature_at(d, k);
        const carta_column *c = carta_table_find(t, f->name);
        if (!c || !carta_column_is_missing(c, row)) continue;
        fprintf(fp, "%s", first ? "" : " ");
        for (const char *s = f->name; *s; s++) {
            if (*s == '"') putc('"', fp);
            putc(*s, fp);
        }
        first = 0;
    }
    fputs(" (complete case)\"", fp);
}

/* The model's offset on each kept row (*off = NULL when the model has none): the column its
   spec names, read from the input table, finite on every kept row. */
static int read_offsets(const cJSON *model, const carta_table *t, const carta_design_matrix *dm, const char *data_path,
                        double **off, carta_error *err)
{
    const char *col = jstr(cJSON_GetObjectItemCaseSensitive(model, "spec"), "offset");
    *off = NULL;
    if (!col) return CARTA_OK;
    const carta_column *c = carta_table_find(t, col);
    carta_where at = { .file = data_path, .field = col };
    if (!c || c->type == CARTA_STR || c->type == CARTA_DATE)
        return carta_error_set(err, CARTA_EDATA, &at, "model %s has an offset: the input needs a numeric column %s",
                               jstr(model, "name") ? jstr(model, "name") : "?", col);
    size_t n = dm->x.n;
    double *o = carta_malloc((n ? n : 1) * sizeof *o);
    if (!o) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0; i < n; i++) {
        o[i] = carta_column_number(c, dm->rows[i]);
        if (!isfinite(o[i])) {
            at.row = (long)dm->rows[i] + 1;
            carta_free(o);
            return carta_error_set(err, CARTA_EDATA, &at, "the offset is missing or infinite");
        }
    }
    *off = o;
    return CARTA_OK;
}

/* off: the model's offset on each row of dm, or NULL. */
static int score(const char *model_dir, const cJSON *root, const cJSON *model, const char *shown, const carta_design *d,
                 const carta_design_matrix *dm, const double *off, const double *times_in, size_t n_times_in,
                 scored *s, carta_error *err)
{
    const char *type = jstr(model, "type"), *name = jstr(model, "name");
    size_t n = dm->x.n, p = dm->x.p;
    int rc = CARTA_OK;
    s->pred = carta_malloc((n ? n : 1) * sizeof *s->pred);
    if (!s->pred) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if (!strcmp(type, "logistic")) {
        double *b = carta_malloc((p ? p : 1) * sizeof *b), b0 = 0;
        if (!b) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        rc = card_coefs(model, d, 1, shown, b, &b0, err);
        /* Same order of operations as carta_logistic_predict, so the training rows agree bit for bit. */
        for (size_t i = 0; !rc && i < n; i++) {
            double e = isnan(b0) ? 0 : b0;
            for (size_t j = 0; j < p; j++)
                if (!isnan(b[j])) e += b[j] * dm->x.data[i + j * n];
            if (off) e += off[i];
            s->pred[i] = 1.0 / (1.0 + exp(-e));
        }
        carta_free(b);
        return rc;
    }
    if (!strcmp(type, "cox")) {
        double *b = carta_malloc((p ? p : 1) * 2 * sizeof *b), b0;
        if (!b) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        double *m = b + (p ? p : 1);
        if ((rc = card_coefs(model, d, 0, shown, b, &b0, err))) goto cox_done;
        int centred = card_means(model, p, m);
        const cJSON *bt = NULL, *bc = NULL;
        int has_bh = card_basehaz(model, &bt, &bc);
        s->has_lp = 1;
        s->lp = carta_malloc((n ? n : 1) * sizeof *s->lp);
        if (!s->lp) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            goto cox_done;
        }
        if (has_bh) {
            const cJSON *lt = cJSON_GetArrayItem(bt, cJSON_GetArraySize(bt) - 1);
            if ((rc = pick_times(root, name, times_in, n_times_in, cJSON_IsNumber(lt) ? lt->valuedouble : (double)NAN, n,
                                 s, err)))
                goto cox_done;
            has_bh = s->n_times > 0;
        }
        for (size_t i = 0; i < n; i++) {
            double e = 0, ec = 0;
            for (size_t j = 0; j < p; j++) {
                if (isnan(b[j])) continue;
                double x = dm->x.data[i + j * n];
                e += b[j] * x;
                /* Centred as the fit centres (models.c: b_j (x_j - m_j), summed in column order). */
                if (centred) ec += b[j] * (x - m[j]);
            }
            if (off) { e += off[i]; ec += off[i]; } /* (the offset is not centred: R's lp) */
            s->lp[i] = e;
            s->pred[i] = centred ? ec : e;
            for (size_t k = 0; has_bh && k < s->n_times; k++)
                s->surv[i * s->n_times + k] = exp(-step_at(bt, bc, s->times[k]) * exp(e));
        }
    cox_done:
        carta_free(b);
        return rc;
    }
    /* xgboost */
    int ok;
    carta_gbm_objective obj = gbm_objective_of(model, &ok);
    if (!ok) {
        carta_where at = { .file = shown, .field = "/models/spec/params/objective" };
        return carta_error_set(err, CARTA_EDATA, &at, "model %s: unknown xgboost objective", name ? name : "?");
    }
    char file[512];
    snprintf(file, sizeof file, "%s.xgboost.json", name ? name : "model");
    char *json = NULL;
    size_t len = 0;
    carta_gbm_model *g = NULL;
    if ((rc = read_in(model_dir, file, &json, &len, err))) return rc;
    rc = carta_gbm_load_json(json, len, (const char *const *)dm->names, p, obj, &g, err);
    carta_free(json);
    if (rc) return rc;
    rc = carta_gbm_predict(g, &dm->x, 0, s->pred, err);
    if (!rc && (obj == CARTA_GBM_COX || obj == CARTA_GBM_AFT)) {
        s->has_lp = 1;
        if (!(s->lp = carta_malloc((n ? n : 1) * sizeof *s->lp))) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        else rc = carta_gbm_predict(g, &dm->x, 1, s->lp, err);
    }
    carta_gbm_free(g);
    if (rc) return rc;
    if (obj == CARTA_GBM_COX) {
        /* S(t | x) = exp(-H0(t) exp(margin)) with the baseline saved at `carta run`. */
        carta_survpred_baseline *b = NULL;
        if ((rc = gbm_baseline(model_dir, name ? name : "model", &b, err))) return rc;
        if (!b) {
            if (!n_times_in) return CARTA_OK;
            carta_where at = { .file = model_dir };
            return carta_error_set(err, CARTA_EDATA, &at,
                                   "model %s: no %s.baseline.csv in the run folder (a run from an older carta): "
                                   "rerun it to predict S(t)", name ? name : "?", name ? name : "model");
        }
        if (!(rc = pick_times(root, name, times_in, n_times_in, b->time[b->n - 1], n, s, err)))
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < s->n_times; k++)
                    s->surv[i * s->n_times + k] = exp(-carta_survpred_cumhaz_at(b, s->times[k]) * exp(s->lp[i]));
        carta_survpred_baseline_free(b);
    } else if (obj == CARTA_GBM_AFT) {
        /* S(t | x) = 1 - F((log t - margin) / sigma): no baseline needed. */
        carta_survpred_aft_dist dist = CARTA_SURVPRED_AFT_NORMAL;
        double sigma = 1;
        if ((rc = aft_params(model, shown, &dist, &sigma, err)) ||
            (rc = pick_times(root, name, times_in, n_times_in, (double)NAN, n, s, err)))
            return rc;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < s->n_times; k++)
                s->surv[i * s->n_times + k] = carta_survpred_aft(dist, sigma, s->lp[i], s->times[k]);
    }
    return rc;
}

int carta_predict_write(const char *model_dir, const char *data_path, const char *model, const double *times,
                        size_t n_times, FILE *fp, carta_error *err)
{
    char *card = NULL, *dtext = NULL, *card_shown = NULL;
    size_t clen = 0, dlen = 0;
    cJSON *root = NULL;
    carta_design *d = NULL;
    carta_table *t = NULL;
    carta_design_matrix *dm = NULL;
    scored s = { 0 };
    double *off = NULL; /* the model's offsets on the kept rows, or NULL */
    int rc;
    for (size_t k = 0; k < n_times; k++)
        if (!(times[k] >= 0) || !isfinite(times[k]))
            return carta_error_set(err, CARTA_EUSAGE, NULL, "prediction times must be finite and >= 0");
    if (!(card_shown = carta_path_resolve(model_dir, "card.json")))
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if ((rc = read_in(model_dir, "card.json", &card, &clen, err))) goto done;
    if (!(root = cJSON_ParseWithLength(card, clen))) {
        carta_where at = { .file = card_shown };
        rc = carta_error_set(err, CARTA_EDATA, &at, "not valid JSON (is this a carta run folder?)");
        goto done;
    }
    /* The model: by name, else the first predictive one. */
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models"), *m = NULL, *e;
    cJSON_ArrayForEach(e, models) {
        const char *nm = jstr(e, "name"), *ty = jstr(e, "type");
        if (model ? nm && !strcmp(nm, model) : is_predictive(ty)) { m = e; break; }
    }
    if (!m) {
        carta_where at = { .file = card_shown, .field = "/models" };
        rc = model ? carta_error_set(err, CARTA_EUSAGE, &at, "no model named \"%s\"", model)
                   : carta_error_set(err, CARTA_EUSAGE, &at, "no predictive model (logistic, cox or xgboost)");
        goto done;
    }
    if (!is_predictive(jstr(m, "type"))) {
        carta_where at = { .file = card_shown, .field = "/models" };
        rc = carta_error_set(err, CARTA_EUSAGE, &at, "model \"%s\" is a %s: only logistic, cox and xgboost models predict",
                             model, jstr(m, "type") ? jstr(m, "type") : "model without a type");
        goto done;
    }
    {
        const cJSON *strata = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "spec"), "strata");
        if (cJSON_IsArray(strata) && cJSON_GetArraySize(strata) > 0) {
            carta_where at = { .file = card_shown, .field = "/models/spec/strata" };
            rc = carta_error_set(err, CARTA_EUSAGE, &at,
                                 "model \"%s\" is stratified: predicting from stratified Cox models is not supported",
                                 jstr(m, "name"));
            goto done;
        }
    }
    if ((rc = read_in(model_dir, "design.json", &dtext, &dlen, err)) ||
        (rc = carta_design_from_json(dtext, dlen, "design.json", &d, err)))
        goto done;
    carta_load_spec ls = { .path = data_path, .shown = data_path };
    if ((rc = carta_load_table(&ls, &t, NULL, err))) goto done;
    if ((rc = carta_design_apply(d, t, &dm, err))) {
        carta_error_prefix(err, "%s: ", data_path);
        goto done;
    }
    if ((rc = read_offsets(m, t, dm, data_path, &off, err)) ||
        (rc = score(model_dir, root, m, card_shown, d, dm, off, times, n_times, &s, err)))
        goto done;

    /* Output. */
    const carta_column *study = carta_table_find(t, "STUDYID"), *subj = carta_table_find(t, "USUBJID");
    if (study && study->type != CARTA_STR) study = NULL;
    if (subj && subj->type != CARTA_STR) subj = NULL;
    if (study) fputs("STUDYID,", fp);
    if (subj) fputs("USUBJID,", fp);
    fputs("row,prediction", fp);
    if (s.has_lp) fputs(",lp", fp);
    for (size_t k = 0; k < s.n_times; k++) {
        char buf[40];
        fprintf(fp, ",surv_%s", carta_numfmt(s.times[k], buf, sizeof buf));
    }
    fputs(",note\n", fp);
    size_t nin = carta_table_nrows(t), i = 0;
    for (size_t r = 0; r < nin; r++) {
        int kept = i < dm->x.n && dm->rows[i] == r;
        if (study) { carta_csv_write_text(fp, carta_column_str(study, r)); putc(',', fp); }
        if (subj) { carta_csv_write_text(fp, carta_column_str(subj, r)); putc(',', fp); }
        fprintf(fp, "%zu,", r + 1);
        if (kept) carta_csv_write_number(fp, s.pred[i]);
        if (s.has_lp) { putc(',', fp); if (kept) carta_csv_write_number(fp, s.lp[i]); }
        for (size_t k = 0; k < s.n_times; k++) {
            putc(',', fp);
            if (kept) carta_csv_write_number(fp, s.surv[i * s.n_times + k]);
        }
        putc(',', fp);
        if (!kept) write_note(fp, d, t, r);
        putc('\n', fp);
        if (kept) i++;
    }
done:
    carta_free(off);
    carta_free(s.pred); carta_free(s.lp); carta_free(s.surv); carta_free(s.times);
    carta_design_matrix_free(dm);
    carta_table_free(t);
    carta_design_free(d);
    cJSON_Delete(root);
    carta_free(dtext);
    carta_free(card);
    carta_free(card_shown);
    return rc;
}

int carta_predict_command(const char *model_dir, const char *data_path, const char *model, const double *times,
                          size_t n_times, const char *out_path, int force, const struct carta_run_opts *o,
                          carta_error *err)
{
    (void)o;
    if (!out_path || !strcmp(out_path, "-")) {
        /* To stdout: build in a temporary memory stream first, so nothing is printed on error. */
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        if (!mem) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        int rc = carta_predict_write(model_dir, data_path, model, times, n_times, mem, err);
        fclose(mem);
        if (!rc && fwrite(buf, 1, len, stdout) != len) rc = carta_error_set(err, CARTA_EIO, NULL, "cannot write to standard output");
        free(buf);
        return rc;
    }
    carta_out out;
    int rc = carta_out_open(&out, out_path, force, err);
    if (rc) return rc;
    if ((rc = carta_predict_write(model_dir, data_path, model, times, n_times, out.fp, err))) {
        carta_out_abort(&out);
        return rc;
    }
    return carta_out_commit(&out, err);
}
