/* Private to src/run: the baseline cumulative hazard saved beside an xgboost survival:cox model. */
#ifndef CARTA_RUN_GBM_BASELINE_H
#define CARTA_RUN_GBM_BASELINE_H

#include "internal.h"

/* For an xgboost model with objective survival:cox (given, or the default of a survival outcome),
   writes <model>.baseline.csv into dir: Breslow's baseline cumulative hazard at margin 0,
   estimated from the full-data fit's margins on the rows it was trained on (time, n_risk,
   n_event, cumhaz; carta/survpred.h). Does nothing (CARTA_OK) for any other model. Errors of
   the outcome, of xgboost (CARTA_EDEP), CARTA_ENOMEM, CARTA_EIO. */
int write_gbm_baseline(const carta_config *c, const analysis *a, const fitted_model *f, const char *dir,
                       carta_error *err);

#endif
