/* The config's spelling of every enumeration value, indexed by the enum value. */
#include "config_int.h"

const char *const cfg_format_names[] = { "auto", "csv", "xpt", "sas7bdat", "json", "ndjson", NULL };
const char *const cfg_bound_names[] = { "point", "min", "max", NULL };
const char *const cfg_units_names[] = { "conventional", "si", NULL };
const char *const cfg_outcome_names[] = { "binary", "survival", "competing", NULL };
const char *const cfg_feature_type_names[] = { "numeric", "categorical", NULL };
const char *const cfg_transform_names[] = { "none", "log", "log2", "standardize", NULL };
const char *const cfg_derive_names[] = { "none", "easix", "m_easix", "s_easix", "car_hematotox",
                                         "days_between", NULL };
const char *const cfg_missing_names[] = { "complete_case", "median", "none", NULL };
const char *const cfg_model_names[] = { "km", "logrank", "cif", "cox", "logistic", "xgboost", NULL };
const char *const cfg_conf_names[] = { "plain", "log", "log-log", "logit", "arcsin", NULL };
const char *const cfg_ties_names[] = { "efron", "breslow", "exact", NULL };
const char *const cfg_zph_names[] = { "km", "rank", "identity", "log", "none", NULL };
/* Bit i of carta_cox_config.residuals is cfg_resid_names[i]. */
const char *const cfg_resid_names[] = { "martingale", "deviance", "score", "schoenfeld", "dfbeta", NULL };
const char *const cfg_scheme_names[] = { "none", "kfold", "repeated_kfold", "grouped_kfold",
                                         "leave_one_study_out", "holdout", "bootstrap", NULL };
const char *const cfg_lambda_rule_names[] = { "fixed", "cv_min", "cv_1se", NULL };

/* Index into a table, guarding against values outside the enum. */
static const char *pick(const char *const *names, size_t n, int i)
{
    return i >= 0 && (size_t)i < n ? names[i] : "?";
}

#define N(a) (sizeof a / sizeof a[0] - 1)
const char *carta_cfg_format_name(carta_cfg_format f) { return pick(cfg_format_names, N(cfg_format_names), (int)f); }
const char *carta_cfg_model_type_name(carta_cfg_model_type t) { return pick(cfg_model_names, N(cfg_model_names), (int)t); }
const char *carta_cfg_outcome_type_name(carta_cfg_outcome_type t) { return pick(cfg_outcome_names, N(cfg_outcome_names), (int)t); }
const char *carta_cfg_conf_type_name(carta_cfg_conf_type t) { return pick(cfg_conf_names, N(cfg_conf_names), (int)t); }
const char *carta_cfg_ties_name(carta_cfg_ties t) { return pick(cfg_ties_names, N(cfg_ties_names), (int)t); }
const char *carta_cfg_scheme_name(carta_cfg_scheme s) { return pick(cfg_scheme_names, N(cfg_scheme_names), (int)s); }
const char *carta_cfg_transform_name(carta_cfg_transform t) { return pick(cfg_transform_names, N(cfg_transform_names), (int)t); }
const char *carta_cfg_derive_name(carta_cfg_derive d) { return pick(cfg_derive_names, N(cfg_derive_names), (int)d); }
const char *carta_cfg_lambda_rule_name(carta_cfg_lambda_rule r) { return pick(cfg_lambda_rule_names, N(cfg_lambda_rule_names), (int)r); }
