/* Gradient boosting through libxgboost 1.7.4's C API (the only file that includes it).
 *
 * What carta adds around the library (../shared/domain/xgboost.md has the measurements):
 * - Parameters are checked before any training against the booster parameters carta knows,
 *   because the library accepts a misspelt key with only a warning and a bad value (max_depth=-3)
 *   until the first update. `updater=shotgun` is refused: it is not reproducible.
 * - Labels are checked (Cox times > 0; AFT 0 <= lower <= upper): the library accepts bad bounds.
 * - Every library call goes through CALL(), which copies XGBGetLastError()'s first line into
 *   carta's error at once: the library reuses that buffer.
 * - Prediction buffers belong to the booster and are reused: they are copied before the next call.
 * - The data are converted once from carta's column-major doubles to xgboost's row-major floats
 *   (NaN = missing). This is the one place where doubles become floats. */
#include <carta/gbm.h>
#include <carta/alloc.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

struct carta_gbm_model {
    BoosterHandle booster;
    carta_gbm_objective objective;
    size_t p;
    int rounds;
    carta_gbm_importance *importance;
};

/* Copies the library's last error (first line) into err; returns CARTA_EDEP. */
static int dep_error(carta_error *err, const char *what)
{
    const char *msg = XGBGetLastError();
    char line[400];
    size_t k = 0;
    while (msg && msg[k] && msg[k] != '\n' && k < sizeof line - 1) {
        line[k] = msg[k];
        k++;
    }
    line[k] = '\0';
    return carta_error_set(err, CARTA_EDEP, NULL, "xgboost: %s: %s", what, k ? line : "failed");
}

#define CALL(expr, what)                              \
    do {                                              \
        if ((expr) != 0) {                            \
            rc = dep_error(err, what);                \
            goto done;                                \
        }                                             \
    } while (0)

/* ---- Parameter checks. ---- */

typedef enum { P_NUM, P_INT, P_STR } ptype;

typedef struct known_param {
    const char *key;
    ptype type;
    double lo, hi;          /* numbers: allowed closed range */
    int lo_open;            /* 1: lo excluded */
    const char *choices;    /* strings: comma-separated allowed values, NULL = any */
} known_param;

static const known_param known[] = {
    { "eta", P_NUM, 0, 1, 1, NULL },
    { "learning_rate", P_NUM, 0, 1, 1, NULL },
    { "gamma", P_NUM, 0, INFINITY, 0, NULL },
    { "min_split_loss", P_NUM, 0, INFINITY, 0, NULL },
    { "max_depth", P_INT, 0, 64, 0, NULL },
    { "min_child_weight", P_NUM, 0, INFINITY, 0, NULL },
    { "max_delta_step", P_NUM, 0, INFINITY, 0, NULL },
    { "subsample", P_NUM, 0, 1, 1, NULL },
    { "sampling_method", P_STR, 0, 0, 0, "uniform,gradient_based" },
    { "colsample_bytree", P_NUM, 0, 1, 1, NULL },
    { "colsample_bylevel", P_NUM, 0, 1, 1, NULL },
    { "colsample_bynode", P_NUM, 0, 1, 1, NULL },
    { "lambda", P_NUM, 0, INFINITY, 0, NULL },
    { "reg_lambda", P_NUM, 0, INFINITY, 0, NULL },
    { "alpha", P_NUM, 0, INFINITY, 0, NULL },
    { "reg_alpha", P_NUM, 0, INFINITY, 0, NULL },
    { "tree_method", P_STR, 0, 0, 0, "auto,exact,approx,hist" },
    { "scale_pos_weight", P_NUM, 0, INFINITY, 1, NULL },
    { "grow_policy", P_STR, 0, 0, 0, "depthwise,lossguide" },
    { "max_leaves", P_INT, 0, 1e9, 0, NULL },
    { "max_bin", P_INT, 2, 1e9, 0, NULL },
    { "num_parallel_tree", P_INT, 1, 1e6, 0, NULL },
    { "booster", P_STR, 0, 0, 0, "gbtree,gblinear,dart" },
    { "updater", P_STR, 0, 0, 0, NULL },
    { "objective", P_STR, 0, 0, 0, "binary:logistic,survival:cox,survival:aft,reg:squarederror" },
    { "eval_metric", P_STR, 0, 0, 0, "logloss,auc,error,rmse,mae,cox-nloglik,aft-nloglik,interval-regression-accuracy" },
    { "base_score", P_NUM, -INFINITY, INFINITY, 0, NULL },
    { "aft_loss_distribution", P_STR, 0, 0, 0, "normal,logistic,extreme" },
    { "aft_loss_distribution_scale", P_NUM, 0, INFINITY, 1, NULL },
    { "monotone_constraints", P_STR, 0, 0, 0, NULL },
    { "interaction_constraints", P_STR, 0, 0, 0, NULL },
    { "rate_drop", P_NUM, 0, 1, 0, NULL },
    { "skip_drop", P_NUM, 0, 1, 0, NULL },
    { "one_drop", P_INT, 0, 1, 0, NULL },
    { "sample_type", P_STR, 0, 0, 0, "uniform,weighted" },
    { "normalize_type", P_STR, 0, 0, 0, "tree,forest" },
    { "feature_selector", P_STR, 0, 0, 0, "cyclic,shuffle,random,greedy,thrifty" },
    { "top_k", P_INT, 0, 1e9, 0, NULL },
};

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (lb >= 64) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* 1 when value is one of the comma-separated choices. */
static int one_of(const char *value, const char *choices)
{
    size_t n = strlen(value);
    for (const char *c = choices; *c;) {
        const char *end = strchr(c, ',');
        size_t k = end ? (size_t)(end - c) : strlen(c);
        if (k == n && strncmp(c, value, n) == 0) return 1;
        if (!end) break;
        c = end + 1;
    }
    return 0;
}

int carta_gbm_param_check(const carta_gbm_param *param, carta_error *err)
{
    carta_where at = { .field = param->key };
    if (strcmp(param->key, "nthread") == 0 || strcmp(param->key, "n_jobs") == 0)
        return carta_error_set(err, CARTA_ECONFIG, &at, "is set by carta from --threads, not in the config");
    if (strcmp(param->key, "seed") == 0 || strcmp(param->key, "random_state") == 0)
        return carta_error_set(err, CARTA_ECONFIG, &at, "is set by carta from the config's seed");
    const known_param *k = NULL;
    size_t nk = sizeof known / sizeof known[0], best = 99;
    const char *nearest = NULL;
    for (size_t i = 0; i < nk; i++) {
        if (strcmp(known[i].key, param->key) == 0) { k = &known[i]; break; }
        size_t d = edit_distance(param->key, known[i].key);
        if (d < best) { best = d; nearest = known[i].key; }
    }
    if (!k) {
        if (nearest && best <= 3)
            return carta_error_set(err, CARTA_ECONFIG, &at, "unknown xgboost parameter (did you mean \"%s\"?)", nearest);
        return carta_error_set(err, CARTA_ECONFIG, &at, "unknown xgboost parameter");
    }
    if (k->type == P_STR) {
        if (!param->text) return carta_error_set(err, CARTA_ECONFIG, &at, "expected a string");
        if (strcmp(k->key, "updater") == 0 && strstr(param->text, "shotgun"))
            return carta_error_set(err, CARTA_ECONFIG, &at,
                                   "\"shotgun\" is not reproducible (results change between identical runs); "
                                   "use \"coord_descent\"");
        if (k->choices && !one_of(param->text, k->choices))
            return carta_error_set(err, CARTA_ECONFIG, &at, "\"%s\" is not one of %s", param->text, k->choices);
        return CARTA_OK;
    }
    if (param->text) return carta_error_set(err, CARTA_ECONFIG, &at, "expected a number");
    double v = param->number;
    if (!isfinite(v)) return carta_error_set(err, CARTA_ECONFIG, &at, "expected a finite number");
    if (k->type == P_INT && v != floor(v)) return carta_error_set(err, CARTA_ECONFIG, &at, "expected a whole number, got %g", v);
    if (v < k->lo || v > k->hi || (k->lo_open && v == k->lo))
        return carta_error_set(err, CARTA_ECONFIG, &at, "%g is out of range (%s%g, %g]", v, k->lo_open ? "(" : "[", k->lo, k->hi);
    return CARTA_OK;
}

void carta_gbm_spec_default(carta_gbm_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->objective = CARTA_GBM_BINARY;
    spec->rounds = 100;
    spec->validation_fraction = 0.2;
}

int carta_gbm_spec_check(const carta_gbm_spec *spec, carta_error *err)
{
    for (size_t i = 0; i < spec->n_params; i++) {
        int rc = carta_gbm_param_check(&spec->params[i], err);
        if (rc) return rc;
        if (strcmp(spec->params[i].key, "objective") == 0) {
            carta_where at = { .field = "objective" };
            return carta_error_set(err, CARTA_ECONFIG, &at, "is set by the model's objective, not in params");
        }
    }
    carta_where at = { 0 };
    if (spec->rounds < 1 || spec->rounds > 1000000) {
        at.field = "rounds";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be between 1 and 1000000");
    }
    if (spec->early_stopping_rounds < 0) {
        at.field = "early_stopping_rounds";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be >= 0");
    }
    if (spec->early_stopping_rounds && !(spec->validation_fraction > 0 && spec->validation_fraction < 1)) {
        at.field = "validation_fraction";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be in (0, 1) with early stopping");
    }
    return CARTA_OK;
}

static const char *objective_name(carta_gbm_objective o)
{
    switch (o) {
    case CARTA_GBM_BINARY: return "binary:logistic";
    case CARTA_GBM_COX: return "survival:cox";
    case CARTA_GBM_AFT: return "survival:aft";
    case CARTA_GBM_REGRESSION: return "reg:squarederror";
    }
    return "binary:logistic";
}

static const char *default_metric(carta_gbm_objective o)
{
    switch (o) {
    case CARTA_GBM_BINARY: return "logloss";
    case CARTA_GBM_COX: return "cox-nloglik";
    case CARTA_GBM_AFT: return "aft-nloglik";
    case CARTA_GBM_REGRESSION: return "rmse";
    }
    return "logloss";
}

/* Row-major float copy of rows idx[0..k) of x (all rows when idx is NULL). */
static float *row_major(const carta_matrix *x, const size_t *idx, size_t k)
{
    size_t cells;
    if (carta_size_mul(k, x->p ? x->p : 1, &cells)) return NULL;
    float *f = carta_malloc(cells * sizeof *f);
    if (!f) return NULL;
    for (size_t r = 0; r < k; r++) {
        size_t i = idx ? idx[r] : r;
        for (size_t j = 0; j < x->p; j++) f[r * x->p + j] = (float)x->data[i + j * x->n];
    }
    return f;
}

/* Checks labels and writes the xgboost label arrays for rows idx[0..k). */
static int make_labels(const carta_gbm_spec *spec, const double *y, const double *time, const int *status,
                       const double *lower, const double *upper, const size_t *idx, size_t k, float *a, float *b,
                       carta_error *err)
{
    for (size_t r = 0; r < k; r++) {
        size_t i = idx ? idx[r] : r;
        carta_where at = { .row = (long)i + 1 };
        switch (spec->objective) {
        case CARTA_GBM_BINARY:
            if (!(y[i] == 0 || y[i] == 1)) return carta_error_set(err, CARTA_EDATA, &at, "outcome %g is not 0 or 1", y[i]);
            a[r] = (float)y[i];
            break;
        case CARTA_GBM_REGRESSION:
            if (!isfinite(y[i])) return carta_error_set(err, CARTA_EDATA, &at, "outcome is not a finite number");
            a[r] = (float)y[i];
            break;
        case CARTA_GBM_COX:
            /* xgboost codes a censored time as its negative, so a time must be > 0. */
            if (!(time[i] > 0) || !isfinite(time[i]))
                return carta_error_set(err, CARTA_EDATA, &at, "survival:cox needs times > 0, got %g", time[i]);
            a[r] = (float)(status[i] ? time[i] : -time[i]);
            break;
        case CARTA_GBM_AFT:
            if (!(lower[i] >= 0) || !(upper[i] >= lower[i]) || !isfinite(lower[i]))
                return carta_error_set(err, CARTA_EDATA, &at, "survival:aft needs 0 <= lower <= upper, got [%g, %g]",
                                       lower[i], upper[i]);
            a[r] = (float)lower[i];
            b[r] = (float)upper[i];
            break;
        }
    }
    return CARTA_OK;
}

static int make_dmatrix(const carta_gbm_spec *spec, const carta_matrix *x, const double *y, const double *time,
                        const int *status, const double *lower, const double *upper, const size_t *idx, size_t k,
                        DMatrixHandle *out, carta_error *err)
{
    int rc = CARTA_OK;
    float *f = row_major(x, idx, k), *a = carta_malloc((k ? k : 1) * sizeof *a), *b = carta_malloc((k ? k : 1) * sizeof *b);
    *out = NULL;
    if (!f || !a || !b) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory for %zu x %zu", k, x->p);
        goto done;
    }
    if ((rc = make_labels(spec, y, time, status, lower, upper, idx, k, a, b, err))) goto done;
    CALL(XGDMatrixCreateFromMat(f, (bst_ulong)k, (bst_ulong)x->p, NAN, out), "creating the data matrix");
    if (spec->objective == CARTA_GBM_AFT) {
        CALL(XGDMatrixSetFloatInfo(*out, "label_lower_bound", a, (bst_ulong)k), "setting lower bounds");
        CALL(XGDMatrixSetFloatInfo(*out, "label_upper_bound", b, (bst_ulong)k), "setting upper bounds");
    } else {
        CALL(XGDMatrixSetFloatInfo(*out, "label", a, (bst_ulong)k), "setting labels");
    }
done:
    if (rc && *out) {
        XGDMatrixFree(*out);
        *out = NULL;
    }
    carta_free(f);
    carta_free(a);
    carta_free(b);
    return rc;
}

/* Parses the last number of an EvalOneIter line ("[3]\tvalid-logloss:0.51"). */
static double eval_value(const char *s)
{
    const char *c = strrchr(s, ':');
    return c ? strtod(c + 1, NULL) : (double)NAN;
}

/* Gives the booster the design's column names (xgboost wants a non-const array of them). */
static int set_names(BoosterHandle b, const char *const *names, size_t p, carta_error *err)
{
    int rc = CARTA_OK;
    const char **copy = carta_malloc((p ? p : 1) * sizeof *copy);
    if (!copy) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    for (size_t j = 0; j < p; j++) copy[j] = names[j];
    CALL(XGBoosterSetStrFeatureInfo(b, "feature_name", copy, (bst_ulong)p), "feature names");
done:
    carta_free(copy);
    return rc;
}

static int metric_higher_is_better(const char *metric)
{
    return strcmp(metric, "auc") == 0 || strcmp(metric, "interval-regression-accuracy") == 0;
}

static int importance(carta_gbm_model *m, const carta_matrix *x, int shap, DMatrixHandle d, carta_error *err)
{
    int rc = CARTA_OK;
    m->importance = carta_calloc(x->p ? x->p : 1, sizeof *m->importance);
    if (!m->importance) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    for (size_t j = 0; j < x->p; j++)
        if (!(m->importance[j].feature = carta_strdup(x->names[j])))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    static const char *const types[] = { "weight", "gain", "cover", "total_gain" };
    for (int t = 0; t < 4; t++) {
        char cfg[64];
        bst_ulong nf = 0, dim = 0;
        const char **names = NULL;
        const bst_ulong *shape = NULL;
        const float *scores = NULL;
        snprintf(cfg, sizeof cfg, "{\"importance_type\": \"%s\"}", types[t]);
        CALL(XGBoosterFeatureScore(m->booster, cfg, &nf, &names, &dim, &shape, &scores), "feature importance");
        /* Features never used in a split are absent from the answer: they keep 0. */
        for (bst_ulong k = 0; k < nf; k++)
            for (size_t j = 0; j < x->p; j++) {
                if (strcmp(names[k], x->names[j]) != 0) continue;
                double v = (double)scores[k];
                if (t == 0) m->importance[j].weight = v;
                else if (t == 1) m->importance[j].gain = v;
                else if (t == 2) m->importance[j].cover = v;
                else m->importance[j].total_gain = v;
            }
    }
    if (shap) {
        const bst_ulong *shape = NULL;
        bst_ulong dim = 0;
        const float *out = NULL;
        CALL(XGBoosterPredictFromDMatrix(m->booster, d, "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
                                         "\"iteration_end\": 0, \"strict_shape\": false}", &shape, &dim, &out),
             "SHAP contributions");
        /* Rows of p + 1 contributions (the last is the bias): the mean |SHAP| per feature. */
        size_t n = (size_t)shape[0], w = (size_t)shape[1];
        for (size_t j = 0; j < x->p && j < w; j++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) s += fabs((double)out[i * w + j]);
            m->importance[j].mean_abs_shap = n ? s / (double)n : 0;
        }
    }
done:
    return rc;
}

int carta_gbm_fit(const carta_gbm_spec *spec, const carta_matrix *x, const double *y, const double *time,
                  const int *status, const double *lower, const double *upper, carta_gbm_model **out,
                  carta_error *err)
{
    *out = NULL;
    int rc = carta_gbm_spec_check(spec, err);
    if (rc) return rc;
    carta_gbm_model *m = carta_calloc(1, sizeof *m);
    DMatrixHandle dtrain = NULL, dvalid = NULL, dall = NULL;
    size_t *perm = NULL;
    gsl_rng *r = NULL;
    if (!m) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    m->objective = spec->objective;
    m->p = x->p;
    CALL(XGBSetGlobalConfig("{\"verbosity\": 0}"), "global config");

    /* Early stopping holds out a seeded random share of the rows; the rest trains. */
    size_t n = x->n, n_valid = 0;
    if (spec->early_stopping_rounds) {
        perm = carta_malloc((n ? n : 1) * sizeof *perm);
        r = gsl_rng_alloc(gsl_rng_mt19937);
        if (!perm || !r) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory"); goto done; }
        gsl_rng_set(r, spec->seed ? spec->seed : 1);
        for (size_t i = 0; i < n; i++) perm[i] = i;
        gsl_ran_shuffle(r, perm, n, sizeof *perm);
        n_valid = (size_t)floor(spec->validation_fraction * (double)n);
        if (n_valid < 1 || n_valid >= n) {
            rc = carta_error_set(err, CARTA_EDATA, NULL, "xgboost: %zu rows are too few for an inner validation split", n);
            goto done;
        }
        /* Sorted row order inside each part keeps results independent of the shuffle's layout. */
        if ((rc = make_dmatrix(spec, x, y, time, status, lower, upper, perm + n_valid, n - n_valid, &dtrain, err)) ||
            (rc = make_dmatrix(spec, x, y, time, status, lower, upper, perm, n_valid, &dvalid, err)))
            goto done;
    } else if ((rc = make_dmatrix(spec, x, y, time, status, lower, upper, NULL, n, &dtrain, err))) {
        goto done;
    }

    DMatrixHandle cache[2] = { dtrain, dvalid };
    CALL(XGBoosterCreate(cache, dvalid ? 2 : 1, &m->booster), "creating the booster");
    char buf[64];
    CALL(XGBoosterSetParam(m->booster, "validate_parameters", "1"), "validate_parameters");
    CALL(XGBoosterSetParam(m->booster, "objective", objective_name(spec->objective)), "objective");
    snprintf(buf, sizeof buf, "%lu", spec->seed);
    CALL(XGBoosterSetParam(m->booster, "seed", buf), "seed");
    if (spec->nthread > 0) {
        snprintf(buf, sizeof buf, "%d", spec->nthread);
        CALL(XGBoosterSetParam(m->booster, "nthread", buf), "nthread");
    }
    const char *metric = default_metric(spec->objective);
    for (size_t i = 0; i < spec->n_params; i++) {
        const carta_gbm_param *q = &spec->params[i];
        if (q->text) {
            CALL(XGBoosterSetParam(m->booster, q->key, q->text), q->key);
            if (strcmp(q->key, "eval_metric") == 0) metric = q->text;
        } else {
            snprintf(buf, sizeof buf, "%.17g", q->number);
            CALL(XGBoosterSetParam(m->booster, q->key, buf), q->key);
        }
    }
    if (dvalid && metric == default_metric(spec->objective))
        CALL(XGBoosterSetParam(m->booster, "eval_metric", metric), "eval_metric");
    if ((rc = set_names(m->booster, x->names, x->p, err))) goto done;

    int best = spec->rounds - 1, since = 0, higher = metric_higher_is_better(metric);
    double best_value = higher ? -INFINITY : INFINITY;
    for (int it = 0; it < spec->rounds; it++) {
        CALL(XGBoosterUpdateOneIter(m->booster, it, dtrain), "training");
        if (spec->on_round) spec->on_round(spec->on_round_ctx, it + 1, spec->rounds);
        if (!dvalid) continue;
        const char *line = NULL, *names[1] = { "valid" };
        DMatrixHandle ev[1] = { dvalid };
        CALL(XGBoosterEvalOneIter(m->booster, it, ev, names, 1, &line), "evaluation");
        double v = eval_value(line);
        if (higher ? v > best_value : v < best_value) {
            best_value = v;
            best = it;
            since = 0;
        } else if (++since >= spec->early_stopping_rounds) {
            break;
        }
    }
    m->rounds = best + 1;
    if (dvalid && m->rounds < (int)0x7fffffff) {
        BoosterHandle cut = NULL;
        CALL(XGBoosterSlice(m->booster, 0, m->rounds, 1, &cut), "keeping the best iteration");
        XGBoosterFree(m->booster);
        m->booster = cut;
        /* The sliced booster forgets feature names. */
        if ((rc = set_names(m->booster, x->names, x->p, err))) goto done;
    }
    if ((rc = make_dmatrix(spec, x, y, time, status, lower, upper, NULL, n, &dall, err))) goto done;
    rc = importance(m, x, spec->shap, dall, err);
done:
    if (dtrain) XGDMatrixFree(dtrain);
    if (dvalid) XGDMatrixFree(dvalid);
    if (dall) XGDMatrixFree(dall);
    if (r) gsl_rng_free(r);
    carta_free(perm);
    if (rc) {
        carta_gbm_free(m);
        return rc;
    }
    *out = m;
    return CARTA_OK;
}

int carta_gbm_predict(const carta_gbm_model *m, const carta_matrix *x, int margin, double *outv, carta_error *err)
{
    int rc = CARTA_OK;
    DMatrixHandle d = NULL;
    float *f = NULL;
    if (x->p != m->p)
        return carta_error_set(err, CARTA_EDATA, NULL, "xgboost: the model has %zu features, the data %zu", m->p, x->p);
    if (!(f = row_major(x, NULL, x->n))) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    CALL(XGDMatrixCreateFromMat(f, (bst_ulong)x->n, (bst_ulong)x->p, NAN, &d), "creating the data matrix");
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    CALL(XGBoosterPredictFromDMatrix(m->booster, d,
                                     margin ? "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, "
                                              "\"iteration_end\": 0, \"strict_shape\": false}"
                                            : "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                                              "\"iteration_end\": 0, \"strict_shape\": false}",
                                     &shape, &dim, &res),
         "prediction");
    /* Copy at once: the buffer belongs to the booster. */
    for (size_t i = 0; i < x->n; i++) outv[i] = (double)res[i];
done:
    if (d) XGDMatrixFree(d);
    carta_free(f);
    return rc;
}

int carta_gbm_rounds(const carta_gbm_model *m) { return m->rounds; }

const carta_gbm_importance *carta_gbm_importance_of(const carta_gbm_model *m, size_t *n)
{
    *n = m->importance ? m->p : 0;
    return m->importance;
}

int carta_gbm_save_json(const carta_gbm_model *m, char **json, size_t *len, carta_error *err)
{
    int rc = CARTA_OK;
    bst_ulong n = 0;
    const char *buf = NULL;
    *json = NULL;
    CALL(XGBoosterSaveModelToBuffer(m->booster, "{\"format\": \"json\"}", &n, &buf), "saving the model");
    if (!(*json = carta_strndup(buf, (size_t)n))) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    if (len) *len = (size_t)n;
done:
    return rc;
}

int carta_gbm_load_json(const char *json, size_t len, const char *const *features, size_t p,
                        carta_gbm_objective objective, carta_gbm_model **out, carta_error *err)
{
    int rc = CARTA_OK;
    *out = NULL;
    carta_gbm_model *m = carta_calloc(1, sizeof *m);
    if (!m) return carta_error_set(err, CARTA_ENOMEM, NULL, "xgboost: no memory");
    m->objective = objective;
    m->p = p;
    CALL(XGBoosterCreate(NULL, 0, &m->booster), "creating the booster");
    CALL(XGBoosterLoadModelFromBuffer(m->booster, json, (bst_ulong)len), "loading the model");
    CALL(XGBoosterBoostedRounds(m->booster, &m->rounds), "reading the model");
    if (p && (rc = set_names(m->booster, features, p, err))) goto done;
done:
    if (rc) {
        carta_gbm_free(m);
        return rc;
    }
    *out = m;
    return CARTA_OK;
}

void carta_gbm_free(carta_gbm_model *m)
{
    if (!m) return;
    if (m->booster) XGBoosterFree(m->booster);
    if (m->importance)
        for (size_t j = 0; j < m->p; j++) carta_free(m->importance[j].feature);
    carta_free(m->importance);
    carta_free(m);
}
