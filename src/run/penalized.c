/* Elastic-net cox and logistic models of the config (glmnet's parametrisation, src/fit/glmnet.c).
 *
 * With a fixed "lambda" the model is fitted at that penalty. With "lambda": "cv_min" or "cv_1se"
 * the penalty is chosen as cv.glmnet chooses it (Friedman, Hastie & Tibshirani, J Stat Softw
 * 2010;33(1); glmnet 4.1 cv.glmnet): K-fold cross-validation of the default lambda path with the
 * deviance as the loss (binomial deviance of the held-out rows; for Cox the grouped partial-
 * likelihood deviance of Verweij & van Houwelingen, Stat Med 1993;12:2305), lambda.min the largest
 * lambda with the smallest mean CV deviance, lambda.1se the largest lambda whose mean is within
 * one standard error of that minimum. The folds are dealt from the config's seed through carta's
 * one splitter (carta_splits_make: GSL mt19937, unstratified k-fold), and only over the rows the
 * caller passes: inside a validation split these are its training rows, so the held-out rows of
 * the outer split never influence the chosen lambda. The model is then refitted at the chosen
 * lambda alone to a tight threshold (as a fixed lambda is), so that its coefficients are the
 * optimum rather than a warm-started path's approximation. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/jsonw.h>

#include <math.h>
#include <string.h>

/* One lambda, no warm start along a path: converge tightly (glmnet's default 1e-7 leaves the
   coefficients about 1e-3 from the optimum). The cross-validation uses the same threshold so
   that the choice of lambda is not decided by convergence noise. */
#define TIGHT_THRESH 1e-14
#define CV_THRESH 1e-7

typedef struct penalty {
    int family;
    double lambda, alpha;
    carta_cfg_lambda_rule rule;
    const carta_cfg_lambda_cv *cv;
} penalty;

static int penalty_of(const carta_cfg_model *m, penalty *p)
{
    if (m->type == CARTA_CFG_MODEL_COX) {
        *p = (penalty){ CARTA_GLMNET_COX, m->cox.lambda, m->cox.alpha, m->cox.lambda_rule, &m->cox.lambda_cv };
    } else if (m->type == CARTA_CFG_MODEL_LOGISTIC) {
        *p = (penalty){ CARTA_GLMNET_LOGISTIC, m->logistic.lambda, m->logistic.alpha, m->logistic.lambda_rule,
                        &m->logistic.lambda_cv };
    } else {
        return 0;
    }
    return !isnan(p->lambda) || p->rule != CARTA_CFG_LAMBDA_FIXED;
}

int model_penalized(const carta_cfg_model *m)
{
    penalty p;
    return penalty_of(m, &p);
}

int penalized_foldid(unsigned long seed, size_t n, size_t folds, int *foldid, carta_error *err)
{
    carta_split_spec ss = { CARTA_SPLIT_KFOLD, folds, 1, 0.25, 1, seed };
    carta_splits *sp = NULL;
    int rc = carta_splits_make(&ss, n, NULL, NULL, NULL, 0, NULL, &sp, err);
    if (rc) return rc;
    for (size_t k = 0; k < sp->n; k++)
        for (size_t i = 0; i < sp->s[k].n_test; i++) foldid[sp->s[k].test[i]] = (int)k + 1;
    carta_splits_free(sp);
    return CARTA_OK;
}

/* The CV summary the card keeps as result.cv. */
static char *cv_json_of(const penalty *p, const carta_glmnet_cv_result *cv, unsigned long seed, int seeded)
{
    carta_jsonw *w = carta_jsonw_new(0);
    double *df = carta_malloc((cv->nlambda ? cv->nlambda : 1) * sizeof *df);
    char *out = NULL;
    if (!w || !df) goto done;
    for (size_t m = 0; m < cv->nlambda; m++) df[m] = (double)cv->fit->df[m];
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "rule", p->rule == CARTA_CFG_LAMBDA_CV_MIN ? "cv_min" : "cv_1se");
    carta_jsonw_kstring(w, "measure", p->family == CARTA_GLMNET_COX ? "partial-likelihood deviance (grouped)"
                                                                    : "binomial deviance");
    carta_jsonw_kint(w, "folds", (int64_t)cv->nfolds);
    if (seeded) carta_jsonw_kint(w, "fold_seed", (int64_t)seed);
    carta_jsonw_knumber(w, "lambda_min", cv->lambda_min);
    carta_jsonw_knumber(w, "lambda_1se", cv->lambda_1se);
    carta_jsonw_kint(w, "index_min", (int64_t)cv->index_min);
    carta_jsonw_kint(w, "index_1se", (int64_t)cv->index_1se);
    carta_jsonw_knumber(w, "cvm_min", cv->cvm[cv->index_min]);
    carta_jsonw_knumber(w, "cvsd_min", cv->cvsd[cv->index_min]);
    carta_jsonw_key(w, "curve");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumbers(w, "lambda", cv->lambda, cv->nlambda);
    carta_jsonw_knumbers(w, "cvm", cv->cvm, cv->nlambda);
    carta_jsonw_knumbers(w, "cvsd", cv->cvsd, cv->nlambda);
    carta_jsonw_knumbers(w, "df", df, cv->nlambda);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    const char *t;
    carta_error e;
    carta_error_clear(&e);
    if (carta_jsonw_finish(w, &t, NULL, &e) == CARTA_OK) out = carta_jsonw_take(w);
done:
    carta_jsonw_free(w);
    carta_free(df);
    return out;
}

int penalized_fit(const carta_config *c, const carta_cfg_model *m, const carta_matrix *x, const carta_outcome *y,
                  const int *foldid, carta_glmnet_path **out, char **cv_json, carta_error *err)
{
    penalty p;
    *out = NULL;
    if (cv_json) *cv_json = NULL;
    if (!penalty_of(m, &p)) return carta_error_set(err, CARTA_EUSAGE, NULL, "internal error: %s has no penalty", m->name);
    carta_glmnet_spec g;
    carta_glmnet_spec_default(&g);
    g.family = p.family;
    g.alpha = p.alpha;
    g.thresh = TIGHT_THRESH;
    if (p.family == CARTA_GLMNET_LOGISTIC) g.weight = y->weight;
    const double *yy = p.family == CARTA_GLMNET_LOGISTIC ? y->y : NULL;
    const carta_surv_data *sd = p.family == CARTA_GLMNET_COX ? &y->surv : NULL;
    if (p.rule == CARTA_CFG_LAMBDA_FIXED) {
        g.lambdas = &p.lambda;
        g.n_lambdas = 1;
        return carta_glmnet_fit(&g, x, yy, sd, out, err);
    }

    size_t n = x->n, folds = (size_t)p.cv->folds;
    if (n < folds) {
        carta_where at = { .file = c->file };
        return carta_error_set(err, CARTA_EDATA, &at, "%zu rows cannot make %zu cross-validation folds for lambda "
                               "(lambda_cv.folds)", n, folds);
    }
    g.nlambda = (size_t)p.cv->nlambda;
    g.thresh = CV_THRESH;
    g.lambda_min_ratio = isnan(p.cv->lambda_min_ratio) ? 0 : p.cv->lambda_min_ratio;
    int *fid = NULL;
    carta_glmnet_cv_result *cv = NULL;
    int rc = CARTA_OK;
    if (!foldid) {
        if (!(fid = carta_malloc((n ? n : 1) * sizeof *fid))) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        if ((rc = penalized_foldid(c->seed, n, folds, fid, err))) goto done;
    }
    if ((rc = carta_glmnet_cv(&g, x, yy, sd, foldid ? foldid : fid, folds, &cv, err))) {
        carta_error_prefix(err, "choosing lambda by cross-validation: ");
        goto done;
    }
    double chosen = p.rule == CARTA_CFG_LAMBDA_CV_MIN ? cv->lambda_min : cv->lambda_1se;
    g.nlambda = 100;
    g.lambda_min_ratio = 0;
    g.thresh = TIGHT_THRESH;
    g.lambdas = &chosen;
    g.n_lambdas = 1;
    if ((rc = carta_glmnet_fit(&g, x, yy, sd, out, err))) goto done;
    if (cv_json && !(*cv_json = cv_json_of(&p, cv, c->seed, foldid == NULL))) {
        carta_glmnet_path_free(*out);
        *out = NULL;
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
done:
    carta_glmnet_cv_free(cv);
    carta_free(fid);
    return rc;
}

int penalized_note_split(fitted_model *f, size_t k, const carta_glmnet_path *g, carta_error *err)
{
    if (!f->splits || k >= f->splits->n || !g || g->nlambda < 1) return CARTA_OK;
    if (!f->split_lambda) {
        if (!(f->split_lambda = carta_malloc(f->splits->n * sizeof *f->split_lambda)))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        for (size_t i = 0; i < f->splits->n; i++) f->split_lambda[i] = NAN;
    }
    f->split_lambda[k] = g->lambda[0];
    return CARTA_OK;
}

int penalized_add_splits(fitted_model *f, carta_error *err)
{
    if (!f->split_lambda || !f->glmnet_cv_json || !f->splits) return CARTA_OK;
    size_t n = f->splits->n, len = strlen(f->glmnet_cv_json);
    if (len < 2 || f->glmnet_cv_json[len - 1] != '}') return CARTA_OK;
    carta_jsonw *w = carta_jsonw_new(0);
    char *out = NULL;
    int rc = CARTA_OK;
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    /* which lambda the fit inside each validation split chose: how stable the choice is */
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "label");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < n; k++) carta_jsonw_string(w, f->splits->s[k].label);
    carta_jsonw_end_array(w);
    carta_jsonw_knumbers(w, "lambda", f->split_lambda, n);
    carta_jsonw_end_object(w);
    const char *t;
    size_t tl = 0;
    if ((rc = carta_jsonw_finish(w, &t, &tl, err)) == CARTA_OK) {
        static const char key[] = ",\"splits\":";
        size_t need = len - 1 + sizeof key - 1 + tl + 2;
        if (!(out = carta_malloc(need))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        } else {
            memcpy(out, f->glmnet_cv_json, len - 1);
            memcpy(out + len - 1, key, sizeof key - 1);
            memcpy(out + len - 1 + sizeof key - 1, t, tl);
            out[need - 2] = '}';
            out[need - 1] = '\0';
            carta_free(f->glmnet_cv_json);
            f->glmnet_cv_json = out;
        }
    }
    carta_jsonw_free(w);
    return rc;
}
