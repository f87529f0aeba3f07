/* carta/config.h: the experiment config, read strictly into typed C structs.

   One JSON file describes one experiment (data, cohort, outcome, features, models, validation,
   card, output). carta_config_load reads it and checks everything that can be checked without
   opening data: unknown keys, duplicate keys, wrong types, missing required keys, values out of
   range, model options that do not fit the outcome type, references to tables that are not
   declared. Every error is CARTA_ECONFIG with err->file = the config path as given and
   err->field = the JSON pointer of the offending value ("/models/1/ties"); a misspelt key or
   enumeration value names the nearest valid one ("did you mean \"efron\"?"). The JSON itself is
   read strictly (RFC 8259: no comments, trailing commas, single quotes or raw control characters
   in strings); invalid JSON gives err->line and err->col and says what was expected there.

   The parsed config is a transparent struct. Every string and array in it belongs to the config
   (an arena freed by carta_config_free): callers only read. cJSON never escapes src/config/.
   Every option is present after parsing with its default filled in; "unset" is NULL for strings
   and NaN for numbers whose default is "none" (e.g. km tau). The keys, types, defaults and
   ranges are documented in data-schemas/config.schema.json and in the config reference. */
#ifndef CARTA_CONFIG_H
#define CARTA_CONFIG_H

#include <stddef.h>
#include <carta/error.h>

/* ---- small containers (all owned by the config) ---- */

/* n strings; v[n] is NULL whenever v is not (so v can be passed where a NULL-terminated list is
   wanted). An empty list may have v NULL. */
typedef struct carta_cfg_strings {
    const char *const *v;
    size_t n;
} carta_cfg_strings;

typedef struct carta_cfg_numbers {
    const double *v;
    size_t n;
} carta_cfg_numbers;

/* ---- data ---- */

typedef enum carta_cfg_format {
    CARTA_CFG_FORMAT_AUTO = 0, /* only as written; never after parsing */
    CARTA_CFG_FORMAT_CSV,
    CARTA_CFG_FORMAT_XPT,
    CARTA_CFG_FORMAT_SAS7BDAT,
    CARTA_CFG_FORMAT_JSON,     /* CDISC Dataset-JSON */
    CARTA_CFG_FORMAT_NDJSON    /* CDISC Dataset-JSON, newline-delimited */
} carta_cfg_format;

typedef struct carta_cfg_table {
    const char *name;            /* the key under data.tables */
    const char *path;            /* as written in the config */
    const char *path_resolved;   /* relative paths joined to the config's folder */
    const char *schema;          /* as written, or NULL */
    const char *schema_resolved; /* or NULL */
    carta_cfg_format format;     /* resolved: "auto" becomes the format the extension names */
    char sep;                    /* CSV field separator (default ',') */
    carta_cfg_strings na;        /* CSV texts read as missing (default "", "NA") */
} carta_cfg_table;

typedef enum carta_cfg_bound {
    CARTA_CFG_BOUND_POINT = 0, CARTA_CFG_BOUND_MIN, CARTA_CFG_BOUND_MAX
} carta_cfg_bound;

typedef enum carta_cfg_units {
    CARTA_CFG_UNITS_CONVENTIONAL = 0, CARTA_CFG_UNITS_SI
} carta_cfg_units;

typedef struct carta_cfg_harmonize {
    int enabled;                 /* 1 when data.harmonize is present */
    const char *crs_scale;       /* target scale: "ASTCT" */
    carta_cfg_bound mapping_bound;
    carta_cfg_units units;
} carta_cfg_harmonize;

/* ---- outcome ---- */

typedef enum carta_cfg_outcome_type {
    CARTA_CFG_OUTCOME_BINARY = 0, CARTA_CFG_OUTCOME_SURVIVAL, CARTA_CFG_OUTCOME_COMPETING
} carta_cfg_outcome_type;

/* Expressions (event, cohort.where) are kept as text: the cohort stage parses them. */
typedef struct carta_cfg_outcome {
    carta_cfg_outcome_type type;
    const char *time;            /* survival, competing: the time (stop) column */
    const char *event;           /* binary, survival: an expression, or (binary) an event name */
    const char *start;           /* survival: start column of (start, stop] data, or NULL */
    const char *id;              /* subject id column, or NULL; required with start */
    const char *cause;           /* competing: column naming the event type */
    const char *censor;          /* competing: the value of `cause` that means censored */
    carta_cfg_strings causes;    /* competing: the allowed causes; empty = every value but censor */
    long grade_at_least;         /* binary: 0 = not set, else 1..5 */
    double within_days;          /* binary: NaN = not set, else > 0 */
    const char *table;           /* the table holding the outcome, or NULL */
    const char *paramcd;         /* selects rows of an ADTTE-like table (PARAMCD == value), or NULL */
} carta_cfg_outcome;

/* ---- features ---- */

typedef enum carta_cfg_feature_type {
    CARTA_CFG_FEATURE_NUMERIC = 0, CARTA_CFG_FEATURE_CATEGORICAL
} carta_cfg_feature_type;

typedef enum carta_cfg_transform {
    CARTA_CFG_TRANSFORM_NONE = 0, CARTA_CFG_TRANSFORM_LOG, CARTA_CFG_TRANSFORM_LOG2,
    CARTA_CFG_TRANSFORM_STANDARDIZE
} carta_cfg_transform;

typedef enum carta_cfg_derive {
    CARTA_CFG_DERIVE_NONE = 0, CARTA_CFG_DERIVE_EASIX, CARTA_CFG_DERIVE_M_EASIX,
    CARTA_CFG_DERIVE_S_EASIX, CARTA_CFG_DERIVE_CAR_HEMATOTOX, CARTA_CFG_DERIVE_DAYS_BETWEEN
} carta_cfg_derive;

typedef struct carta_cfg_feature {
    const char *name;
    carta_cfg_feature_type type; /* default numeric */
    const char *reference;       /* categorical: reference level, or NULL (first level) */
    carta_cfg_strings levels;    /* categorical: declared level order, or empty */
    const char *from;            /* table the column comes from, or NULL (the analysis table) */
    int baseline;                /* take the baseline record (ABLFL == "Y") of a long table */
    carta_cfg_transform transform;
    int has_clip;                /* clip to [clip[0], clip[1]] before transforming; */
    double clip[2];              /* clip[0] < clip[1]; -INFINITY / INFINITY for an open side */
    carta_cfg_derive derive;     /* a derived variable named `name`, or NONE */
    carta_cfg_strings args;      /* input columns; empty = the defaults (easix LDH, CREAT, PLAT;
                                    m_easix LDH, CRP, PLAT; s_easix LDH, PLAT; car_hematotox PLAT,
                                    ANC, HGB, CRP, FERRITIN); days_between needs [from, to] */
    long pool_rare;              /* categorical: levels with fewer rows pooled into "other"; 0 = off */
} carta_cfg_feature;

/* A two-way interaction between two features (named in /features), term "a:b". */
typedef struct carta_cfg_interaction {
    const char *a, *b;
} carta_cfg_interaction;

/* ---- missing values ---- */

typedef enum carta_cfg_missing_strategy {
    CARTA_CFG_MISSING_COMPLETE_CASE = 0, CARTA_CFG_MISSING_MEDIAN, CARTA_CFG_MISSING_NONE
} carta_cfg_missing_strategy;

typedef struct carta_cfg_missing {
    carta_cfg_missing_strategy strategy; /* default complete_case (R's na.omit) */
    int indicators;                      /* median only: add a 0/1 "was missing" column */
} carta_cfg_missing;

/* ---- models: one option struct per type, every field filled in ---- */

typedef enum carta_cfg_model_type {
    CARTA_CFG_MODEL_KM = 0, CARTA_CFG_MODEL_LOGRANK, CARTA_CFG_MODEL_CIF, CARTA_CFG_MODEL_COX,
    CARTA_CFG_MODEL_LOGISTIC, CARTA_CFG_MODEL_XGBOOST
} carta_cfg_model_type;

typedef enum carta_cfg_conf_type {
    CARTA_CFG_CONF_PLAIN = 0, CARTA_CFG_CONF_LOG, CARTA_CFG_CONF_LOGLOG, CARTA_CFG_CONF_LOGIT,
    CARTA_CFG_CONF_ARCSIN
} carta_cfg_conf_type;

typedef struct carta_km_config {
    carta_cfg_strings by;        /* grouping columns (default none) */
    const char *weights;         /* case-weight column, or NULL */
    carta_cfg_conf_type conf_type; /* default log (R survfit conf.type) */
    double conf_level;           /* default 0.95, in (0, 1) */
    carta_cfg_numbers probs;     /* quantiles reported; default 0.25, 0.5, 0.75; each in (0, 1), ascending */
    double tau;                  /* RMST horizon; NaN = the largest observed time over all groups */
    carta_cfg_numbers times;     /* extra times at which S(t) is reported; default none; >= 0 ascending */
    int ctype;                   /* cumulative hazard: 1 Nelson-Aalen (default), 2 Fleming-Harrington */
} carta_km_config;

typedef struct carta_logrank_config {
    carta_cfg_strings by;        /* groups compared; at least one column */
    carta_cfg_strings strata;    /* default none */
    double rho;                  /* G-rho family (survdiff rho); default 0 = log-rank; >= 0 */
} carta_logrank_config;

typedef struct carta_cif_config {
    carta_cfg_strings by;        /* default none; Gray's test when given */
    carta_cfg_conf_type conf_type; /* default log */
    double conf_level;           /* default 0.95 */
    carta_cfg_numbers times;     /* extra report times; default none */
} carta_cif_config;

typedef enum carta_cfg_ties {
    CARTA_CFG_TIES_EFRON = 0, CARTA_CFG_TIES_BRESLOW, CARTA_CFG_TIES_EXACT
} carta_cfg_ties;

/* Residual kinds, as bits of carta_cox_config.residuals. */
enum {
    CARTA_CFG_RESID_MARTINGALE = 1 << 0,
    CARTA_CFG_RESID_DEVIANCE   = 1 << 1,
    CARTA_CFG_RESID_SCORE      = 1 << 2,
    CARTA_CFG_RESID_SCHOENFELD = 1 << 3,
    CARTA_CFG_RESID_DFBETA     = 1 << 4
};

typedef enum carta_cfg_zph_transform {
    CARTA_CFG_ZPH_KM = 0, CARTA_CFG_ZPH_RANK, CARTA_CFG_ZPH_IDENTITY, CARTA_CFG_ZPH_LOG,
    CARTA_CFG_ZPH_NONE            /* no proportional-hazards test */
} carta_cfg_zph_transform;

/* One value of a newdata row: a column name and a number or a string. */
typedef struct carta_cfg_value {
    const char *column;
    int is_string;
    double num;
    const char *str;
} carta_cfg_value;

typedef struct carta_cfg_row {
    const carta_cfg_value *v;
    size_t n;                    /* values in config order */
} carta_cfg_row;

/* How the elastic-net penalty of a cox or logistic model is set. */
typedef enum carta_cfg_lambda_rule {
    CARTA_CFG_LAMBDA_FIXED = 0,  /* the number in `lambda` (NaN = no penalty: plain maximum likelihood) */
    CARTA_CFG_LAMBDA_CV_MIN,     /* "cv_min": cross-validated, cv.glmnet's lambda.min */
    CARTA_CFG_LAMBDA_CV_1SE      /* "cv_1se": cross-validated, cv.glmnet's lambda.1se */
} carta_cfg_lambda_rule;

/* The inner cross-validation that chooses lambda (only with a cv_* rule). */
typedef struct carta_cfg_lambda_cv {
    long folds;                  /* >= 3 (as cv.glmnet); default 10 */
    long nlambda;                /* length of the lambda path; default 100 */
    double lambda_min_ratio;     /* smallest / largest lambda; NaN = glmnet's default */
} carta_cfg_lambda_cv;

typedef struct carta_cox_config {
    carta_cfg_ties ties;         /* default efron (R coxph); breslow when penalized */
    double lambda;               /* elastic-net penalty; NaN = none (or chosen by lambda_rule) */
    double alpha;                /* elastic-net mixing, 1 = lasso, 0 = ridge; default 1 */
    carta_cfg_lambda_rule lambda_rule; /* default fixed */
    carta_cfg_lambda_cv lambda_cv;     /* filled in with a cv_* rule */
    carta_cfg_strings strata;    /* default none */
    const char *weights;         /* column, or NULL */
    const char *cluster;         /* column, or NULL; implies robust variance */
    const char *offset;          /* column (numeric, finite) added to the linear predictor, or NULL */
    int robust;                  /* default 0 (1 when cluster is given, as in R) */
    double eps;                  /* convergence: relative change of the log partial likelihood;
                                    default 1e-12 (carta's; R's coxph.control uses 1e-9) */
    double step_tol;             /* ... and max |step_j| / (1 + |beta_j|) of the last step; default 1e-7 */
    double toler_chol;           /* singularity tolerance; default .Machine$double.eps^0.75 (R) */
    double toler_inf;            /* infinite-coefficient detection (R's toler.inf is 1e-5); default 1e-5 */
    long max_iter;               /* default 20 (R coxph.control iter.max) */
    double conf_level;           /* for hr_lower/hr_upper; default 0.95 */
    carta_cfg_zph_transform zph_transform; /* default km (R cox.zph) */
    unsigned residuals;          /* CARTA_CFG_RESID_* bits; default 0 */
    const carta_cfg_row *newdata;/* predicted curves for these covariate rows; default none */
    size_t n_newdata;
} carta_cox_config;

typedef struct carta_logistic_config {
    int firth;                   /* Firth's penalised likelihood; default 0 */
    double lambda;               /* elastic-net penalty; NaN = none (plain maximum likelihood) */
    double alpha;                /* elastic-net mixing, 1 = lasso, 0 = ridge; default 1; used with lambda */
    carta_cfg_lambda_rule lambda_rule; /* default fixed; cv_* = lambda chosen by cross-validation (lambda NaN) */
    carta_cfg_lambda_cv lambda_cv;     /* filled in with a cv_* rule */
    const char *weights;         /* column, or NULL */
    const char *offset;          /* column (numeric, finite) added to the linear predictor, or NULL */
    double eps;                  /* converged when every |step| <= eps * (|beta| + 1); default 1e-10 */
    long max_iter;               /* default 25 (R glm.control maxit, logistf maxit) */
    long max_halving;            /* step-halvings per iteration; default 30 */
    double conf_level;           /* default 0.95 */
} carta_logistic_config;

typedef enum carta_cfg_xgb_kind {
    CARTA_CFG_XGB_NUMBER = 0, CARTA_CFG_XGB_INT, CARTA_CFG_XGB_STRING, CARTA_CFG_XGB_BOOL
} carta_cfg_xgb_kind;

/* One xgboost parameter, checked against carta's allow-list; text is what to hand to
   XGBoosterSetParam (numbers in shortest round-trip form, booleans as 1/0). */
typedef struct carta_cfg_xgb_param {
    const char *key;
    carta_cfg_xgb_kind kind;
    double num;                  /* NUMBER, INT, BOOL */
    const char *text;
} carta_cfg_xgb_param;

typedef struct carta_xgboost_config {
    const carta_cfg_xgb_param *params; /* given keys plus defaults in scope, sorted by key */
    size_t n_params;
    long rounds;                 /* boosting rounds; default 100 */
    long early_stopping_rounds;  /* 0 = off */
    double early_stopping_fraction; /* inner held-out share of training rows; default 0.2 */
    int shap;                    /* SHAP contributions on the training rows; default 0 */
} carta_xgboost_config;

/* Returns the parameter named key, or NULL. */
const carta_cfg_xgb_param *carta_xgboost_config_param(const carta_xgboost_config *x, const char *key);

typedef struct carta_cfg_model {
    const char *name;            /* unique; letters, digits, '_', '-', '.' */
    carta_cfg_model_type type;
    /* Only the member for `type` is filled in. */
    carta_km_config km;
    carta_logrank_config logrank;
    carta_cif_config cif;
    carta_cox_config cox;
    carta_logistic_config logistic;
    carta_xgboost_config xgboost;
} carta_cfg_model;

/* ---- validation, card, output ---- */

typedef enum carta_cfg_scheme {
    CARTA_CFG_SCHEME_NONE = 0, CARTA_CFG_SCHEME_KFOLD, CARTA_CFG_SCHEME_REPEATED_KFOLD,
    CARTA_CFG_SCHEME_GROUPED_KFOLD, CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT,
    CARTA_CFG_SCHEME_HOLDOUT, CARTA_CFG_SCHEME_BOOTSTRAP
} carta_cfg_scheme;

typedef struct carta_cfg_validation {
    carta_cfg_scheme scheme;     /* default none */
    long folds;                  /* k-fold schemes: >= 2, default 5; else 0 */
    long repeats;                /* repeated_kfold: >= 1, default 10; else 0 */
    const char *group;           /* grouped_kfold (required), leave_one_study_out (default STUDYID); else NULL */
    long bootstrap;              /* resamples: metric CIs, or the bootstrap scheme (default 200) */
    double holdout;              /* holdout: test share in (0, 1), default 0.25; else NaN */
    int stratify;                /* kfold, repeated_kfold, holdout: splits keep the event rate; default 1; else 0 */
    double conf_level;           /* metric CIs; default 0.95 */
    /* Attributes the card's fairness section slices performance by. fairness_default = 1 when
       validation.fairness is absent or null: SEX, PRODUCT and AGE (cut at 65), each only when the
       analysis table has it. Otherwise the listed ones (possibly none); a listed column missing
       from the analysis table is an error. */
    int fairness_default;
    const struct carta_cfg_fairness_attr *fairness;
    size_t n_fairness;           /* at most CARTA_CFG_MAX_FAIRNESS */
} carta_cfg_validation;

#define CARTA_CFG_MAX_FAIRNESS 16

/* One fairness attribute: a text column (slices = its levels, or the listed ones in that order)
   or a numeric column cut into intervals [-inf, c1), [c1, c2), ..., [ck, inf). */
typedef struct carta_cfg_fairness_attr {
    const char *column;
    carta_cfg_numbers cuts;      /* numeric column: strictly ascending cut points (>= 1); else empty */
    carta_cfg_strings levels;    /* text column: levels reported; empty = every level */
} carta_cfg_fairness_attr;

typedef struct carta_cfg_card {
    const char *intended_use;    /* or NULL */
    carta_cfg_strings users;
    carta_cfg_strings out_of_scope;
    carta_cfg_strings limitations;
    carta_cfg_strings tradeoffs;
    carta_cfg_strings caveats;
    carta_cfg_strings references;
    long small_count_threshold;  /* counts below it are suppressed in the card; default 5; 0 = off */
} carta_cfg_card;

typedef struct carta_config {
    const char *file;            /* the config's name in messages: the path as given (load) or shown (parse) */
    const char *base_dir;        /* folder relative paths resolve from */
    const char *name;            /* required; letters, digits, '_', '-', '.' */
    const char *description;     /* or NULL */
    unsigned long seed;          /* default 1; 0 .. 4294967295 */
    const carta_cfg_table *tables; /* in config order; at least one */
    size_t n_tables;
    carta_cfg_harmonize harmonize;
    const char *where;           /* cohort.where expression, or NULL */
    carta_cfg_outcome outcome;
    const carta_cfg_feature *features;
    size_t n_features;
    const carta_cfg_interaction *interactions;
    size_t n_interactions;
    carta_cfg_missing missing;
    const carta_cfg_model *models; /* at least one */
    size_t n_models;
    carta_cfg_validation validation;
    carta_cfg_card card;
    const char *output;          /* as written; default "models/<name>" */
    const char *output_resolved;
    void *arena_;                /* private: owns everything above */
} carta_config;

/* Reads the config file at path, parses and checks it; relative paths inside resolve from
   path's folder. On success *out is a new config (carta_config_free). Errors: CARTA_EIO when
   the file cannot be read; CARTA_ECONFIG for invalid JSON (err->line, err->col) or any invalid
   content (err->field = JSON pointer); CARTA_ENOMEM. *out is set only on success. */
int carta_config_load(const char *path, carta_config **out, carta_error *err);

/* Parses config text (len bytes, no NUL needed). shown is the name used in messages (e.g. the
   path as the user gave it; NULL = "config"); base_dir is the folder relative paths resolve from
   (NULL or "" = the current folder). Same errors as carta_config_load, without CARTA_EIO. */
int carta_config_parse(const char *text, size_t len, const char *shown, const char *base_dir,
                       carta_config **out, carta_error *err);

/* Frees a config and everything it owns; NULL is a no-op. */
void carta_config_free(carta_config *c);

/* Writes the resolved config as canonical compact JSON: every key in a fixed order, every
   default filled in, numbers as the shortest text that reads back to the same double, paths as
   written (never resolved). Parsing the result again (from the same folder) gives the same
   resolved config, byte for byte. *out is newly allocated (carta_free). CARTA_ENOMEM. */
int carta_config_resolved_json(const carta_config *c, char **out, carta_error *err);

/* The config's spelling of enumeration values (e.g. "log-log", "efron", "kfold"); never NULL. */
const char *carta_cfg_format_name(carta_cfg_format f);
const char *carta_cfg_model_type_name(carta_cfg_model_type t);
const char *carta_cfg_outcome_type_name(carta_cfg_outcome_type t);
const char *carta_cfg_conf_type_name(carta_cfg_conf_type t);
const char *carta_cfg_ties_name(carta_cfg_ties t);
const char *carta_cfg_scheme_name(carta_cfg_scheme s);
const char *carta_cfg_transform_name(carta_cfg_transform t);
const char *carta_cfg_derive_name(carta_cfg_derive d);
const char *carta_cfg_lambda_rule_name(carta_cfg_lambda_rule r); /* "fixed", "cv_min", "cv_1se" */

#endif
