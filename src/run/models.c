/* Fitting each model of the config on the analysis dataset, and validating the predictive ones
 * (logistic, Cox, xgboost) by resampling. Inside every split the design is fitted on the
 * training rows only (levels, references, centres, scales, imputation values), then applied to
 * the test rows: nothing learnt from a test row reaches the model that predicts it. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/concordance.h>
#include <carta/expr.h>
#include <carta/jsonw.h>
#include <carta/survmetrics.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fitted_model_clear(fitted_model *f)
{
    carta_free(f->spec_json);
    carta_cox_result_free(f->cox);
    carta_logistic_result_free(f->logistic);
    carta_glmnet_path_free(f->glmnet);
    carta_gbm_free(f->gbm);
    carta_free(f->result_json);
    carta_free(f->curves_csv);
    carta_free(f->metrics);
    carta_free(f->curves_json);
    for (size_t i = 0; i < f->n_metric_text; i++) carta_free(f->metric_text[i]);
    carta_free(f->metric_text);
    carta_free(f->oof);
    carta_free(f->full);
    carta_free(f->oof_split);
    carta_splits_free(f->splits);
    memset(f, 0, sizeof *f);
}

/* ---- Specs from the config ---- */

static void cox_spec(const carta_cfg_model *m, carta_cox_spec *s)
{
    carta_cox_spec_default(s);
    const carta_cox_config *x = &m->cox;
    s->ties = x->ties == CARTA_CFG_TIES_BRESLOW ? CARTA_COX_TIES_BRESLOW
              : x->ties == CARTA_CFG_TIES_EXACT ? CARTA_COX_TIES_EXACT : CARTA_COX_TIES_EFRON;
    s->robust = x->robust;
    s->conf_level = x->conf_level;
    s->eps = x->eps;
    s->step_tol = x->step_tol;
    s->toler_chol = x->toler_chol;
    s->toler_inf = x->toler_inf;
    s->max_iter = (int)x->max_iter;
    s->zph = x->zph_transform == CARTA_CFG_ZPH_RANK ? CARTA_COX_ZPH_RANK
             : x->zph_transform == CARTA_CFG_ZPH_IDENTITY ? CARTA_COX_ZPH_IDENTITY
             : x->zph_transform == CARTA_CFG_ZPH_LOG ? CARTA_COX_ZPH_LOG : CARTA_COX_ZPH_KM;
    unsigned r = 0;
    if (x->residuals & CARTA_CFG_RESID_MARTINGALE) r |= CARTA_COX_RESID_MARTINGALE;
    if (x->residuals & CARTA_CFG_RESID_DEVIANCE) r |= CARTA_COX_RESID_DEVIANCE;
    if (x->residuals & CARTA_CFG_RESID_SCORE) r |= CARTA_COX_RESID_SCORE;
    if (x->residuals & CARTA_CFG_RESID_SCHOENFELD) r |= CARTA_COX_RESID_SCHOENFELD;
    if (x->residuals & CARTA_CFG_RESID_DFBETA) r |= CARTA_COX_RESID_DFBETA;
    s->residuals = r;
}

static void logistic_spec(const carta_cfg_model *m, carta_logistic_spec *s)
{
    carta_logistic_spec_default(s);
    s->firth = m->logistic.firth;
    s->conf_level = m->logistic.conf_level;
    s->eps = m->logistic.eps;
    s->max_iter = (int)m->logistic.max_iter;
    s->max_halving = (int)m->logistic.max_halving;
}

static carta_gbm_objective gbm_objective(const carta_config *c, const carta_cfg_model *m)
{
    const carta_cfg_xgb_param *o = carta_xgboost_config_param(&m->xgboost, "objective");
    if (o && o->text) {
        if (strcmp(o->text, "survival:cox") == 0) return CARTA_GBM_COX;
        if (strcmp(o->text, "survival:aft") == 0) return CARTA_GBM_AFT;
        if (strcmp(o->text, "reg:squarederror") == 0) return CARTA_GBM_REGRESSION;
        return CARTA_GBM_BINARY;
    }
    return c->outcome.type == CARTA_CFG_OUTCOME_BINARY ? CARTA_GBM_BINARY : CARTA_GBM_COX;
}

/* The xgboost parameters the config lists, less those carta sets itself. */
static carta_gbm_param *gbm_params(const carta_cfg_model *m, size_t *n)
{
    const carta_xgboost_config *x = &m->xgboost;
    carta_gbm_param *p = carta_calloc(x->n_params ? x->n_params : 1, sizeof *p);
    *n = 0;
    if (!p) return NULL;
    for (size_t i = 0; i < x->n_params; i++) {
        const carta_cfg_xgb_param *q = &x->params[i];
        if (strcmp(q->key, "objective") == 0 || strcmp(q->key, "nthread") == 0 || strcmp(q->key, "seed") == 0) continue;
        p[*n].key = q->key;
        if (q->kind == CARTA_CFG_XGB_STRING) p[*n].text = q->text;
        else p[*n].number = q->num;
        (*n)++;
    }
    return p;
}

/* ---- One fit on one (design matrix, outcome) pair ---- */

typedef struct one_fit {
    carta_cox_result *cox;
    carta_logistic_result *logistic;
    carta_glmnet_path *glmnet;
    carta_gbm_model *gbm;
} one_fit;

static void one_fit_free(one_fit *f)
{
    carta_cox_result_free(f->cox);
    carta_logistic_result_free(f->logistic);
    carta_glmnet_path_free(f->glmnet);
    carta_gbm_free(f->gbm);
    memset(f, 0, sizeof *f);
}

/* shap: compute SHAP summaries (only for the full-data fit: the resampling fits need predictions). */
static int fit_once(const carta_config *c, const carta_cfg_model *m, const carta_run_opts *o, const carta_matrix *x,
                    const carta_outcome *y, int shap, one_fit *f, carta_error *err)
{
    int rc = CARTA_OK;
    memset(f, 0, sizeof *f);
    switch (m->type) {
    case CARTA_CFG_MODEL_COX: {
        carta_cox_spec s;
        cox_spec(m, &s);
        rc = carta_cox_fit(&s, &y->surv, x, &f->cox, err);
        break;
    }
    case CARTA_CFG_MODEL_LOGISTIC: {
        if (!isnan(m->logistic.lambda)) {
            /* Elastic net at the configured penalty (glmnet's parametrisation). */
            carta_glmnet_spec g;
            carta_glmnet_spec_default(&g);
            g.family = CARTA_GLMNET_LOGISTIC;
            g.alpha = m->logistic.alpha;
            g.lambdas = &m->logistic.lambda;
            g.n_lambdas = 1;
            /* One lambda, no warm start along a path: converge tightly (glmnet's 1e-7 leaves the
               coefficients about 1e-3 from the optimum). */
            g.thresh = 1e-14;
            g.weight = y->weight;
            rc = carta_glmnet_fit(&g, x, y->y, NULL, &f->glmnet, err);
            break;
        }
        carta_logistic_spec s;
        logistic_spec(m, &s);
        s.weight = y->weight;
        rc = carta_logistic_fit(&s, y->y, x, &f->logistic, err);
        break;
    }
    case CARTA_CFG_MODEL_XGBOOST: {
        carta_gbm_spec s;
        carta_gbm_spec_default(&s);
        s.objective = gbm_objective(c, m);
        s.rounds = (int)m->xgboost.rounds;
        s.early_stopping_rounds = (int)m->xgboost.early_stopping_rounds;
        s.validation_fraction = m->xgboost.early_stopping_fraction;
        s.seed = c->seed;
        /* Without --threads, small problems train on one thread: OpenMP's start-up and spin-waiting
           cost more than they save below some tens of thousands of rows (measured: a 21-split
           run took 2.7 s on one thread and 48 s on two busy cores). */
        s.nthread = o->threads > 0 ? o->threads : x->n < 50000 ? 1 : 0;
        s.shap = shap && m->xgboost.shap;
        size_t np;
        carta_gbm_param *p = gbm_params(m, &np);
        if (!p) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        s.params = p;
        s.n_params = np;
        double *lower = NULL, *upper = NULL;
        if (s.objective == CARTA_GBM_AFT && y->time) {
            lower = carta_malloc(y->n * sizeof *lower);
            upper = carta_malloc(y->n * sizeof *upper);
            if (!lower || !upper) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            for (size_t i = 0; !rc && i < y->n; i++) {
                lower[i] = y->time[i];
                upper[i] = y->status[i] ? y->time[i] : (double)INFINITY;
            }
        }
        if (!rc) rc = carta_gbm_fit(&s, x, y->y, y->time, y->status, lower, upper, &f->gbm, err);
        carta_free(lower);
        carta_free(upper);
        carta_free(p);
        break;
    }
    case CARTA_CFG_MODEL_KM:
    case CARTA_CFG_MODEL_LOGRANK:
    case CARTA_CFG_MODEL_CIF:
        rc = carta_error_set(err, CARTA_EUSAGE, NULL, "internal error: %s is not a predictive model", m->name);
        break;
    }
    if (rc) one_fit_free(f);
    return rc;
}

/* Predictions for the rows of x: a probability (binary) or a risk score (survival: the linear
   predictor, larger = worse). */
static int predict_once(const one_fit *f, const carta_matrix *x, double *out, carta_error *err)
{
    if (f->logistic) {
        carta_logistic_predict(f->logistic, x, NULL, out);
        return CARTA_OK;
    }
    if (f->glmnet) {
        carta_glmnet_predict(f->glmnet, 0, x, out);
        for (size_t i = 0; i < x->n; i++) out[i] = 1 / (1 + exp(-out[i]));
        return CARTA_OK;
    }
    if (f->cox) {
        for (size_t i = 0; i < x->n; i++) {
            double e = 0;
            for (size_t j = 0; j < x->p; j++) {
                double b = f->cox->terms[j].coef;
                if (!isnan(b)) e += b * (x->data[i + j * x->n] - f->cox->means[j]);
            }
            out[i] = e;
        }
        return CARTA_OK;
    }
    if (f->gbm) return carta_gbm_predict(f->gbm, x, 0, out, err);
    return CARTA_OK;
}

/* ---- Validation ---- */

static int add_metric(fitted_model *f, const char *name, const char *slice, const carta_metric *m, const char *ci,
                      size_t n, double events)
{
    carta_card_metric *mm = carta_realloc(f->metrics, (f->n_metrics + 1) * sizeof *mm);
    if (!mm) return CARTA_ENOMEM;
    f->metrics = mm;
    char **t = carta_realloc(f->metric_text, (f->n_metric_text + 1) * sizeof *t);
    if (!t) return CARTA_ENOMEM;
    f->metric_text = t;
    char *s = carta_strdup(slice);
    if (!s) return CARTA_ENOMEM;
    t[f->n_metric_text++] = s;
    mm[f->n_metrics++] = (carta_card_metric){ name, s, m->value, m->lower, m->upper, ci, n, events };
    return CARTA_OK;
}

static carta_split_kind split_kind(carta_cfg_scheme s)
{
    switch (s) {
    case CARTA_CFG_SCHEME_REPEATED_KFOLD: return CARTA_SPLIT_REPEATED_KFOLD;
    case CARTA_CFG_SCHEME_GROUPED_KFOLD: return CARTA_SPLIT_GROUPED_KFOLD;
    case CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT: return CARTA_SPLIT_LEAVE_ONE_GROUP_OUT;
    case CARTA_CFG_SCHEME_HOLDOUT: return CARTA_SPLIT_HOLDOUT;
    case CARTA_CFG_SCHEME_BOOTSTRAP: return CARTA_SPLIT_BOOTSTRAP;
    case CARTA_CFG_SCHEME_KFOLD:
    case CARTA_CFG_SCHEME_NONE: return CARTA_SPLIT_KFOLD;
    }
    return CARTA_SPLIT_KFOLD;
}

/* Group codes for a column of t: levels in byte order (numbers: ascending) with labels. */
static int group_codes(const carta_table *t, const char *name, int *code, char ***labels, size_t *n_labels,
                       carta_error *err)
{
    const carta_column *col = carta_table_find(t, name);
    carta_where at = { .field = "/validation/group" };
    if (!col || col->type != CARTA_STR)
        return carta_error_set(err, CARTA_ECONFIG, &at, "column %s must be a text column of the analysis table", name);
    size_t nl = col->n_levels;
    size_t *order = carta_malloc((nl ? nl : 1) * sizeof *order);
    int *rank = carta_malloc((nl ? nl : 1) * sizeof *rank);
    char **lab = carta_calloc(nl ? nl : 1, sizeof *lab);
    if (!order || !rank || !lab) {
        carta_free(order);
        carta_free(rank);
        carta_free(lab);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    /* Insertion sort of the level indices by their text: study lists are short. */
    for (size_t k = 0; k < nl; k++) {
        size_t j = k;
        while (j > 0 && strcmp(col->levels[order[j - 1]], col->levels[k]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    for (size_t k = 0; k < nl; k++) {
        rank[order[k]] = (int)k;
        lab[k] = col->levels[order[k]];
    }
    int rc = CARTA_OK;
    for (size_t i = 0; i < col->n && !rc; i++) {
        if (carta_column_is_missing(col, i)) rc = carta_error_set(err, CARTA_EDATA, &at, "row %zu has no %s", i + 1, name);
        else code[i] = rank[col->code[i]];
    }
    carta_free(order);
    carta_free(rank);
    if (rc) {
        carta_free(lab);
        return rc;
    }
    *labels = lab; /* the strings stay owned by the table */
    *n_labels = nl;
    return CARTA_OK;
}

/* Discrimination of predictions for an outcome (aligned row by row): AUC for a binary outcome,
   Harrell's C for a survival one. NaN when undefined (one class, no comparable pair). */
static double discrimination(const carta_outcome *y, const double *pred, carta_error *err)
{
    carta_error local;
    carta_error_clear(&local);
    (void)err;
    if (y->type == CARTA_OUTCOME_BINARY) {
        carta_metric m;
        return carta_auc(y->n, y->y, pred, 0.95, &m, &local) == CARTA_OK ? m.value : (double)NAN;
    }
    int *ev = carta_malloc((y->n ? y->n : 1) * sizeof *ev);
    if (!ev) return (double)NAN;
    for (size_t i = 0; i < y->n; i++) ev[i] = y->status[i] != 0;
    carta_concordance_result cr;
    double v = carta_concordance(y->n, y->time, NULL, ev, pred, NULL, NULL, NULL, 1, &cr, &local) == CARTA_OK ? cr.c : (double)NAN;
    carta_free(ev);
    return v;
}

/* Fits the model on one split's training rows and predicts its test rows into f->oof. With
   optimism (bootstrap), the out-of-fold predictions are not kept; instead the discrimination on
   the training (bootstrap) rows minus that on the test (original) rows is added to *optimism. */
static int run_split(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
                     const carta_split *sp, fitted_model *f, double *optimism, carta_error *err)
{
    carta_table *train = NULL, *test = NULL;
    carta_design *d = NULL;
    carta_design_matrix *xtr = NULL, *xte = NULL;
    carta_outcome *ytr_all = NULL, *ytr = NULL;
    one_fit fit = { 0 };
    double *pred = NULL;
    int rc;
    if ((rc = carta_table_take(a->table, sp->train, sp->n_train, &train, err)) ||
        (rc = carta_table_take(a->table, sp->test, sp->n_test, &test, err)) ||
        (rc = carta_design_fit(&a->dspec, train, &d, err)) || (rc = carta_design_apply(d, train, &xtr, err)) ||
        (rc = carta_design_apply(d, test, &xte, err)) || (rc = outcome_for_model(c, a, m, train, &ytr_all, err)) ||
        (rc = carta_outcome_subset(ytr_all, xtr->rows, xtr->x.n, &ytr, err)) ||
        (rc = fit_once(c, m, o, &xtr->x, ytr, 0, &fit, err)))
        goto done;
    if (!(pred = carta_malloc((xte->x.n ? xte->x.n : 1) * sizeof *pred))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    if ((rc = predict_once(&fit, &xte->x, pred, err))) goto done;
    if (optimism) {
        double *ptr = carta_malloc((xtr->x.n ? xtr->x.n : 1) * sizeof *ptr);
        carta_outcome *yte_all = NULL, *yte = NULL;
        if (!ptr) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        if (!rc) rc = predict_once(&fit, &xtr->x, ptr, err);
        if (!rc) rc = outcome_for_model(c, a, m, test, &yte_all, err);
        if (!rc) rc = carta_outcome_subset(yte_all, xte->rows, xte->x.n, &yte, err);
        if (!rc) *optimism += discrimination(ytr, ptr, err) - discrimination(yte, pred, err);
        carta_outcome_free(yte);
        carta_outcome_free(yte_all);
        carta_free(ptr);
        goto done;
    }
    for (size_t i = 0; i < xte->x.n; i++) {
        size_t row = sp->test[xte->rows[i]];
        f->oof[row] = pred[i];
        f->oof_split[row] = sp->label;
    }
done:
    if (rc) carta_error_prefix(err, "model %s, split %s: ", m->name, sp->label);
    carta_free(pred);
    one_fit_free(&fit);
    carta_outcome_free(ytr);
    carta_outcome_free(ytr_all);
    carta_design_matrix_free(xte);
    carta_design_matrix_free(xtr);
    carta_design_free(d);
    carta_table_free(test);
    carta_table_free(train);
    return rc;
}

typedef struct scored {
    double p, y;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x < y) - (x > y);
}

/* The ROC curve (at most 101 points, one per distinct threshold kept, from (0,0) to (1,1)) and
   the calibration table by tenths of predicted risk (mean predicted, observed share, n): only
   aggregates, never a patient's row. */
static char *binary_curves(size_t n, const double *y, const double *p)
{
    scored *s = carta_malloc((n ? n : 1) * sizeof *s);
    double *fpr = carta_malloc((n + 2) * sizeof *fpr), *tpr = carta_malloc((n + 2) * sizeof *tpr);
    carta_jsonw *w = carta_jsonw_new(0);
    char *out = NULL;
    if (!s || !fpr || !tpr || !w) goto done;
    double pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = (scored){ p[i], y[i] };
        pos += y[i];
        neg += 1 - y[i];
    }
    qsort(s, n, sizeof *s, by_score_desc);
    size_t m = 0;
    double tp = 0, fp = 0;
    fpr[m] = tpr[m] = 0;
    m++;
    for (size_t i = 0; i < n; i++) {
        tp += s[i].y;
        fp += 1 - s[i].y;
        if (i + 1 < n && s[i + 1].p == s[i].p) continue; /* one point per distinct threshold */
        fpr[m] = neg > 0 ? fp / neg : 0;
        tpr[m] = pos > 0 ? tp / pos : 0;
        m++;
    }
    /* Thin to at most 101 points, keeping the first and the last. */
    size_t keep = m < 101 ? m : 101;
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "roc");
    carta_jsonw_begin_object(w);
    double *fx = carta_malloc(keep * sizeof *fx), *ty = carta_malloc(keep * sizeof *ty);
    if (!fx || !ty) {
        carta_free(fx);
        carta_free(ty);
        goto done;
    }
    for (size_t k = 0; k < keep; k++) {
        size_t i = keep > 1 ? (size_t)((double)k * (double)(m - 1) / (double)(keep - 1) + 0.5) : 0;
        fx[k] = fpr[i];
        ty[k] = tpr[i];
    }
    carta_jsonw_knumbers(w, "fpr", fx, keep);
    carta_jsonw_knumbers(w, "tpr", ty, keep);
    carta_free(fx);
    carta_free(ty);
    carta_jsonw_end_object(w);
    /* Calibration by tenths of the sorted predictions (ascending risk). */
    double bp[10], bo[10], bn[10];
    size_t nb = 0;
    for (size_t b = 0; b < 10 && n >= 10; b++) {
        size_t lo = n - (b + 1) * n / 10, hi = n - b * n / 10; /* s is descending */
        double sp = 0, so = 0;
        for (size_t i = lo; i < hi; i++) {
            sp += s[i].p;
            so += s[i].y;
        }
        bp[nb] = sp / (double)(hi - lo);
        bo[nb] = so / (double)(hi - lo);
        bn[nb] = (double)(hi - lo);
        nb++;
    }
    carta_jsonw_key(w, "calibration");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumbers(w, "predicted", bp, nb);
    carta_jsonw_knumbers(w, "observed", bo, nb);
    carta_jsonw_knumbers(w, "n", bn, nb);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    const char *t;
    carta_error e;
    carta_error_clear(&e);
    if (carta_jsonw_finish(w, &t, NULL, &e) == CARTA_OK) out = carta_jsonw_take(w);
done:
    carta_jsonw_free(w);
    carta_free(s);
    carta_free(fpr);
    carta_free(tpr);
    return out;
}

/* Net-benefit thresholds of the decision curve (Vickers & Elkin 2006) reported in the card. */
static const double NB_THRESHOLDS[] = { 0.05, 0.10, 0.20 };

/* The integrated calibration index (lowess with R's defaults f = 2/3, iter = 3), E50, E90, and
   net benefit at a few thresholds. Point estimates: no analytic interval exists. */
static int binary_extras(size_t n, const double *y, const double *p, double ev, fitted_model *f, carta_error *err)
{
    double ici, e50, e90, emax, nb[3], all[3];
    carta_error local;
    carta_error_clear(&local);
    if (carta_ici(n, y, p, 2.0 / 3.0, 3, &ici, &e50, &e90, &emax, &local) == CARTA_OK) {
        carta_metric a = { ici, NAN, NAN, NAN }, b = { e50, NAN, NAN, NAN }, c = { e90, NAN, NAN, NAN };
        if (add_metric(f, "ici", "overall", &a, NULL, n, ev) || add_metric(f, "e50", "overall", &b, NULL, n, ev) ||
            add_metric(f, "e90", "overall", &c, NULL, n, ev))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    carta_error_clear(&local);
    if (carta_net_benefit(n, y, p, 3, NB_THRESHOLDS, nb, all, &local) == CARTA_OK) {
        for (int k = 0; k < 3; k++) {
            char slice[64], slice_all[64];
            snprintf(slice, sizeof slice, "threshold=%g", NB_THRESHOLDS[k]);
            snprintf(slice_all, sizeof slice_all, "threshold=%g, treat all", NB_THRESHOLDS[k]);
            carta_metric a = { nb[k], NAN, NAN, NAN }, b = { all[k], NAN, NAN, NAN };
            if (add_metric(f, "net_benefit", slice, &a, NULL, n, ev) || add_metric(f, "net_benefit", slice_all, &b, NULL, n, ev))
                return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        }
    }
    return CARTA_OK;
}

/* Uno's C (IPCW, censoring distribution fitted on the evaluated outcomes as R's concordance
   does) and time-dependent AUC (cumulative/dynamic) at the quartiles of the event times. */
static int survival_extras(size_t n, const double *time, const int *status, const double *risk, double ev,
                           fitted_model *f, carta_error *err)
{
    carta_censoring *g = NULL;
    carta_error local;
    carta_error_clear(&local);
    if (carta_censoring_fit(n, time, status, &g, &local) != CARTA_OK) return CARTA_OK;
    carta_metric m;
    int rc = CARTA_OK;
    if (carta_uno_c(g, n, time, status, risk, (double)INFINITY, CARTA_IPCW_R, &m, &local) == CARTA_OK &&
        add_metric(f, "c_uno", "overall", &m, NULL, n, ev))
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    /* Horizons: the 25th, 50th and 75th percentiles of the event times. */
    double *et = carta_malloc((n ? n : 1) * sizeof *et);
    size_t ne = 0;
    for (size_t i = 0; et && i < n; i++)
        if (status[i]) et[ne++] = time[i];
    if (!rc && et && ne >= 4) {
        for (size_t a = 1; a < ne; a++)
            for (size_t b = a; b > 0 && et[b - 1] > et[b]; b--) {
                double tmp = et[b];
                et[b] = et[b - 1];
                et[b - 1] = tmp;
            }
        double h[3] = { et[ne / 4], et[ne / 2], et[(3 * ne) / 4] };
        carta_metric auc[3];
        carta_error_clear(&local);
        if (carta_td_auc(g, n, time, status, risk, 1, 3, h, CARTA_IPCW_R, auc, NULL, &local) == CARTA_OK) {
            for (int k = 0; k < 3 && !rc; k++) {
                char slice[64];
                snprintf(slice, sizeof slice, "time=%g", h[k]);
                if (add_metric(f, "auc_t", slice, &auc[k], NULL, n, ev)) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            }
        }
    }
    carta_free(et);
    carta_censoring_free(g);
    return rc;
}

/* Metrics of the out-of-fold predictions: overall, and per split for grouped schemes. */
static int score_predictions(const carta_config *c, const carta_outcome *y, fitted_model *f, int binary,
                             carta_error *err)
{
    size_t n = y->n, k = 0;
    double *yy = carta_malloc((n ? n : 1) * sizeof *yy), *pp = carta_malloc((n ? n : 1) * sizeof *pp);
    double *tt = carta_malloc((n ? n : 1) * sizeof *tt);
    int *ss = carta_malloc((n ? n : 1) * sizeof *ss);
    int rc = CARTA_OK;
    if (!yy || !pp || !tt || !ss) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    double cl = c->validation.conf_level, z = gsl_cdf_ugaussian_Pinv(0.5 + cl / 2);
    /* One pass per slice: slice 0 is overall, then each split label in split order. */
    for (size_t sl = 0; sl <= (f->splits ? f->splits->n : 0) && !rc; sl++) {
        const char *label = sl == 0 ? "overall" : f->splits->s[sl - 1].label;
        if (sl > 0 && c->validation.scheme != CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT &&
            c->validation.scheme != CARTA_CFG_SCHEME_GROUPED_KFOLD)
            break;
        k = 0;
        double ev = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(f->oof[i]) || (sl > 0 && f->oof_split[i] != label)) continue;
            pp[k] = f->oof[i];
            if (binary) yy[k] = y->y[i];
            else {
                tt[k] = y->time[i];
                ss[k] = y->status[i] != 0;
            }
            ev += binary ? y->y[i] : (double)(y->status[i] != 0);
            k++;
        }
        if (k == 0) continue;
        carta_metric mt;
        carta_error local;
        carta_error_clear(&local);
        if (binary) {
            /* A slice with a single outcome class has no AUC: it is left out, not an error. */
            if (carta_auc(k, yy, pp, cl, &mt, &local) == CARTA_OK && (rc = add_metric(f, "auc", label, &mt, "delong", k, ev))) break;
            if (sl == 0) {
                carta_metric slope, citl, oe;
                if (!(f->curves_json = binary_curves(k, yy, pp))) {
                    rc = CARTA_ENOMEM;
                    break;
                }
                if ((rc = binary_extras(k, yy, pp, ev, f, err))) break;
                if ((rc = carta_brier(k, yy, pp, cl, &mt, err)) || (rc = add_metric(f, "brier", label, &mt, "normal", k, ev))) break;
                carta_error_clear(&local);
                if (carta_calibration(k, yy, pp, cl, &slope, &citl, &oe, &local) == CARTA_OK) {
                    if ((rc = add_metric(f, "calibration_slope", label, &slope, "wald", k, ev)) ||
                        (rc = add_metric(f, "calibration_intercept", label, &citl, "wald", k, ev)) ||
                        (rc = add_metric(f, "observed_expected", label, &oe, "poisson", k, ev)))
                        break;
                }
            }
        } else {
            carta_concordance_result cr;
            carta_error_clear(&local);
            if (carta_concordance(k, tt, NULL, ss, pp, NULL, NULL, NULL, 1, &cr, &local) == CARTA_OK && !isnan(cr.c)) {
                mt = (carta_metric){ cr.c, cr.c - z * cr.se, cr.c + z * cr.se, cr.se };
                if ((rc = add_metric(f, "c_harrell", label, &mt, "infinitesimal jackknife", k, ev))) break;
            }
            if (sl == 0 && (rc = survival_extras(k, tt, ss, pp, ev, f, err))) break;
        }
    }
    if (rc == CARTA_ENOMEM) carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
done:
    carta_free(yy);
    carta_free(pp);
    carta_free(tt);
    carta_free(ss);
    return rc;
}

/* Harrell's bootstrap validation: apparent discrimination of the full-data model on its own data,
   and the same less the mean optimism over the bootstrap fits (Harrell, Lee & Mark, Stat Med
   1996;15:361; rms::validate). */
static int optimism_corrected(const analysis *a, const carta_outcome *y, fitted_model *f, double mean_optimism,
                              int binary, carta_error *err)
{
    carta_outcome *ys = NULL;
    double *p = carta_malloc((a->dm->x.n ? a->dm->x.n : 1) * sizeof *p);
    int rc = p ? carta_outcome_subset(y, a->dm->rows, a->dm->x.n, &ys, err) : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if (!rc) {
        double ev = 0;
        for (size_t i = 0; i < a->dm->x.n; i++) {
            p[i] = f->full[a->dm->rows[i]];
            ev += binary ? ys->y[i] : (double)(ys->status[i] != 0);
        }
        double apparent = discrimination(ys, p, err);
        carta_metric app = { apparent, NAN, NAN, NAN }, cor = { apparent - mean_optimism, NAN, NAN, NAN };
        const char *name = binary ? "auc" : "c_harrell";
        if (add_metric(f, name, "apparent", &app, NULL, ys->n, ev) ||
            add_metric(f, name, "optimism-corrected", &cor, "bootstrap optimism (Harrell)", ys->n, ev))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    carta_outcome_free(ys);
    carta_free(p);
    return rc;
}

/* The attributes the card's fairness section slices performance by, when the analysis table has
   them: sex, product and age group (< 65, >= 65). */
static const char *const FAIRNESS_ATTRIBUTES[] = { "SEX", "PRODUCT", "AGE" };

size_t fairness_attributes(const carta_table *t, const char **out)
{
    size_t n = 0;
    for (size_t k = 0; k < sizeof FAIRNESS_ATTRIBUTES / sizeof FAIRNESS_ATTRIBUTES[0]; k++) {
        const carta_column *col = carta_table_find(t, FAIRNESS_ATTRIBUTES[k]);
        if (!col || (strcmp(FAIRNESS_ATTRIBUTES[k], "AGE") == 0) != (col->type != CARTA_STR)) continue;
        out[n++] = FAIRNESS_ATTRIBUTES[k];
    }
    return n;
}

/* Discrimination of the out-of-fold predictions within each level of the fairness attributes
   (AUC with DeLong's interval, or Harrell's C with its jackknife interval). */
static int fairness_slices(const carta_config *c, const analysis *a, const carta_outcome *y, fitted_model *f, int binary,
                           carta_error *err)
{
    const char *attrs[8];
    size_t na = fairness_attributes(a->table, attrs), n = y->n;
    double *yy = carta_malloc((n ? n : 1) * sizeof *yy), *pp = carta_malloc((n ? n : 1) * sizeof *pp);
    double *tt = carta_malloc((n ? n : 1) * sizeof *tt);
    int *ss = carta_malloc((n ? n : 1) * sizeof *ss);
    int rc = (!yy || !pp || !tt || !ss) ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory") : CARTA_OK;
    double z = gsl_cdf_ugaussian_Pinv(0.5 + c->validation.conf_level / 2);
    for (size_t k = 0; k < na && !rc; k++) {
        const carta_column *col = carta_table_find(a->table, attrs[k]);
        int age = col->type != CARTA_STR;
        size_t nlev = age ? 2 : col->n_levels;
        for (size_t lv = 0; lv < nlev && !rc; lv++) {
            size_t m = 0;
            double ev = 0;
            for (size_t i = 0; i < n; i++) {
                if (isnan(f->oof[i]) || carta_column_is_missing(col, i)) continue;
                if (age ? (carta_column_number(col, i) >= 65) != (lv == 1) : col->code[i] != lv) continue;
                pp[m] = f->oof[i];
                if (binary) yy[m] = y->y[i];
                else {
                    tt[m] = y->time[i];
                    ss[m] = y->status[i] != 0;
                }
                ev += binary ? y->y[i] : (double)(y->status[i] != 0);
                m++;
            }
            if (m == 0) continue;
            char slice[160];
            if (age) snprintf(slice, sizeof slice, "AGE%s65", lv ? ">=" : "<");
            else snprintf(slice, sizeof slice, "%s=%s", attrs[k], col->levels[lv]);
            carta_metric mt;
            carta_error local;
            carta_error_clear(&local);
            if (binary) {
                if (carta_auc(m, yy, pp, c->validation.conf_level, &mt, &local) == CARTA_OK &&
                    add_metric(f, "auc", slice, &mt, "delong", m, ev))
                    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            } else {
                carta_concordance_result cr;
                if (carta_concordance(m, tt, NULL, ss, pp, NULL, NULL, NULL, 1, &cr, &local) == CARTA_OK && !isnan(cr.c)) {
                    mt = (carta_metric){ cr.c, cr.c - z * cr.se, cr.c + z * cr.se, cr.se };
                    if (add_metric(f, "c_harrell", slice, &mt, "infinitesimal jackknife", m, ev))
                        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
                }
            }
        }
    }
    carta_free(yy);
    carta_free(pp);
    carta_free(tt);
    carta_free(ss);
    return rc;
}

static int validate_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
                          fitted_model *f, carta_error *err)
{
    const carta_cfg_validation *v = &c->validation;
    size_t n = carta_table_nrows(a->table);
    carta_outcome *y = NULL;
    int *strata = NULL, *group = NULL;
    char **labels = NULL;
    size_t n_labels = 0;
    int rc = outcome_for_model(c, a, m, a->table, &y, err);
    if (rc) return rc;
    int binary = y->type == CARTA_OUTCOME_BINARY;
    strata = v->stratify ? carta_malloc((n ? n : 1) * sizeof *strata) : NULL;
    if (v->stratify && !strata) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    for (size_t i = 0; strata && i < n; i++) strata[i] = binary ? (int)y->y[i] : y->status[i] != 0;
    const char *gcol = v->group ? v->group : "STUDYID";
    carta_split_kind kind = split_kind(v->scheme);
    if (kind == CARTA_SPLIT_GROUPED_KFOLD || kind == CARTA_SPLIT_LEAVE_ONE_GROUP_OUT) {
        if (!(group = carta_malloc((n ? n : 1) * sizeof *group))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            goto done;
        }
        if ((rc = group_codes(a->table, gcol, group, &labels, &n_labels, err))) goto done;
    }
    carta_split_spec ss = { kind, (size_t)(v->folds > 0 ? v->folds : 5), (size_t)(v->repeats > 0 ? v->repeats : 1),
                            isnan(v->holdout) ? 0.25 : v->holdout, (size_t)(v->bootstrap > 0 ? v->bootstrap : 200), c->seed };
    if ((rc = carta_splits_make(&ss, n, strata, group, (const char *const *)labels, n_labels, gcol, &f->splits, err))) goto done;
    double optimism = 0;
    int boot = kind == CARTA_SPLIT_BOOTSTRAP;
    for (size_t k = 0; k < f->splits->n && !rc; k++) {
        /* Progress overwrites one terminal line; logs (not a terminal) get only the summary lines. */
        if (o->log && !o->quiet && o->progress)
            fprintf(o->log, "\rcarta: model %s: split %zu of %zu (%s)\033[K%s", m->name, k + 1, f->splits->n,
                    f->splits->s[k].label, k + 1 == f->splits->n ? "\n" : "");
        rc = run_split(c, a, m, o, &f->splits->s[k], f, boot ? &optimism : NULL, err);
    }
    if (!rc && boot) rc = optimism_corrected(a, y, f, optimism / (double)f->splits->n, binary, err);
    else if (!rc) rc = score_predictions(c, y, f, binary, err);
    if (!rc && !boot) rc = fairness_slices(c, a, y, f, binary, err);
done:
    carta_free(labels);
    carta_free(group);
    carta_free(strata);
    carta_outcome_free(y);
    return rc;
}

int fit_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
              fitted_model *f, carta_error *err)
{
    memset(f, 0, sizeof *f);
    f->cfg = m;
    size_t n = carta_table_nrows(a->table);
    int rc = CARTA_OK;
    carta_outcome *y_all = NULL, *y = NULL;
    double *pred = NULL;
    if (m->type == CARTA_CFG_MODEL_KM || m->type == CARTA_CFG_MODEL_LOGRANK || m->type == CARTA_CFG_MODEL_CIF)
        return fit_descriptive(c, a, m, f, err);
    if (!a->dm) {
        carta_where at = { .file = c->file, .field = "/features" };
        return carta_error_set(err, CARTA_ECONFIG, &at, "model %s needs features", m->name);
    }
    f->oof = carta_malloc((n ? n : 1) * sizeof *f->oof);
    f->full = carta_malloc((n ? n : 1) * sizeof *f->full);
    f->oof_split = carta_calloc(n ? n : 1, sizeof *f->oof_split);
    pred = carta_malloc((a->dm->x.n ? a->dm->x.n : 1) * sizeof *pred);
    if (!f->oof || !f->full || !f->oof_split || !pred) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) f->oof[i] = f->full[i] = NAN;
    one_fit fit;
    if ((rc = outcome_for_model(c, a, m, a->table, &y_all, err)) ||
        (rc = carta_outcome_subset(y_all, a->dm->rows, a->dm->x.n, &y, err)) ||
        (rc = fit_once(c, m, o, &a->dm->x, y, 1, &fit, err)))
        goto done;
    f->cox = fit.cox;
    f->logistic = fit.logistic;
    f->glmnet = fit.glmnet;
    f->gbm = fit.gbm;
    if ((rc = predict_once(&fit, &a->dm->x, pred, err))) goto done;
    for (size_t i = 0; i < a->dm->x.n; i++) f->full[a->dm->rows[i]] = pred[i];
    if (c->validation.scheme != CARTA_CFG_SCHEME_NONE) rc = validate_model(c, a, m, o, f, err);
done:
    if (rc) carta_error_prefix(err, "model %s: ", m->name);
    carta_free(pred);
    carta_outcome_free(y);
    carta_outcome_free(y_all);
    return rc;
}
