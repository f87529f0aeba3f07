/* The baseline cumulative hazard of an xgboost survival:cox model, written at `carta run` so that
 * `carta predict` can give S(t | x) = exp(-H0(t) exp(margin(x))) (xgboost itself predicts only the
 * relative hazard exp(margin)). H0 is Breslow's estimator with the full-data fit's margins as a
 * fixed offset (src/fit/survpred.c), over the same rows and outcome the model was trained on:
 * the analysis design's rows, times and event indicators. Breslow's form matches the partial
 * likelihood xgboost's survival:cox objective maximises (Breslow's handling of ties). */
#include "gbm_baseline.h"

#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/gbm.h>
#include <carta/survpred.h>

#include <stdio.h>
#include <string.h>

/* The objective fit_once gives the model (models.c): the given one, else Cox for a survival outcome. */
static int is_gbm_cox(const carta_config *c, const carta_cfg_model *m)
{
    if (m->type != CARTA_CFG_MODEL_XGBOOST) return 0;
    const carta_cfg_xgb_param *o = carta_xgboost_config_param(&m->xgboost, "objective");
    if (o && o->text) return strcmp(o->text, "survival:cox") == 0;
    return c->outcome.type != CARTA_CFG_OUTCOME_BINARY;
}

int write_gbm_baseline(const carta_config *c, const analysis *a, const fitted_model *f, const char *dir,
                       carta_error *err)
{
    if (!f->gbm || !a->dm || !is_gbm_cox(c, f->cfg)) return CARTA_OK;
    carta_outcome *y_all = NULL, *y = NULL;
    carta_survpred_baseline *b = NULL;
    double *margin = NULL;
    char *path = NULL, name[300];
    size_t n = a->dm->x.n;
    int rc;
    if ((rc = outcome_for_model(c, a, f->cfg, a->table, &y_all, err)) ||
        (rc = carta_outcome_subset(y_all, a->dm->rows, n, &y, err)))
        goto done;
    if (!y->time || !y->status) goto done; /* not a survival outcome: nothing to estimate */
    if (!(margin = carta_malloc((n ? n : 1) * sizeof *margin))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    if ((rc = carta_gbm_predict(f->gbm, &a->dm->x, 1, margin, err)) ||
        (rc = carta_survpred_breslow(y->time, y->status, margin, n, CARTA_SURVPRED_BRESLOW, &b, err)))
        goto done;
    snprintf(name, sizeof name, "%s.baseline.csv", f->cfg->name);
    if (!(path = carta_path_resolve(dir, name))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    carta_out out;
    if ((rc = carta_out_open(&out, path, 1, err))) goto done;
    if ((rc = carta_survpred_write_csv(b, out.fp, err))) {
        carta_out_abort(&out);
        goto done;
    }
    rc = carta_out_commit(&out, err);
done:
    if (rc) carta_error_prefix(err, "model %s: baseline hazard: ", f->cfg->name);
    carta_free(path);
    carta_free(margin);
    carta_survpred_baseline_free(b);
    carta_outcome_free(y);
    carta_outcome_free(y_all);
    return rc;
}
