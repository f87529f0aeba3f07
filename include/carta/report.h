/* carta/report.h: the model card. card.json is the canonical record of a run; card.md and
   card.html are renderings of card.json (parsed back), never of the run's memory, so that all
   three always say the same thing. The report stage reads results; it fits nothing. */
#ifndef CARTA_REPORT_H
#define CARTA_REPORT_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/cox.h>
#include <carta/gbm.h>
#include <carta/glmnet.h>
#include <carta/logistic.h>

typedef struct carta_card_strings {
    const char *const *v;
    size_t n;
} carta_card_strings;

typedef struct carta_card_file {
    const char *table, *path, *format, *sha256;
    size_t rows, cols;
} carta_card_file;

typedef struct carta_card_flow {
    const char *description;
    size_t n_remaining, n_excluded;
    const char *reason;
} carta_card_flow;

typedef struct carta_card_predictor {
    const char *name;       /* the feature as configured */
    const char *type;       /* "numeric", "categorical", "derived" */
    const char *source;     /* "adsl", "adlb:LDH (baseline)", "m_easix(LDH, CRP, PLAT)" */
    const char *transform;  /* "none", "log2", ... */
    const char *terms;      /* the design columns it became, joined by ", " */
    size_t n_missing, n_imputed;
} carta_card_predictor;

/* One performance figure: a metric on a slice of the data, with its confidence interval. */
typedef struct carta_card_metric {
    const char *name;       /* "auc", "brier", "calibration_slope", "c_harrell", ... */
    const char *slice;      /* "overall", "study=CART001", ... */
    double value, lower, upper; /* NaN limits when there is no interval */
    const char *ci_method;  /* "delong", "bootstrap", "infinitesimal jackknife", NULL */
    size_t n;
    double events;
} carta_card_metric;

/* One fitted model; exactly one result pointer is set. */
typedef struct carta_card_model {
    const char *name, *type;
    const char *spec_json;  /* the resolved spec: canonical JSON text of an object */
    const carta_cox_result *cox;
    const carta_logistic_result *logistic;
    const carta_glmnet_path *glmnet; /* elastic net at one lambda (the path's first) */
    const carta_gbm_model *gbm;
    const char *result_json;/* or: the result already written as canonical JSON (km, logrank, cif) */
    const char *validation_scheme; /* "none", "kfold", "leave_one_study_out", ... */
    const carta_card_metric *metrics;
    size_t n_metrics;
    const char *curves_json;/* aggregate curves of the validation (ROC, calibration by risk decile)
                               as canonical JSON, or NULL */
} carta_card_model;

typedef struct carta_card_input {
    const char *name, *description;
    const char *intended_use;
    carta_card_strings users, out_of_scope, limitations, tradeoffs, caveats, references;
    long small_count_threshold;          /* counts in [1, threshold) are written as "<threshold" */
    const char *outcome_type;            /* "binary", "survival", "competing" */
    const char *outcome_definition;      /* a sentence */
    const char *outcome_json;            /* the resolved outcome config (canonical JSON) */
    const char *harmonization_version;   /* NULL when the data were not harmonized */
    const char *harmonization_bound;
    const char *mapping_sha256, *units_sha256;
    const char *harmonization_json;      /* per-study report, canonical JSON array, or NULL */
    const carta_card_file *files;
    size_t n_files;
    const carta_card_flow *flow;
    size_t n_flow;
    size_t n_subjects;
    double n_events;
    const carta_card_predictor *predictors;
    size_t n_predictors;
    const char *const *design_issues;   /* "column sexM is constant", ... */
    size_t n_design_issues;
    const char *missing_strategy;
    size_t n_parameters;                 /* candidate parameters (design columns) */
    const carta_card_model *models;
    size_t n_models;
    const char *validation_json;         /* the resolved validation block */
    carta_card_strings fairness_attributes; /* attributes performance is sliced by ("SEX", ...) */
    unsigned long seed;
    const char *config_sha256;           /* of the config file's bytes */
    const char *resolved_config_json;    /* canonical resolved config */
    const char *resolved_config_sha256;
    const char *versions;                /* "name version" lines (carta_versions) */
} carta_card_input;

/* Writes card.json: canonical (keys in a fixed order, shortest round-trip numbers, null for
   undefined values), with card_sha256 = the SHA-256 of the same document written with an empty
   card_sha256. Nothing that changes between identical runs is in it. *out: carta_free. */
int carta_card_json(const carta_card_input *in, char **out, size_t *len, carta_error *err);

/* Renders card.json text as Markdown (card.md). *out: carta_free. CARTA_EDATA when the text is
   not a carta card. */
int carta_card_markdown(const char *card_json, char **out, carta_error *err);

/* Renders card.json text as one self-contained HTML page (card.html): inline CSS and SVG plots,
   no scripts and nothing fetched from elsewhere; reads well on screen and in print. *out:
   carta_free. CARTA_EDATA when the text is not a carta card. (src/report/card_html.c) */
int carta_card_html(const char *card_json, char **out, carta_error *err);

#endif
