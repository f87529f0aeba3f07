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
#include <carta/table.h>

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
    const char *glmnet_cv_json; /* with glmnet: how cross-validation chose lambda (canonical JSON
                               object, written as result.cv), or NULL for a fixed lambda */
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
    const char *studies_json;            /* data.studies: carta_card_studies_json's text, or NULL ([]) */
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

/* What the per-study table of the card is made from (carta_card_studies_json). */
typedef struct carta_card_studies_spec {
    const carta_table *table;   /* the analysis table: one row per subject, with STUDYID */
    const size_t *rows;         /* the analysed rows of table (NULL: all of them) */
    size_t n_rows;              /* how many rows lists (ignored when rows is NULL) */
    const double *events;       /* per analysed row (in the order of rows): > 0 an event; NULL: none */
    const carta_table *registry;/* the study registry (STUDYID, PRODUCT, COSTIM, DISEASE, CRSSCALE), or NULL */
    const char *const *variables; /* columns for the compact Table 1 (the features), besides AGE and SEX */
    size_t n_variables;
    long threshold;             /* small-count threshold of the card */
} carta_card_studies_spec;

/* data.studies as compact canonical JSON text: an array with one object per study of the
   analysed rows (STUDYID byte order) {studyid, product, costim, disease, crs_scale_reported,
   n, events, table1: [{variable, type: "numeric", n, missing, median, q1, q3} |
   {variable, type: "categorical", missing, levels: [{level, n, percent}]}]}. Registry facts
   come from the registry's row of the study, else (product, costim, disease) from the
   analysis table's column of that name (its distinct values in the study, joined by ", "),
   else null. Counts in [1, threshold) are "<threshold"; percentages of suppressed counts and
   the median/quartiles of fewer than threshold values are null. Categorical columns with more
   than 10 levels and date columns are left out. An empty array when the table has no text
   STUDYID column. *out: carta_free. CARTA_ENOMEM. (src/report/studies.c) */
int carta_card_studies_json(const carta_card_studies_spec *spec, char **out, carta_error *err);

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

/* One plot of the card as a standalone SVG file. */
typedef struct carta_card_plot {
    char *name;     /* file name, "<model>_<kind>.svg" (model name with characters other than
                       letters, digits, '-', '_' and '.' replaced by '_'; a repeat gets "_2"...) */
    char *svg;      /* a complete SVG document: XML declaration and <svg xmlns=...>; the <svg>
                       element is byte for byte the one card.html inlines, plus the xmlns */
    char *model;    /* the model's name as the card writes it (NULL: a plot of the whole card) */
    char *caption;  /* the figure's caption in card.html, as plain text */
} carta_card_plot;

/* Every plot card.html draws (same drawing code, same order), as standalone SVG documents.
   Kinds: km, cif_<cause>, hr_forest, predicted_survival, importance_gain, importance_shap,
   roc, calibration, calibration_horizon, decision_curve, slices_<metric>. *plots (carta_card_plots_free)
   may be NULL with *n = 0 when the card has no plot. CARTA_EDATA when the text is not a
   carta card, CARTA_ENOMEM. (src/report/card_html.c) */
int carta_card_plots(const char *card_json, carta_card_plot **plots, size_t *n, carta_error *err);
void carta_card_plots_free(carta_card_plot *plots, size_t n);

/* Writes each plot into dir/plots/<name> (the folder is created; files all or nothing each,
   replacing existing ones). CARTA_EIO, CARTA_ENOMEM. (src/report/card_html.c) */
int carta_card_plots_write(const carta_card_plot *plots, size_t n, const char *dir, carta_error *err);

#endif
