/* Config keys of the elastic-net penalty (cox and logistic models: lambda, alpha, lambda_cv) and
   of the fairness attributes (validation.fairness). Only what can be checked without data is
   checked here; the columns are checked when the analysis table exists (src/run/fairness.c). */
#include "config_int.h"

#include <math.h>
#include <string.h>

static const char *const LAMBDA_CV_KEYS[] = { "folds", "nlambda", "lambda_min_ratio", NULL };
static const char *const CV_RULES[] = { "cv_min", "cv_1se", NULL };
static const char *const FAIRNESS_KEYS[] = { "column", "cuts", "levels", NULL };

int cfg_read_penalty(cfg_reader *r, const cJSON *v, double *lambda, double *alpha,
                     carta_cfg_lambda_rule *rule, carta_cfg_lambda_cv *cv)
{
    static const cfg_range R_NONNEG = { 0, INFINITY, 0, 0 }, R_UNIT = { 0, 1, 0, 0 }, R_OPEN01 = { 0, 1, 1, 1 };
    int rc;
    *lambda = NAN;
    *alpha = 1;
    *rule = CARTA_CFG_LAMBDA_FIXED;
    memset(cv, 0, sizeof *cv);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(v, "lambda");
    if (l && cJSON_IsString(l)) {
        size_t saved = cfg_enter(r, "lambda");
        int k;
        for (k = 0; CV_RULES[k]; k++)
            if (strcmp(l->valuestring, CV_RULES[k]) == 0) break;
        if (!CV_RULES[k]) {
            const char *near = cfg_nearest(l->valuestring, CV_RULES);
            rc = near ? cfg_fail(r, "\"%.80s\" is not one of cv_min, cv_1se (did you mean \"%s\"?); or give a number >= 0",
                                 l->valuestring, near)
                      : cfg_fail(r, "\"%.80s\" is not one of cv_min, cv_1se; or give a number >= 0", l->valuestring);
            cfg_leave(r, saved);
            return rc;
        }
        cfg_leave(r, saved);
        *rule = k == 0 ? CARTA_CFG_LAMBDA_CV_MIN : CARTA_CFG_LAMBDA_CV_1SE;
    } else if (l && !cJSON_IsNumber(l) && !cJSON_IsNull(l)) {
        return cfg_fail_key(r, "lambda", "expected a number >= 0, null, \"cv_min\" or \"cv_1se\", got %s", cfg_kind(l));
    } else if ((rc = cfg_get_num(r, v, "lambda", CFG_NULL, &R_NONNEG, lambda))) {
        return rc;
    }
    if ((rc = cfg_get_num(r, v, "alpha", 0, &R_UNIT, alpha))) return rc;

    const cJSON *o = NULL;
    if ((rc = cfg_get_object(r, v, "lambda_cv", 0, &o))) return rc;
    if (*rule == CARTA_CFG_LAMBDA_FIXED) {
        if (o) return cfg_fail_key(r, "lambda_cv", "only with \"lambda\": \"cv_min\" or \"cv_1se\"");
        return CARTA_OK;
    }
    /* cv.glmnet's defaults: 10 folds, a path of 100 lambdas, glmnet's lambda.min.ratio. */
    cv->folds = 10;
    cv->nlambda = 100;
    cv->lambda_min_ratio = NAN;
    if (!o) return CARTA_OK;
    size_t saved = cfg_enter(r, "lambda_cv");
    if (!(rc = cfg_check_keys(r, o, LAMBDA_CV_KEYS, NULL, NULL)) &&
        !(rc = cfg_get_long(r, o, "folds", 0, 3, 1000, &cv->folds)) &&
        !(rc = cfg_get_long(r, o, "nlambda", 0, 1, 10000, &cv->nlambda)))
        rc = cfg_get_num(r, o, "lambda_min_ratio", CFG_NULL, &R_OPEN01, &cv->lambda_min_ratio);
    cfg_leave(r, saved);
    return rc;
}

static int read_fairness_attr(cfg_reader *r, const cJSON *e, carta_cfg_fairness_attr *a)
{
    static const cfg_range R_ANY = { -INFINITY, INFINITY, 0, 0 };
    int rc;
    if (!cJSON_IsObject(e)) return cfg_fail(r, "expected an object with \"column\", got %s", cfg_kind(e));
    if ((rc = cfg_check_keys(r, e, FAIRNESS_KEYS, NULL, NULL)) ||
        (rc = cfg_get_str(r, e, "column", CFG_REQ, &a->column)) ||
        (rc = cfg_get_nums(r, e, "cuts", 0, &R_ANY, 1, &a->cuts)) ||
        (rc = cfg_get_strs(r, e, "levels", 0, 0, &a->levels)))
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(e, "cuts") && a->cuts.n == 0)
        return cfg_fail_key(r, "cuts", "needs at least one cut point");
    if (cJSON_GetObjectItemCaseSensitive(e, "levels") && a->levels.n == 0)
        return cfg_fail_key(r, "levels", "needs at least one level (leave \"levels\" out for every level)");
    if (a->cuts.n && a->levels.n)
        return cfg_fail_key(r, "levels", "\"cuts\" (a numeric column) and \"levels\" (a text column) exclude each other");
    return CARTA_OK;
}

int cfg_read_fairness(cfg_reader *r, const cJSON *o, carta_cfg_validation *v)
{
    v->fairness_default = 1;
    v->fairness = NULL;
    v->n_fairness = 0;
    const cJSON *f = o ? cJSON_GetObjectItemCaseSensitive(o, "fairness") : NULL;
    if (!f || cJSON_IsNull(f)) return CARTA_OK;
    if (!cJSON_IsArray(f))
        return cfg_fail_key(r, "fairness", "expected an array of {\"column\", \"cuts\" or \"levels\"} objects, or null, got %s",
                            cfg_kind(f));
    size_t n = (size_t)cJSON_GetArraySize(f), i = 0;
    if (n > CARTA_CFG_MAX_FAIRNESS) return cfg_fail_key(r, "fairness", "at most %d attributes", CARTA_CFG_MAX_FAIRNESS);
    carta_cfg_fairness_attr *a = cfg_arena_array(r->a, n ? n : 1, sizeof *a);
    if (!a) return cfg_oom(r);
    int rc = CARTA_OK;
    size_t saved = cfg_enter(r, "fairness");
    for (const cJSON *e = f->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        rc = read_fairness_attr(r, e, &a[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (strcmp(a[j].column, a[i].column) == 0)
                rc = cfg_fail_key(r, "column", "\"%.80s\" is already /validation/fairness/%zu", a[i].column, j);
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc) return rc;
    v->fairness_default = 0;
    v->fairness = a;
    v->n_fairness = n;
    return CARTA_OK;
}
