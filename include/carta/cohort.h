/* carta/cohort.h: from loaded tables to the analysis dataset: one row per subject, built from the
   subject table (ADSL) by joining other one-row-per-subject tables, reducing long tables (ADLB,
   ADAE, ADTTE) per subject by a rule, deriving CAR-T predictors, filtering with `cohort.where`,
   and recording each step in the cohort flow; then the outcome (binary, survival, competing).

   Typical use (the config stage fills the spec structs; every spec pointer is borrowed):
       carta_cohort *c;
       carta_cohort_new(adsl, NULL, &policy, &c, &err);            // subjects; keys STUDYID, USUBJID
                                        // (or carta_cohort_adopt: the cohort takes adsl, no copy)
       carta_cohort_join(c, adtte, &join, &err);                   // or carta_cohort_reduce(...)
       carta_cohort_reduce(c, adlb, &baseline_ldh, &err);
       carta_cohort_derive(c, &easix, &err);
       carta_cohort_where(c, "SAFFL == 'Y' && AGE >= 18", "/cohort/where", &err);
       const carta_table *a;  carta_cohort_table(c, &a, &err);     // the analysis table
       carta_outcome *o;      carta_outcome_build(&ospec, a, &o, &err);
       ... carta_cohort_flow(c) for the model card; carta_outcome_free(o); carta_cohort_free(c);

   Subjects leave the cohort only through steps recorded in the flow; the analysis table holds
   the remaining subjects in the order of the subject table. */
#ifndef CARTA_COHORT_H
#define CARTA_COHORT_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>
#include <carta/expr.h>
#include <carta/surv.h>
#include <carta/table.h>

/* ---- Key problems and what to do about them ------------------------------------------------- */

/* What to do when a key problem is found. The default (zero) is to stop with CARTA_EDATA. */
typedef enum carta_key_action {
    CARTA_KEY_ERROR = 0,   /* CARTA_EDATA naming the table, the count and the first few keys */
    CARTA_KEY_EXCLUDE,     /* duplicate / absent: the subject leaves the cohort (a flow step);
                              orphan: the records are ignored (a flow step with 0 excluded) */
    CARTA_KEY_MISSING      /* absent only: the subject stays with missing values */
} carta_key_action;

/* One policy per kind of problem (zero = all errors):
   duplicate  a key that appears twice where it must be unique (the subject table; a
              one-row-per-subject table; two records chosen by a reduction rule);
              a missing key in the subject table counts as a duplicate problem;
   orphan     a record whose subject is not in the subject table (or has a missing key),
              counted among the records a join or rule selects, before any day window;
   absent     a subject with no record in a joined table, or none that a rule selects
              (BASELINE, PARAM). WORST and FIRST never treat absence as a problem. */
typedef struct carta_key_policy {
    carta_key_action duplicate;  /* ERROR or EXCLUDE */
    carta_key_action orphan;     /* ERROR or EXCLUDE */
    carta_key_action absent;     /* ERROR, EXCLUDE or MISSING */
} carta_key_policy;

/* The key columns: study (NULL = no study column: the subject column alone is the key) and
   subject. NULL for the whole struct means STUDYID and USUBJID. Key columns may be strings,
   numbers or dates; the same column must have the same kind in every table. */
typedef struct carta_cohort_keys {
    const char *study;
    const char *subject;
} carta_cohort_keys;

/* ---- The cohort flow -------------------------------------------------------------------------- */

typedef struct carta_flow_step {
    char *description;  /* what was done: "subjects in adsl", "where SAFFL == 'Y'" */
    size_t n_remaining; /* subjects left after the step */
    size_t n_excluded;  /* subjects removed by the step */
    char *reason;       /* why they left, with counts and examples; "" when nobody did */
} carta_flow_step;

typedef struct carta_flow {
    carta_flow_step *steps;
    size_t n;
} carta_flow;

/* ---- The cohort builder ----------------------------------------------------------------------- */

typedef struct carta_cohort carta_cohort;

/* Starts a cohort from the subject table (ADSL; one row per subject): copies it (subjects stays
   the caller's, unchanged), builds the key index (hashing; O(n)), and records the first flow
   step. keys NULL = STUDYID, USUBJID; keys
   with subject NULL = no keys (a single-table analysis: joins and reductions are then
   errors). policy NULL = all errors; only policy->duplicate is used here. source names the
   table in messages and the flow ("adsl"); NULL = the table's source.
   Errors: CARTA_EDATA for a missing key column, or (policy ERROR) duplicate or missing keys with
   their count and the first few; CARTA_ENOMEM. *out is set only on success. */
int carta_cohort_new(const carta_table *subjects, const char *source, const carta_cohort_keys *keys,
                     const carta_key_policy *policy, carta_cohort **out, carta_error *err);

/* As carta_cohort_new, but without the copy: on success the cohort takes ownership of subjects,
   adds its columns to it and compacts it (it becomes the analysis table), and frees it in
   carta_cohort_free; the caller must not use or free subjects afterwards (read the analysis
   table through carta_cohort_table). On error subjects is still the caller's, unchanged. For a
   caller that has no further use for the loaded subject table: it saves one copy of it. */
int carta_cohort_adopt(carta_table *subjects, const char *source, const carta_cohort_keys *keys,
                       const carta_key_policy *policy, carta_cohort **out, carta_error *err);

/* Frees a cohort and everything it owns (the analysis table and the flow included); NULL is a no-op. */
void carta_cohort_free(carta_cohort *c);

/* Joins a one-row-per-subject table (or one PARAMCD of a long table: spec->param) by key. */
typedef struct carta_join_spec {
    const char *source;            /* table name for messages and the flow ("adtte"); required */
    const char *const *columns;    /* columns to copy; NULL = every column not already present
                                      and not a key column (so ADSL copies in ADTTE are not
                                      duplicated) */
    size_t n_columns;
    const char *prefix;            /* prepended to copied names ("TTDE_"); NULL = none */
    const char *param_col;         /* with param: the column that selects records (NULL = PARAMCD) */
    const char *param;             /* only records with param_col == param; NULL = all records */
    carta_key_policy policy;       /* duplicate: two selected records of one subject;
                                      orphan; absent: a subject with no selected record */
} carta_join_spec;

/* Copies the columns of t (borrowed) into the analysis table, matching rows by key. A new name
   (prefix + column) that is already present is an error (CARTA_EDATA: use another prefix) when
   the columns are listed or a prefix is given. Orphans are counted among the selected records.
   Nothing changes when an error is returned.
   Errors: CARTA_EDATA (missing key or listed column, key kinds differ, name clash, and key
   problems under an ERROR policy, each with counts and the first five keys); CARTA_ENOMEM. */
int carta_cohort_join(carta_cohort *c, const carta_table *t, const carta_join_spec *spec, carta_error *err);

/* How a long table is reduced to one value per subject. */
typedef enum carta_reduce_rule {
    CARTA_REDUCE_BASELINE = 0, /* the record with flag_col == "Y" (ABLFL) for param: its value */
    CARTA_REDUCE_WORST,        /* the largest value (grade) over the selected records in the window */
    CARTA_REDUCE_FIRST,        /* the earliest selected record in the window: its value, or its day */
    CARTA_REDUCE_PARAM         /* the one record with param_col == param: its value (ADTTE AVAL) */
} carta_reduce_rule;

/* How days are counted for windows and FIRST. */
typedef enum carta_day_origin {
    CARTA_DAY_SDTM = 0, /* day_col is an SDTM/ADaM study day (ASTDY, ADY): day 1 is the reference
                           date and there is no day 0; carta uses day - 1 for day >= 1, so that
                           day 0 is the reference date, as CAR-T papers count from infusion */
    CARTA_DAY_ZERO      /* day_col already counts from 0 at the reference date */
} carta_day_origin;

typedef struct carta_reduce_spec {
    carta_reduce_rule rule;
    const char *source;         /* table name for messages and the flow ("adlb"); required */
    const char *name;           /* the new column in the analysis table (required; must be new) */
    const char *value;          /* value column; NULL = AVAL (BASELINE, PARAM), AETOXGR (WORST),
                                   and for FIRST: NULL = the day of the first record */
    const char *param_col;      /* NULL = PARAMCD */
    const char *param;          /* select records with param_col == param; NULL = no selection
                                   (required for BASELINE and PARAM) */
    const char *flag_col;       /* BASELINE: NULL = ABLFL; records with the value "Y" */
    const char *term_col;       /* NULL = AEDECOD */
    const char *term;           /* select records with term_col == term (exact); NULL = none */
    const char *match;          /* an extra condition on the records (an expression over t,
                                   e.g. "TRTEMFL == 'Y'"); NULL = none */
    const char *match_name;     /* its name in messages ("/features/3/match"); NULL = "match" */
    /* The window of days from the reference date: lo <= day <= hi, inclusive; the defaults
       (-INFINITY, INFINITY) select every record. Days come from date_col - ref_col (dates, the
       reference date from the analysis table: TRTSDT), or else from day_col. A record whose day
       is missing is outside every finite window. */
    double window_lo, window_hi;
    const char *date_col;       /* e.g. ASTDT; NULL = use day_col */
    const char *ref_col;        /* e.g. TRTSDT (analysis table); NULL = TRTSDT when date_col is set */
    const char *day_col;        /* e.g. ASTDY; NULL = ASTDY for WORST/FIRST when a window or FIRST
                                   needs days and date_col is NULL */
    carta_day_origin day_origin;
    double none_value;          /* WORST: the value of a subject with no selected record (default
                                   0: no CRS is grade 0); NaN = missing */
    carta_key_policy policy;    /* duplicate: BASELINE/PARAM with two selected records; orphan;
                                   absent: BASELINE/PARAM with no selected record */
} carta_reduce_spec;

/* Fills a reduction spec with its defaults (rule BASELINE, window (-inf, inf), none_value 0,
   policy: orphan EXCLUDE, absent MISSING, duplicate ERROR). */
void carta_reduce_spec_default(carta_reduce_spec *s);

/* Reduces the long table t (borrowed) per subject and adds the column spec->name: a number (the
   value column may be numeric, or strings holding numbers such as AETOXGR "3"), or for
   BASELINE/PARAM/FIRST a copy of the value column of its own type (FIRST ignores records
   without a day). BASELINE also copies the
   unit when the records name one (AVALU, else LBSTRESU) and all selected records agree
   (different units: CARTA_EDATA, harmonize first). Ties in FIRST go to the earlier row. WORST
   ignores records whose value is missing; when every selected record of a subject has a missing
   value the result is missing. Cost O(rows of t) plus the key index.
   Errors: CARTA_ECONFIG (spec: missing name or param, a bad match expression); CARTA_EDATA
   (missing columns, a value that is not a number, key problems under an ERROR policy);
   CARTA_ENOMEM. */
int carta_cohort_reduce(carta_cohort *c, const carta_table *t, const carta_reduce_spec *spec, carta_error *err);

/* Derived predictors. */
typedef enum carta_derive_kind {
    CARTA_DERIVE_EASIX = 0,    /* LDH (U/L) x creatinine (mg/dL) / platelets (10^9/L) */
    CARTA_DERIVE_M_EASIX,      /* LDH (U/L) x CRP (mg/dL) / platelets (10^9/L) */
    CARTA_DERIVE_S_EASIX,      /* LDH (U/L) / platelets (10^9/L) */
    CARTA_DERIVE_CAR_HEMATOTOX,/* 0..7 from platelets, ANC, Hb, CRP, ferritin (see the docs) */
    CARTA_DERIVE_DAYS_BETWEEN  /* args[1] - args[0] in days (two date columns) */
} carta_derive_kind;

typedef struct carta_derive_spec {
    carta_derive_kind kind;
    const char *name;              /* the new column (required) */
    const char *const *args;       /* input columns of the analysis table; NULL = the defaults:
                                      EASIX LDH, CREAT, PLAT; M_EASIX LDH, CRP, PLAT; S_EASIX LDH,
                                      PLAT; CAR_HEMATOTOX PLAT, ANC, HGB, CRP, FERRITIN;
                                      DAYS_BETWEEN has no default (from, to) */
    size_t n_args;
} carta_derive_spec;

/* Adds the derived column spec->name (numbers; missing where an input is missing). A column with
   a unit that is not the expected one (LDH U/L, CREAT and CRP mg/dL, PLAT and ANC 10^9/L, HGB
   g/dL, FERRITIN ng/mL, with the usual synonyms) is CARTA_EDATA. A value <= 0 in an EASIX input
   is CARTA_EDATA with the count and first subjects (log2 of the score must exist).
   Errors: CARTA_ECONFIG (no name, wrong number of args), CARTA_EDATA (absent or non-numeric
   column, units, values), CARTA_ENOMEM. */
int carta_cohort_derive(carta_cohort *c, const carta_derive_spec *spec, carta_error *err);

/* Keeps the subjects for which the condition `text` is true (SQL semantics: false and missing
   both leave) and records a flow step "where <text>" with the counts of false and missing.
   where_name names the expression in messages ("/cohort/where"). Errors: those of
   carta_expr_parse / _bind (CARTA_ECONFIG with the position); CARTA_ENOMEM. */
int carta_cohort_where(carta_cohort *c, const char *text, const char *where_name, carta_error *err);

/* Removes the subjects with keep[i] == 0 (i over the current analysis rows, in order) as a flow
   step with the given description and reason (both copied). For exclusions the caller decides. */
int carta_cohort_exclude(carta_cohort *c, const uint8_t *keep, const char *description, const char *reason,
                         carta_error *err);

/* The analysis table: the remaining subjects, in subject-table order, with the subject table's
   columns and every added column. Owned by the cohort; valid until the next call that changes
   the cohort. After exclusions the cohort's table is compacted to the remaining rows in place
   of a copy: column by column, each old column freed once its kept rows are copied, so the
   peak is the table plus one column (string columns then hold only the levels still present).
   Joins, reductions and filters may follow; records of subjects who left are still recognised
   (they are not orphans). Errors: CARTA_ENOMEM; when it happens after the compaction started,
   the cohort is lost: every later call but carta_cohort_flow, carta_cohort_n and
   carta_cohort_free returns CARTA_ENOMEM (nothing leaks; free it). */
int carta_cohort_table(carta_cohort *c, const carta_table **out, carta_error *err);

/* The flow so far (owned by the cohort). */
const carta_flow *carta_cohort_flow(const carta_cohort *c);

/* Number of subjects remaining. */
size_t carta_cohort_n(const carta_cohort *c);

/* ---- Outcomes --------------------------------------------------------------------------------- */

typedef enum carta_outcome_type {
    CARTA_OUTCOME_BINARY = 0,  /* event: a condition (e.g. "CRS_WORST >= 3") */
    CARTA_OUTCOME_SURVIVAL,    /* time (+ start for (start, stop] rows) and an event condition */
    CARTA_OUTCOME_COMPETING    /* time and a cause column; censor names the censored value */
} carta_outcome_type;

/* A declared level order for a column (a categorical feature's `levels`). */
typedef struct carta_declared_levels {
    const char *column;
    const char *const *levels;     /* as text: "F", "2", "2020-01-31", "TRUE" */
    size_t n_levels;
} carta_declared_levels;

typedef struct carta_outcome_spec {
    carta_outcome_type type;
    const char *name;              /* JSON pointer of the outcome in messages ("/outcome"); NULL = "outcome" */
    const char *event;             /* BINARY, SURVIVAL: condition over the analysis table */
    const char *time;              /* SURVIVAL, COMPETING: time (stop) column, numeric */
    const char *start;             /* SURVIVAL, COMPETING: start column of (start, stop] rows, or NULL */
    const char *id;                /* subject id column of (start, stop] rows (required with start) */
    const char *cause;             /* COMPETING: column whose values name the causes */
    const char *censor;            /* COMPETING: the value of cause meaning censored (required) */
    const char *const *causes;     /* COMPETING: the allowed causes (others are an error); NULL =
                                      every value but censor is a cause */
    size_t n_causes;
    const char *const *group;      /* columns whose combinations are the groups (`by`), or NULL */
    size_t n_group;
    const char *const *strata;     /* columns whose combinations are the strata, or NULL */
    size_t n_strata;
    const char *weight;            /* case-weight column (> 0), or NULL */
    const char *offset;            /* offset column (numeric, finite: added to a model's linear
                                      predictor), or NULL */
    const char *offset_name;       /* JSON pointer of the offset's key in messages ("/models/2/
                                      offset"); NULL = name */
    const char *cluster;           /* cluster column, or NULL */
    const char *subject;           /* column naming subjects in messages; NULL = USUBJID if present */
    const carta_declared_levels *declared; /* level orders of group/strata columns that have one;
                                      other columns sort numbers ascending, strings in byte order.
                                      A value not among its column's declared levels is an error. */
    size_t n_declared;
} carta_outcome_spec;

/* The outcome over the rows of the analysis table (all rows; row i is analysis row i). Owns
   every array; `surv` is a view of them for the estimators (valid while the outcome lives). */
typedef struct carta_outcome {
    carta_outcome_type type;
    size_t n;
    double *y;              /* BINARY: 0/1 */
    double *time, *start;   /* SURVIVAL/COMPETING; start NULL unless (start, stop] */
    int *status;            /* 0 censored, 1 event; COMPETING 1..n_causes */
    size_t n_events;        /* rows with an event (BINARY: y == 1) */
    char **cause_labels;    /* n_causes, sorted (numbers ascending, strings in byte order) */
    size_t n_causes;
    double *weight;
    double *offset;         /* NULL unless the spec names an offset column */
    int *group, *strata, *cluster, *id;
    char **group_labels, **strata_labels;  /* "col=value, col2=value" */
    size_t n_groups, n_strata, n_clusters, n_ids;
    carta_surv_data surv;
} carta_outcome;

/* Builds the outcome from the analysis table t (borrowed).
   Errors: CARTA_ECONFIG for a spec that does not fit its type (no event, no time, start without
   id, competing without censor) or a bad expression (with its position); CARTA_EDATA naming how
   many rows and which ones (the first five row numbers, with subject ids when known) for: a
   missing column, no events (or, for BINARY, only events), a missing or negative time, stop <=
   start, a missing event or cause, a cause value not among `causes`, overlapping (start, stop]
   intervals of one id, a missing group/strata/cluster value, a weight <= 0 or missing;
   CARTA_ENOMEM. *out is set only on success. */
int carta_outcome_build(const carta_outcome_spec *spec, const carta_table *t, carta_outcome **out,
                        carta_error *err);

/* The outcome restricted to rows[0..n) (e.g. the design's complete-case rows), with group and
   strata codes renumbered over the levels still present. CARTA_ENOMEM; CARTA_EDATA when a row is
   out of range. */
int carta_outcome_subset(const carta_outcome *o, const size_t *rows, size_t n, carta_outcome **out,
                         carta_error *err);

/* Frees an outcome; NULL is a no-op. */
void carta_outcome_free(carta_outcome *o);

#endif
