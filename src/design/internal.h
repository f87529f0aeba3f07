/* Private to src/design: the fitted design's layout and the helpers design.c, encode.c,
   impute.c and design_json.c share. */
#ifndef CARTA_DESIGN_INTERNAL_H
#define CARTA_DESIGN_INTERNAL_H

#include <carta/design.h>

/* The label of the pooled level. */
#define DESIGN_OTHER "other"
/* How many example rows an error message lists. */
#define DESIGN_EXAMPLES 5

/* One interaction: feature indices a < b (feature order) and its columns. */
typedef struct design_inter {
    size_t a, b;
    size_t first_term, n_terms;
} design_inter;

struct carta_design {
    carta_missing missing;
    int indicators;
    int intercept;
    size_t n_train, n_dropped;
    carta_design_feature *features;
    size_t n_features;
    design_inter *inter;
    size_t n_inter;
    char **terms;          /* p names */
    size_t p;
};

/* An empty design of n_features zeroed features and n_inter interactions; NULL on ENOMEM. */
carta_design *design_new(size_t n_features, size_t n_inter);

/* Frees the strings and arrays of one feature (not the struct itself). */
void design_feature_clear(carta_design_feature *f);

/* Lays the columns out (intercept, each feature's terms and its indicator, interactions), sets
   first_term / n_terms, and builds the term names. CARTA_EDATA when two terms share a name. */
int design_build_terms(carta_design *d, carta_error *err);

/* ---- encode.c ---- */

/* The level label of a numeric value from a column of type src (R's as.character): "FALSE" /
   "TRUE" for booleans, "YYYY-MM-DD" for dates, the shortest exact decimal otherwise. */
void design_level_label(carta_type src, double v, char *buf, size_t cap);

/* Parses a level written as a string back to the value of a numeric column of type src
   (inverse of design_level_label). 0 on success, -1 when s is not such a value. */
int design_level_parse(carta_type src, const char *s, double *v);

/* The term name of a numeric feature ("age", "log(bili)") into a new string; NULL on ENOMEM. */
char *design_numeric_term(const carta_design_feature *f);

/* Fits a categorical feature: levels (declared or sorted), pooling, reference, and (when mode is
   needed) the training mode, over rows[0..n) of column c. f->name, f->source are set. */
int design_fit_categorical(const carta_feature_spec *fs, const carta_column *c, const size_t *rows,
                           size_t n, carta_missing missing, carta_design_feature *f,
                           const char *source, carta_error *err);

/* Fills out[0..n) with the numeric feature's final values over rows: raw value, imputed or NaN
   when missing (per `missing`), clipped, transformed (with f->centre, f->scale for standardize).
   CARTA_EDATA for a non-finite value or log of a value <= 0 (with count and first rows).
   out may be NULL: the values are then only checked (fit does this to report bad rows early). */
int design_fill_numeric(const carta_design_feature *f, const carta_column *c, const size_t *rows,
                        size_t n, carta_missing missing, double *out, const char *source,
                        carta_error *err);

/* Fills the n_terms dummy columns (column-major, leading dimension n) of a categorical feature.
   CARTA_EDATA for an unseen level (naming it and its first row). */
int design_fill_categorical(const carta_design_feature *f, const carta_column *c, const size_t *rows,
                            size_t n, carta_missing missing, double *out, const char *source,
                            carta_error *err);

/* Fills the columns of interaction k from the main-effect columns already in data (n rows). */
void design_fill_interaction(const carta_design *d, size_t k, double *data, size_t n);

/* ---- impute.c ---- */

/* Selects the rows to use: all rows, or (CARTA_MISSING_OMIT) the rows where no feature column is
   missing. *rows (length *n_kept, ascending, owned by the caller: carta_free) and per-feature
   missing counts into n_missing[0..nf). CARTA_ENOMEM. */
int design_select_rows(const carta_column *const *cols, size_t nf, size_t n_input,
                       carta_missing missing, size_t **rows, size_t *n_kept, size_t *n_missing);

/* Number of rows among rows[0..n) where c is missing. */
size_t design_count_missing(const carta_column *c, const size_t *rows, size_t n);

/* The median of the non-missing raw values of c over rows (R's median: the mean of the two middle
   values for an even count), through GSL's quickselect. CARTA_EDATA when every value is missing. */
int design_median(const carta_column *c, const size_t *rows, size_t n, double *median,
                  const char *source, carta_error *err);

/* Mean and standard deviation (n - 1) of the non-NaN values x[0..n), two-pass with R's
   correction of the mean. CARTA_EDATA when fewer than two values or sd is 0 (names the column). */
int design_mean_sd(const double *x, size_t n, double *mean, double *sd, const char *name,
                   const char *source, carta_error *err);

/* Fills the indicator column: 1 where c is missing, else 0, over rows. */
void design_fill_indicator(const carta_column *c, const size_t *rows, size_t n, double *out);

#endif
