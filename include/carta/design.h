/* carta/design.h: the feature matrix. A design spec (filled by the config stage) is fitted on a
   training table into a carta_design: every feature's type, levels, reference, pooled levels,
   transform, clip bounds, centre and scale, imputation value and indicator, and the interactions.
   The fitted design is a value: it serialises to JSON and re-applies to any table with the same
   columns, giving a bitwise-identical matrix on the training table (so that `carta predict` scores
   new patients exactly as the training run did).

   Typical use:
       carta_design *d;  carta_design_matrix *m;
       carta_design_fit(&spec, train, &d, &err);
       carta_design_apply(d, train, &m, &err);   // m->x is the carta_matrix the estimators take;
                                                 // m->rows subsets the outcome the same way
       carta_design_check(&m->x, NULL, &report, &err);  // constant / collinear columns, by name

   Term names follow R's model.matrix (verified against it in tests/reference/design/):
   numeric `age`, transformed `log(bili)`, `log2(LDH)`, `standardize(age)`; treatment-contrast
   dummies column + level with no separator (`sexM`, `TRTAXanomeline High Dose`); pooled levels
   `<name>other`; missing indicators `<name>_missing`; interactions `a:b` with the factor listed
   first in the features varying fastest (`fb:gv`, `fc:gv`, `fb:gw`, ...), as R orders them. */
#ifndef CARTA_DESIGN_H
#define CARTA_DESIGN_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/matrix.h>
#include <carta/table.h>

/* ---- The spec (plain C, filled by the config stage; every pointer is borrowed) ---------------- */

typedef enum carta_feature_type {
    CARTA_FEATURE_AUTO = 0,    /* categorical for a string or boolean column (as R treats
                                  character and logical), numeric otherwise */
    CARTA_FEATURE_NUMERIC,     /* any non-string column (number, integer, boolean, date) */
    CARTA_FEATURE_CATEGORICAL  /* a string column, or a numeric column whose values are levels */
} carta_feature_type;

typedef enum carta_transform {
    CARTA_TRANSFORM_NONE = 0,
    CARTA_TRANSFORM_LOG,         /* natural log; term `log(name)`; values must be > 0 */
    CARTA_TRANSFORM_LOG2,        /* base-2 log; term `log2(name)`; values must be > 0 */
    CARTA_TRANSFORM_STANDARDIZE  /* (x - mean) / sd over the training rows used (sd with n - 1);
                                    term `standardize(name)` */
} carta_transform;

typedef enum carta_missing {
    CARTA_MISSING_OMIT = 0, /* complete case (R's na.omit): drop rows with any missing feature */
    CARTA_MISSING_MEDIAN,   /* numeric: training median; categorical: training mode */
    CARTA_MISSING_NAN       /* "none": keep the row; its numeric value and its dummies are NaN
                               (for xgboost) */
} carta_missing;

/* One feature. A zero-initialised struct with a name is a valid numeric/auto feature. */
typedef struct carta_feature_spec {
    const char *name;             /* column name in the analysis table (required) */
    carta_feature_type type;
    /* Numeric features only. */
    carta_transform transform;
    int clip;                     /* nonzero: clamp the raw value to [clip_lo, clip_hi] before the
                                     transform (use -INFINITY / INFINITY for one side); clipping
                                     does not change the term name */
    double clip_lo, clip_hi;
    /* Categorical features only. */
    const char *reference;        /* reference level (as a string: "1", "F"); NULL = the first level */
    const char *const *levels;    /* declared level order; NULL = sorted (numbers ascending,
                                     strings in byte order). Every training value must be in it. */
    size_t n_levels;
    size_t pool_min_count;        /* levels seen in fewer training rows are pooled into "other" */
    double pool_min_fraction;     /* ... or in a smaller fraction of non-missing training rows;
                                     0 and 0 = no pooling. The reference level is never pooled. */
} carta_feature_spec;

/* A two-way interaction between two features named in the spec (either order: the term is named
   in feature order, as R does). */
typedef struct carta_interaction_spec {
    const char *a, *b;
} carta_interaction_spec;

typedef struct carta_design_spec {
    const carta_feature_spec *features;
    size_t n_features;
    carta_missing missing;        /* default CARTA_MISSING_OMIT */
    int indicators;               /* with MEDIAN: add `<name>_missing` (1 = was missing) after the
                                     feature's columns, for each feature with a missing value in
                                     the training data */
    int intercept;                /* nonzero: column 0 is "(Intercept)", all ones (logistic) */
    const carta_interaction_spec *interactions;
    size_t n_interactions;
} carta_design_spec;

/* Fills defaults: everything zero, clip bounds -INFINITY / INFINITY. */
void carta_feature_spec_default(carta_feature_spec *f);
void carta_design_spec_default(carta_design_spec *s);

/* Checks a spec before any data is read: a name on every feature, no duplicate feature, options
   that fit the type (no transform on a categorical, no levels on a numeric), clip_lo <= clip_hi,
   0 <= pool_min_fraction < 1, no duplicate declared level, the reference among the declared
   levels, interactions between two different listed features and none twice. CARTA_ECONFIG with
   field set to a JSON pointer "/features/<i>/<key>" or "/interactions/<k>" (the config stage
   prefixes its own path). */
int carta_design_spec_check(const carta_design_spec *spec, carta_error *err);

/* ---- The fitted design ------------------------------------------------------------------------ */

typedef struct carta_design carta_design; /* opaque; read through the accessors below */

/* One fitted feature, read-only (owned by the design). For categorical features `levels` holds the
   kept levels in order, then "other" when any level was pooled; `pooled` the original levels
   that went into "other". */
typedef struct carta_design_feature {
    const char *name;
    int categorical;              /* 0 numeric, 1 categorical */
    carta_type source;            /* column type at fit time */
    carta_transform transform;
    int clip;
    double clip_lo, clip_hi;
    double centre, scale;         /* STANDARDIZE only; else 0 and 1 */
    double impute;                /* MEDIAN, numeric: the training median of the raw values */
    size_t impute_level;          /* MEDIAN, categorical: index into levels (the training mode) */
    int indicator;                /* 1 when a `<name>_missing` column follows the feature */
    char **levels;                /* categorical: final level labels */
    double *values;               /* categorical with a numeric source: the value of each kept
                                     level (NULL for a string source); "other" has none */
    size_t n_levels;
    size_t reference;             /* index into levels */
    char **pooled;                /* labels pooled into "other" */
    double *pooled_values;        /* their values (numeric source), else NULL */
    size_t n_pooled;
    size_t first_term, n_terms;   /* the feature's columns (excluding its indicator) */
    size_t n_missing;             /* rows of the training table with a missing value */
    size_t n_imputed;             /* training rows whose value was imputed */
} carta_design_feature;

/* Fits the design on the training table: resolves columns and types, applies complete-case
   selection (with CARTA_MISSING_OMIT), and computes levels, reference, pooling, mode, median,
   centre and scale over the training rows used. Both arguments are borrowed; *out owns copies
   of everything it needs (free with carta_design_free) and is set only on success.
   Errors: CARTA_ECONFIG (spec, see carta_design_spec_check); CARTA_EDATA naming the column: a
   missing column, a string column declared numeric, a non-finite value, log of a value <= 0 (with
   the count and the first rows), a level not among the declared levels, a reference level not
   present, fewer than two levels, a standard deviation of 0, no complete rows, two terms with
   the same name; CARTA_ENOMEM. The fit builds no matrix: carta_design_apply does. */
int carta_design_fit(const carta_design_spec *spec, const carta_table *train, carta_design **out,
                     carta_error *err);

/* Frees a design; NULL is a no-op. */
void carta_design_free(carta_design *d);

/* Number of columns of the matrix the design produces, and the name of column j (< p). */
size_t carta_design_p(const carta_design *d);
const char *carta_design_term(const carta_design *d, size_t j);
/* Fitted features (i < n) and the training summary: rows in the training table, rows dropped
   by complete-case selection. */
size_t carta_design_nfeatures(const carta_design *d);
const carta_design_feature *carta_design_feature_at(const carta_design *d, size_t i);
carta_missing carta_design_missing(const carta_design *d);
size_t carta_design_ntrain(const carta_design *d);
size_t carta_design_ndropped(const carta_design *d);
/* Interactions (k < n): the two feature indices, in feature order. */
size_t carta_design_ninteractions(const carta_design *d);
void carta_design_interaction(const carta_design *d, size_t k, size_t *a, size_t *b);

/* ---- Applying it ------------------------------------------------------------------------------ */

/* The matrix a design produces for one table. Everything is owned by the struct. */
typedef struct carta_design_matrix {
    carta_matrix x;       /* n x p view of data and names (n = rows kept), for the estimators */
    double *data;         /* column-major n x p */
    char **names;         /* p term names (copies) */
    size_t n_input;       /* rows of the input table */
    size_t *rows;         /* rows[i] = 0-based input row of matrix row i (ascending); subset the
                             outcome with it */
    size_t n_dropped;     /* n_input - n (complete case) */
    size_t n_features;
    size_t *n_missing;    /* per feature: input rows with a missing value */
    size_t *n_imputed;    /* per feature: rows whose value was imputed */
} carta_design_matrix;

/* Builds the design matrix of table t (borrowed) with the fitted design d (borrowed). Row i of
   the result is input row rows[i]. The n x p array is allocated once (size overflow-checked);
   working memory is O(n) besides it. Applying a design to the table it was fitted on gives the
   training matrix; the same design (also after a JSON round trip) always gives the same bytes.
   Errors: CARTA_EDATA naming the feature: a missing column, a column whose type does not fit
   (string vs number), a level not seen in training ("unseen level"), non-finite values, log of
   a value <= 0, no complete rows; CARTA_ENOMEM. *out is set only on success. */
int carta_design_apply(const carta_design *d, const carta_table *t, carta_design_matrix **out,
                       carta_error *err);

/* Frees a design matrix; NULL is a no-op. */
void carta_design_matrix_free(carta_design_matrix *m);

/* Converts a column-major matrix into a newly allocated row-major float array (n * p, NaN kept:
   pass missing = NAN to XGDMatrixCreateFromMat). Free with carta_free. CARTA_ENOMEM. */
int carta_design_row_major_f32(const carta_matrix *x, float **out, carta_error *err);

/* ---- Serialisation (design_json.c) ------------------------------------------------------------ */

/* Writes the fitted design as JSON (format "carta-design", version 1; see the documentation).
   Numbers are the shortest text that reads back to the same double. *out is a NUL-terminated
   string owned by the caller (carta_free). CARTA_ENOMEM. */
int carta_design_to_json(const carta_design *d, char **out, carta_error *err);

/* Reads a design written by carta_design_to_json from text[0..len). shown names the source in
   messages (e.g. "model/design.json"). Every key is checked; errors are CARTA_EDATA with a JSON
   pointer (or line:column for syntax errors). *out set only on success; free with
   carta_design_free. */
int carta_design_from_json(const char *text, size_t len, const char *shown, carta_design **out,
                           carta_error *err);

/* ---- Constant and collinear columns (collinear.c) --------------------------------------------- */

typedef struct carta_design_check_spec {
    double tol;   /* a column is collinear when the norm of its residual, after centring and
                     scaling to unit norm and projecting on the earlier independent columns, is
                     <= tol. Default 1e-7 (the tolerance of R's lm.fit / dqrdc2). */
    int fail;     /* nonzero: any constant or collinear column is an error (CARTA_ENUMERIC) */
} carta_design_check_spec;

typedef struct carta_design_issue {
    int constant;       /* 1: column is constant; 0: collinear with `with` */
    size_t column;      /* column index in the matrix */
    size_t *with;       /* collinear: the earlier independent columns it depends on */
    size_t n_with;
    char *message;      /* "column sexM is constant", "column x3 is collinear with x1, x2" */
} carta_design_issue;

typedef struct carta_design_check_result {
    size_t p;             /* columns checked */
    size_t rank;          /* number of independent non-constant columns (an "(Intercept)" column
                             is skipped and not counted) */
    size_t n_rows_used;   /* rows without NaN, on which the check was made */
    carta_design_issue *issues;   /* constant columns, then collinear ones, in column order */
    size_t n_issues;
} carta_design_check_result;

void carta_design_check_spec_default(carta_design_check_spec *spec);

/* Finds constant columns (all non-NaN values equal) and columns collinear with earlier ones, as
   R's lm would find them: in column order, an earlier column is kept and a later one reported.
   Rows holding a NaN are left out of the collinearity check. Collinearity is judged after
   removing column means (in the presence of an intercept or a Cox baseline hazard). spec may be
   NULL (defaults). The matrix is borrowed; working memory is (4096 + 3p) p doubles and n bytes
   (blocked Householder QR with LAPACKE_dgeqrf, no copy of the matrix); time O(n p^2). A column
   named "(Intercept)" is skipped. *out is set on success (also when
   issues are found and spec->fail is 0); free with carta_design_check_free. Errors: CARTA_ENUMERIC
   when spec->fail and an issue was found (the message names the first and the count),
   CARTA_EDEP (LAPACKE), CARTA_ENOMEM. */
int carta_design_check(const carta_matrix *x, const carta_design_check_spec *spec,
                       carta_design_check_result **out, carta_error *err);
void carta_design_check_free(carta_design_check_result *r);

#endif
