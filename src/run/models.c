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
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fitted_model_clear(fitted_model *f)
{
    carta_free(f->spec_json);
    carta_cox_result_free(f->cox);
    carta_logistic_result_free(f->logistic);
    carta_glmnet_path_free(f->glmnet);
    carta_free(f->glmnet_cv_json);
    carta_free(f->split_lambda);
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
    carta_free(f->oof_label);
    for (size_t k = 0; f->bases && f->splits && k < f->splits->n; k++) split_baseline_clear(&f->bases[k]);
    carta_free(f->bases);
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

/* The term of each design column, as R's model.matrix `assign` (cox.zph(terms = TRUE) tests one
   term at a time): a feature's columns (a factor's indicators) form one term, its missing
   indicator its own, each interaction its own, and any other column (an intercept) its own;
   terms are numbered in the order of their first column. The card (report/card.c) labels the
   terms by the same grouping. *out (carta_free) is NULL when the columns do not follow the
   design's layout (then no per-term test is made); only memory is an error. */
static int design_term_of(const carta_design *d, size_t p, size_t **out, size_t *n_terms, carta_error *err)
{
    *out = NULL;
    *n_terms = 0;
    if (!d || p == 0 || carta_design_p(d) != p) return CARTA_OK;
    size_t nf = carta_design_nfeatures(d), ni = carta_design_ninteractions(d), nk = 2 * nf + ni + p, next = 0;
    size_t *t = carta_malloc(p * sizeof *t), *num = carta_malloc(nk * sizeof *num);
    if (!t || !num) {
        carta_free(t);
        carta_free(num);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    /* t[j] first holds a group key: 2i feature i, 2i + 1 its indicator, 2 nf + k interaction k,
       2 nf + ni + j a column of its own. */
    for (size_t j = 0; j < p; j++) t[j] = 2 * nf + ni + j;
    size_t end = 0; /* interactions follow every feature's columns */
    int ok = 1;
    for (size_t i = 0; i < nf && ok; i++) {
        const carta_design_feature *f = carta_design_feature_at(d, i);
        size_t w = f->n_terms + (f->indicator ? 1 : 0);
        if (f->first_term + w > p) ok = 0;
        for (size_t j = 0; ok && j < w; j++) t[f->first_term + j] = 2 * i + (j == f->n_terms);
        if (ok && f->first_term + w > end) end = f->first_term + w;
    }
    for (size_t k = 0; k < ni && ok; k++) {
        size_t a, b;
        carta_design_interaction(d, k, &a, &b);
        size_t w = carta_design_feature_at(d, a)->n_terms * carta_design_feature_at(d, b)->n_terms;
        if (end + w > p) ok = 0;
        for (size_t j = 0; ok && j < w; j++) t[end + j] = 2 * nf + k;
        end += w;
    }
    if (!ok) {
        carta_free(t);
        carta_free(num);
        return CARTA_OK;
    }
    for (size_t k = 0; k < nk; k++) num[k] = (size_t)-1;
    for (size_t j = 0; j < p; j++) {
        if (num[t[j]] == (size_t)-1) num[t[j]] = next++;
        t[j] = num[t[j]];
    }
    carta_free(num);
    *out = t;
    *n_terms = next;
    return CARTA_OK;
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
    char *cv_json;               /* lambda chosen by cross-validation (penalized.c) */
    carta_gbm_model *gbm;
} one_fit;

static void one_fit_free(one_fit *f)
{
    carta_cox_result_free(f->cox);
    carta_logistic_result_free(f->logistic);
    carta_glmnet_path_free(f->glmnet);
    carta_free(f->cv_json);
    carta_gbm_free(f->gbm);
    memset(f, 0, sizeof *f);
}

/* Boosting progress on the terminal line: overwritten in place, cleared by the caller. */
typedef struct round_progress { FILE *log; const char *model; } round_progress;

static void print_round(void *ctx, int round, int rounds)
{
    const round_progress *r = ctx;
    fprintf(r->log, "\rcarta: model %s: boosting round %d of %d\033[K", r->model, round, rounds);
}

/* shap: compute SHAP summaries (only for the full-data fit: the resampling fits need predictions).
   d: the design x was made with, for the Cox model's per-term cox.zph (NULL: per column only).
   xdata: x's own data, writable: the Cox fit may reorder its rows while it iterates (and puts
   them back; carta_cox_fit_reorder). */
static int fit_once(const carta_config *c, const carta_cfg_model *m, const carta_run_opts *o, const carta_design *d,
                    const carta_matrix *x, double *xdata, const carta_outcome *y, int shap, one_fit *f,
                    carta_error *err)
{
    int rc = CARTA_OK;
    memset(f, 0, sizeof *f);
    switch (m->type) {
    case CARTA_CFG_MODEL_COX: {
        if (model_penalized(m)) {
            rc = penalized_fit(c, m, x, y, NULL, &f->glmnet, &f->cv_json, err);
            break;
        }
        carta_cox_spec s;
        cox_spec(m, &s);
        size_t *term_of = NULL, n_terms = 0;
        if (s.zph != CARTA_COX_ZPH_NONE && (rc = design_term_of(d, x->p, &term_of, &n_terms, err))) break;
        s.term_of = term_of;
        s.n_terms = n_terms;
        s.offset = y->offset;
        s.threads = o->threads; /* (--threads 1: one thread) */
        rc = carta_cox_fit_reorder(&s, &y->surv, x, xdata, &f->cox, err);
        carta_free(term_of);
        break;
    }
    case CARTA_CFG_MODEL_LOGISTIC: {
        if (model_penalized(m)) {
            /* Elastic net at the configured or cross-validated penalty (penalized.c). */
            rc = penalized_fit(c, m, x, y, NULL, &f->glmnet, &f->cv_json, err);
            break;
        }
        carta_logistic_spec s;
        logistic_spec(m, &s);
        s.weight = y->weight;
        s.offset = y->offset;
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
        round_progress progress = { o->log, m->name };
        int show = o->log && !o->quiet && o->progress;
        if (show) {
            s.on_round = print_round;
            s.on_round_ctx = &progress;
        }
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
        if (show) fprintf(o->log, "\r\033[K"); /* the split line, if any, is written again next */
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
   predictor, larger = worse). offset: the rows' offsets (added to the linear predictor) when the
   model has one, else NULL. */
static int predict_once(const one_fit *f, const carta_matrix *x, const double *offset, double *out, carta_error *err)
{
    if (f->logistic) {
        carta_logistic_predict(f->logistic, x, offset, out);
        return CARTA_OK;
    }
    if (f->glmnet) {
        carta_glmnet_predict(f->glmnet, 0, x, out);
        /* logistic: a probability; Cox: the linear predictor is the risk score */
        if (f->glmnet->family == CARTA_GLMNET_LOGISTIC)
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
            out[i] = e + (offset ? offset[i] : 0);
        }
        return CARTA_OK;
    }
    if (f->gbm) return carta_gbm_predict(f->gbm, x, 0, out, err);
    return CARTA_OK;
}

/* ---- Validation ---- */

int add_metric(fitted_model *f, const char *name, const char *slice, const carta_metric *m, const char *ci,
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
   Harrell's C for a survival one (is_time: predictions are survival times, larger = better).
   NaN when undefined (one class, no comparable pair). */
static double discrimination(const carta_outcome *y, const double *pred, int is_time, carta_error *err)
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
    double v = carta_concordance(y->n, y->time, NULL, ev, pred, NULL, NULL, NULL, !is_time, &cr, &local) == CARTA_OK ? cr.c : (double)NAN;
    carta_free(ev);
    return v;
}

/* The split's baseline hazard for survival probabilities: a Cox fit's own; Breslow's with the
   training rows' margins as offsets for an xgboost survival:cox booster, or with their linear
   predictors for an elastic-net Cox model (per stratum for a stratified one). Where none can be
   had the split gets none: only memory is an error. */
static int keep_baseline(const one_fit *fit, const carta_matrix *xtr, const carta_outcome *ytr, split_baseline *out,
                         carta_error *err)
{
    carta_error local;
    carta_error_clear(&local);
    int rc = CARTA_OK;
    if (fit->cox) rc = split_baseline_cox(fit->cox, out, &local);
    else if (fit->gbm) {
        double *margin = carta_malloc((xtr->n ? xtr->n : 1) * sizeof *margin);
        if (!margin) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        rc = carta_gbm_predict(fit->gbm, xtr, 1, margin, &local);
        if (!rc) rc = split_baseline_breslow(ytr, margin, 0, out, &local);
        carta_free(margin);
    } else if (fit->glmnet && fit->glmnet->family == CARTA_GLMNET_COX) {
        double *lp = carta_malloc((xtr->n ? xtr->n : 1) * sizeof *lp);
        if (!lp) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        carta_glmnet_predict(fit->glmnet, 0, xtr, lp); /* as predict_once: the chosen lambda */
        rc = split_baseline_breslow(ytr, lp, 1, out, &local);
        carta_free(lp);
    }
    if (rc == CARTA_ENOMEM) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    return CARTA_OK;
}

/* The offsets of a split's test rows (matrix row i is analysis row sp->test[xte->rows[i]]) when
   the model has an offset, else *out = NULL. Read from the analysis table: the full-data fit has
   already checked the column (numeric, finite on every row). A test split's own outcome is not
   built for them, as it may hold no event. */
static int test_offsets(const analysis *a, const carta_cfg_model *m, const carta_split *sp,
                        const carta_design_matrix *xte, double **out, carta_error *err)
{
    const char *name = m->type == CARTA_CFG_MODEL_COX ? m->cox.offset
                       : m->type == CARTA_CFG_MODEL_LOGISTIC ? m->logistic.offset : NULL;
    *out = NULL;
    if (!name) return CARTA_OK;
    const carta_column *col = carta_table_find(a->table, name);
    size_t n = xte->x.n;
    if (!col) return carta_error_set(err, CARTA_EDATA, NULL, "the offset column %s is not in the analysis table", name);
    if (!(*out = carta_malloc((n ? n : 1) * sizeof **out))) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0; i < n; i++) (*out)[i] = carta_column_number(col, sp->test[xte->rows[i]]);
    return CARTA_OK;
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
    double *pred = NULL, *off_te = NULL;
    int rc;
    if ((rc = carta_table_take(a->table, sp->train, sp->n_train, &train, err)) ||
        (rc = carta_table_take(a->table, sp->test, sp->n_test, &test, err)) ||
        (rc = carta_design_fit(&a->dspec, train, &d, err)) || (rc = carta_design_apply(d, train, &xtr, err)) ||
        (rc = carta_design_apply(d, test, &xte, err)) || (rc = outcome_for_model(c, a, m, train, &ytr_all, err)) ||
        (rc = carta_outcome_subset(ytr_all, xtr->rows, xtr->x.n, &ytr, err)) ||
        (rc = fit_once(c, m, o, NULL, &xtr->x, xtr->data, ytr, 0, &fit, err)) || /* a split's zph is not reported */
        (rc = test_offsets(a, m, sp, xte, &off_te, err)))
        goto done;
    if (!(pred = carta_malloc((xte->x.n ? xte->x.n : 1) * sizeof *pred))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    if ((rc = predict_once(&fit, &xte->x, off_te, pred, err))) goto done;
    if (fit.cv_json && (rc = penalized_note_split(f, (size_t)(sp - f->splits->s), fit.glmnet, err))) goto done;
    if (!optimism && f->bases && (rc = keep_baseline(&fit, &xtr->x, ytr, &f->bases[sp - f->splits->s], err))) goto done;
    if (optimism) {
        double *ptr = carta_malloc((xtr->x.n ? xtr->x.n : 1) * sizeof *ptr);
        carta_outcome *yte_all = NULL, *yte = NULL;
        if (!ptr) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        if (!rc) rc = predict_once(&fit, &xtr->x, ytr->offset, ptr, err);
        if (!rc) rc = outcome_for_model(c, a, m, test, &yte_all, err);
        if (!rc) rc = carta_outcome_subset(yte_all, xte->rows, xte->x.n, &yte, err);
        if (!rc) *optimism += discrimination(ytr, ptr, f->oof_is_time, err) - discrimination(yte, pred, f->oof_is_time, err);
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
    if (rc) carta_error_prefix(err, "split %s: ", sp->label); /* fit_model adds "model NAME: " */
    carta_free(pred);
    one_fit_free(&fit);
    carta_free(off_te);
    carta_outcome_free(ytr);
    carta_outcome_free(ytr_all);
    carta_design_matrix_free(xte);
    carta_design_matrix_free(xtr);
    carta_design_free(d);
    carta_table_free(test);
    carta_table_free(train);
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
    size_t ns = f->splits ? f->splits->n : 0, np = 0, n_all = 0;
    double *pest = carta_malloc((ns ? ns : 1) * sizeof *pest), *pse = carta_malloc((ns ? ns : 1) * sizeof *pse), ev_all = 0;
    int rc = CARTA_OK;
    if (!yy || !pp || !tt || !ss || !pest || !pse) {
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
            if (carta_auc(k, yy, pp, cl, &mt, &local) == CARTA_OK) {
                if ((rc = add_metric(f, "auc", label, &mt, "delong", k, ev))) break;
                if (sl > 0 && isfinite(mt.se) && mt.se > 0) {
                    pest[np] = mt.value;
                    pse[np++] = mt.se;
                }
            }
            if (sl == 0 && (rc = score_binary(c, k, yy, pp, ev, f, err))) break;
        } else {
            carta_concordance_result cr;
            carta_error_clear(&local);
            if (carta_concordance(k, tt, NULL, ss, pp, NULL, NULL, NULL, !f->oof_is_time, &cr, &local) == CARTA_OK && !isnan(cr.c)) {
                mt = (carta_metric){ cr.c, cr.c - z * cr.se, cr.c + z * cr.se, cr.se };
                if ((rc = add_metric(f, "c_harrell", label, &mt, "infinitesimal jackknife", k, ev))) break;
                if (sl > 0 && isfinite(cr.se) && cr.se > 0) {
                    pest[np] = cr.c;
                    pse[np++] = cr.se;
                }
            }
            if (sl == 0 && (rc = score_survival(c, y, f, ev, err))) break;
        }
        if (sl == 0) {
            n_all = k;
            ev_all = ev;
        }
    }
    /* Random-effects pooling of the per-study (per-group) estimates and their heterogeneity. */
    if (!rc && np >= 2) rc = pool_studies(c, f, binary ? "auc" : "c_harrell", np, pest, pse, n_all, ev_all, err);
    if (rc == CARTA_ENOMEM) carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
done:
    carta_free(pest);
    carta_free(pse);
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
        double apparent = discrimination(ys, p, f->oof_is_time, err);
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

/* Discrimination of the out-of-fold predictions within each slice of the fairness attributes
   (fairness.c; AUC with DeLong's interval, or Harrell's C with its jackknife interval). */
static int fairness_slices(const carta_config *c, const analysis *a, const carta_outcome *y, fitted_model *f, int binary,
                           carta_error *err)
{
    fairness_attr *fa = NULL;
    size_t na = 0, n = y->n;
    int frc = fairness_build(c, a->table, &fa, &na, err);
    if (frc) return frc;
    double *yy = carta_malloc((n ? n : 1) * sizeof *yy), *pp = carta_malloc((n ? n : 1) * sizeof *pp);
    double *tt = carta_malloc((n ? n : 1) * sizeof *tt);
    int *ss = carta_malloc((n ? n : 1) * sizeof *ss);
    int rc = (!yy || !pp || !tt || !ss) ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory") : CARTA_OK;
    double z = gsl_cdf_ugaussian_Pinv(0.5 + c->validation.conf_level / 2);
    for (size_t k = 0; k < na && !rc; k++) {
        for (size_t lv = 0; lv < fa[k].n_groups && !rc; lv++) {
            size_t m = 0;
            double ev = 0;
            for (size_t i = 0; i < n; i++) {
                if (isnan(f->oof[i]) || fa[k].group[i] != (int)lv) continue;
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
            const char *slice = fa[k].labels[lv];
            carta_metric mt;
            carta_error local;
            carta_error_clear(&local);
            if (binary) {
                if (carta_auc(m, yy, pp, c->validation.conf_level, &mt, &local) == CARTA_OK &&
                    add_metric(f, "auc", slice, &mt, "delong", m, ev))
                    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            } else {
                carta_concordance_result cr;
                if (carta_concordance(m, tt, NULL, ss, pp, NULL, NULL, NULL, !f->oof_is_time, &cr, &local) == CARTA_OK && !isnan(cr.c)) {
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
    fairness_free(fa, na);
    return rc;
}

/* ---- Repeated k-fold ----
 * Every repeat's out-of-fold predictions are scored on their own (as caret, mlr3 and
 * rms::validate(method = "crossvalidation", B = repeats) do), without bootstrap intervals inside
 * a repeat. Each card metric is then the mean of its per-repeat estimates, and its interval the
 * (1 - conf_level)/2 and (1 + conf_level)/2 quantiles of those estimates (GSL's quantile: linear
 * interpolation between order statistics, R's quantile type 7), named "repeats": the spread that
 * comes from the choice of split alone. The headline discrimination metric (auc or c_harrell) is
 * also listed per repeat (slices "repeat=1", ...), with its own analytic interval. */

/* The metrics one repeat produced (the array is owned; names, slices and ci texts borrowed). */
typedef struct repeat_metrics {
    carta_card_metric *m;
    size_t n;
} repeat_metrics;

static int aggregate_repeats(const carta_config *c, fitted_model *f, const repeat_metrics *r, size_t n_rep, int binary,
                             carta_error *err)
{
    double *v = carta_malloc((n_rep ? n_rep : 1) * sizeof *v);
    if (!v) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    double cl = c->validation.conf_level;
    int rc = CARTA_OK;
    /* One card metric per (name, slice) of the first repeat, averaged over the repeats that have
       it (a slice can lack a metric in one repeat, e.g. one outcome class). */
    for (size_t j = 0; n_rep && j < r[0].n && !rc; j++) {
        const carta_card_metric *m0 = &r[0].m[j];
        size_t k = 0;
        for (size_t q = 0; q < n_rep; q++)
            for (size_t i = 0; i < r[q].n; i++)
                if (strcmp(r[q].m[i].name, m0->name) == 0 && strcmp(r[q].m[i].slice, m0->slice) == 0) {
                    if (!isnan(r[q].m[i].value)) v[k++] = r[q].m[i].value;
                    break;
                }
        if (k == 0) continue;
        gsl_sort(v, 1, k);
        carta_metric mt = { gsl_stats_mean(v, 1, k), gsl_stats_quantile_from_sorted_data(v, 1, k, (1 - cl) / 2),
                            gsl_stats_quantile_from_sorted_data(v, 1, k, (1 + cl) / 2), NAN };
        if (add_metric(f, m0->name, m0->slice, &mt, "repeats", m0->n, m0->events))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    const char *headline = binary ? "auc" : "c_harrell";
    for (size_t q = 0; q < n_rep && !rc; q++)
        for (size_t i = 0; i < r[q].n; i++) {
            const carta_card_metric *mq = &r[q].m[i];
            if (strcmp(mq->name, headline) != 0 || strcmp(mq->slice, "overall") != 0) continue;
            char slice[64];
            snprintf(slice, sizeof slice, "repeat=%zu", q + 1);
            carta_metric mt = { mq->value, mq->lower, mq->upper, NAN };
            if (add_metric(f, mq->name, slice, &mt, mq->ci_method, mq->n, mq->events))
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            break;
        }
    carta_free(v);
    return rc;
}

/* Runs the splits of each repeat, scores each repeat's out-of-fold predictions (overall and
   fairness slices, without bootstrap intervals), then replaces them with their mean per row
   (f->oof; f->oof_split lists the row's fold in every repeat) and the card metrics with their mean over repeats. The curves
   (ROC, calibration) are those of the first repeat. */
static int validate_repeats(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
                            const carta_outcome *y, size_t folds, size_t n_rep, fitted_model *f, int binary,
                            carta_error *err);

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
    /* Survival probabilities (Brier score, calibration at a horizon) need each split's baseline. */
    if (!binary && !boot && !y->start &&
        (m->type == CARTA_CFG_MODEL_COX || (m->type == CARTA_CFG_MODEL_XGBOOST && gbm_objective(c, m) == CARTA_GBM_COX)) &&
        !(f->bases = carta_calloc(f->splits->n, sizeof *f->bases))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    if (kind == CARTA_SPLIT_REPEATED_KFOLD && ss.repeats > 1) {
        rc = validate_repeats(c, a, m, o, y, ss.folds, ss.repeats, f, binary, err);
        goto done;
    }
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

static int validate_repeats(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
                            const carta_outcome *y, size_t folds, size_t n_rep, fitted_model *f, int binary,
                            carta_error *err)
{
    size_t n = y->n;
    /* Inside a repeat no bootstrap: the spread over repeats is the metric's interval. */
    carta_config cr = *c;
    cr.validation.bootstrap = 0;
    repeat_metrics *r = carta_calloc(n_rep, sizeof *r);
    double *sum = carta_calloc(n ? n : 1, sizeof *sum);
    size_t *cnt = carta_calloc(n ? n : 1, sizeof *cnt);
    size_t *which = carta_malloc((n ? n : 1) * n_rep * sizeof *which); /* row i, repeat q: split or SIZE_MAX */
    char *curves = NULL;
    carta_card_metric *pre = f->metrics; /* metrics added before validation (none today) */
    size_t n_pre = f->n_metrics;
    int rc = CARTA_OK;
    if (!r || !sum || !cnt || !which || f->splits->n != folds * n_rep) {
        rc = !r || !sum || !cnt || !which ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory")
                                : carta_error_set(err, CARTA_EUSAGE, NULL, "internal error: %zu splits for %zu x %zu",
                                                  f->splits->n, n_rep, folds);
        goto done;
    }
    for (size_t q = 0; q < n_rep && !rc; q++) {
        for (size_t i = 0; i < n; i++) {
            f->oof[i] = NAN;
            f->oof_split[i] = NULL;
        }
        for (size_t k = q * folds; k < (q + 1) * folds && !rc; k++) {
            if (o->log && !o->quiet && o->progress)
                fprintf(o->log, "\rcarta: model %s: split %zu of %zu (%s)\033[K%s", m->name, k + 1, f->splits->n,
                        f->splits->s[k].label, k + 1 == f->splits->n ? "\n" : "");
            rc = run_split(c, a, m, o, &f->splits->s[k], f, NULL, err);
        }
        /* Score this repeat into an empty metric list, then set it aside. */
        f->metrics = NULL;
        f->n_metrics = 0;
        f->curves_json = NULL;
        if (!rc) rc = score_predictions(&cr, y, f, binary, err);
        if (!rc) rc = fairness_slices(&cr, a, y, f, binary, err);
        r[q].m = f->metrics;
        r[q].n = f->n_metrics;
        f->metrics = NULL;
        f->n_metrics = 0;
        if (q == 0) curves = f->curves_json;
        else carta_free(f->curves_json);
        f->curves_json = NULL;
        for (size_t i = 0; i < n; i++) {
            which[i * n_rep + q] = SIZE_MAX;
            if (isnan(f->oof[i])) continue;
            sum[i] += f->oof[i];
            cnt[i]++;
            for (size_t k = q * folds; k < (q + 1) * folds; k++)
                if (f->splits->s[k].label == f->oof_split[i]) which[i * n_rep + q] = k;
        }
    }
    f->metrics = pre;
    f->n_metrics = n_pre;
    if (!rc) rc = aggregate_repeats(c, f, r, n_rep, binary, err);
    /* Each row's split label lists the split of every repeat that predicted it,
       "repeat=1, fold=2; repeat=2, fold=3; ...": one buffer of NUL-terminated labels. */
    size_t len = 1;
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t q = 0; q < n_rep; q++)
            if (which[i * n_rep + q] != SIZE_MAX) len += strlen(f->splits->s[which[i * n_rep + q]].label) + 3;
    if (!rc && !(f->oof_label = carta_malloc(len))) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0, at = 0; !rc && i < n; i++) {
        f->oof[i] = cnt[i] ? sum[i] / (double)cnt[i] : (double)NAN;
        f->oof_split[i] = cnt[i] ? f->oof_label + at : NULL;
        if (!cnt[i]) continue;
        for (size_t q = 0, first = 1; q < n_rep; q++) {
            if (which[i * n_rep + q] == SIZE_MAX) continue;
            const char *lab = f->splits->s[which[i * n_rep + q]].label;
            size_t l = strlen(lab);
            if (!first) {
                memcpy(f->oof_label + at, "; ", 2);
                at += 2;
            }
            memcpy(f->oof_label + at, lab, l);
            at += l;
            first = 0;
        }
        f->oof_label[at++] = '\0';
    }
    f->curves_json = curves;
done:
    for (size_t q = 0; r && q < n_rep; q++) carta_free(r[q].m);
    carta_free(r);
    carta_free(sum);
    carta_free(cnt);
    carta_free(which);
    return rc;
}

int fit_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
              fitted_model *f, carta_error *err)
{
    memset(f, 0, sizeof *f);
    f->cfg = m;
    f->oof_is_time = m->type == CARTA_CFG_MODEL_XGBOOST && gbm_objective(c, m) == CARTA_GBM_AFT;
    if (f->oof_is_time) {
        /* the distribution and scale of the model's survival function (the config reader has
           checked both and filled in xgboost's defaults, normal and 1) */
        const carta_cfg_xgb_param *d = carta_xgboost_config_param(&m->xgboost, "aft_loss_distribution");
        const carta_cfg_xgb_param *sc = carta_xgboost_config_param(&m->xgboost, "aft_loss_distribution_scale");
        carta_error local;
        carta_error_clear(&local);
        f->aft = carta_survpred_aft_dist_parse(d && d->text ? d->text : "normal", &f->aft_dist, &local) == CARTA_OK;
        f->aft_sigma = sc ? sc->num : 1.0;
    }
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
    if (c->validation.scheme != CARTA_CFG_SCHEME_NONE) {
        /* a fairness attribute the table lacks is an error before any fitting, not after */
        fairness_attr *fa = NULL;
        size_t nfa = 0;
        if ((rc = fairness_build(c, a->table, &fa, &nfa, err))) return rc;
        fairness_free(fa, nfa);
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
        (rc = fit_once(c, m, o, a->design, &a->dm->x, a->dm->data, y, 1, &fit, err)))
        goto done;
    f->cox = fit.cox;
    f->logistic = fit.logistic;
    f->glmnet = fit.glmnet;
    f->glmnet_cv_json = fit.cv_json;
    f->gbm = fit.gbm;
    if ((rc = predict_once(&fit, &a->dm->x, y->offset, pred, err))) goto done;
    for (size_t i = 0; i < a->dm->x.n; i++) f->full[a->dm->rows[i]] = pred[i];
    if (c->validation.scheme != CARTA_CFG_SCHEME_NONE) rc = validate_model(c, a, m, o, f, err);
    if (!rc) rc = penalized_add_splits(f, err);
done:
    if (rc) carta_error_prefix(err, "model %s: ", m->name);
    carta_free(pred);
    carta_outcome_free(y);
    carta_outcome_free(y_all);
    return rc;
}
