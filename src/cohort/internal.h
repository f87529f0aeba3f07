/* Private to src/cohort: the cohort builder's layout and the helpers cohort.c, join.c,
   derive.c and outcome.c share. */
#ifndef CARTA_COHORT_INTERNAL_H
#define CARTA_COHORT_INTERNAL_H

#include <carta/cohort.h>

/* How many examples an error message or a flow reason lists. */
#define COHORT_EXAMPLES 5

/* A row that matches no subject, and a row whose key is missing. */
#define ROW_NONE UINT32_MAX
#define ROW_MISSING_KEY (UINT32_MAX - 1)
/* The subject of a record is in the subject table but left the cohort and its row was removed
   when the analysis table was compacted: not an orphan, but there is no wide row. Every index
   below ROW_GONE is a wide row. */
#define ROW_GONE (UINT32_MAX - 2)

/* Distinct numeric key values of the subject table, each with a code (open addressing). */
typedef struct numdict {
    uint64_t *bits;   /* the double's bits (-0 folded into +0) */
    uint32_t *code;   /* code + 1; 0 = empty slot */
    size_t cap;       /* power of two */
    size_t n;
} numdict;

/* The subject index: (study code, subject code) -> row of the wide table. */
typedef struct subject_index {
    uint64_t *keys;
    uint32_t *rows;   /* row + 1; 0 = empty */
    size_t cap;
} subject_index;

struct carta_cohort {
    char *source;            /* the subject table's name */
    carta_table *wide;       /* the subject-table rows not yet compacted away, with the added
                                columns; after carta_cohort_table it holds the kept rows only */
    size_t n_all;            /* rows of wide */
    uint8_t *keep;           /* per wide row: 1 while the subject is in the cohort */
    size_t n_keep;
    char *study_col;         /* NULL = no study key */
    char *subject_col;       /* NULL = no keys at all */
    numdict study_num, subject_num; /* used when the key column is not a string */
    subject_index index;     /* key -> wide row, or ROW_GONE for a subject compacted away */
    carta_table *keys;       /* after the first compaction: the subject table's key columns with
                                every original row, whose dictionary codes the index uses;
                                NULL before (the codes are then wide's) */
    uint32_t *match_rows;    /* the last answer of cohort_match, for the table whose keys hash to */
    uint64_t match_hash;     /* match_hash, with match_n rows */
    size_t match_n;
    int lost;                /* a compaction failed half-way: the cohort can only be freed */
    carta_flow flow;
};

/* A list of examples for messages: "a, b, c, ..." (first COHORT_EXAMPLES), with a count. */
typedef struct examples {
    size_t count;
    size_t shown;
    char text[400];
} examples;

void examples_add(examples *x, const char *s);

/* Builds the key index over c->wide; reports duplicate and missing keys per policy. */
int cohort_index_build(carta_cohort *c, carta_key_action duplicate, carta_error *err);
void cohort_index_free(carta_cohort *c);

/* The subject of each row of t: out[r] = wide row, ROW_NONE or ROW_MISSING_KEY. *out is borrowed
   from the cohort and valid until the next call: the last answer is kept, with a 64-bit hash of
   t's key contents (codes, levels or values, missing bits), so that several reductions of one
   long table match its keys once. source names t in messages. */
int cohort_match(carta_cohort *c, const carta_table *t, const char *source, const uint32_t **out,
                 carta_error *err);

/* The key of wide row w as text ("STUDY/SUBJECT" or "SUBJECT"). */
void cohort_key_text(const carta_cohort *c, size_t w, char *buf, size_t cap);

/* Text of row r of column col (strings as is, numbers shortest, dates YYYY-MM-DD; "NA" missing). */
void cohort_value_text(const carta_column *col, size_t r, char *buf, size_t cap);

/* Appends a flow step (strings copied). CARTA_ENOMEM. */
int cohort_flow_add(carta_cohort *c, const char *description, size_t n_excluded, const char *reason,
                    carta_error *err);

/* Removes the subjects marked in drop (per wide row; only kept rows count) as one flow step. */
int cohort_drop(carta_cohort *c, const uint8_t *drop, const char *description, const char *reason,
                carta_error *err);

/* Adds an empty column name to the wide table, refusing an existing name (CARTA_EDATA). */
int cohort_new_column(carta_cohort *c, const char *name, carta_type type, carta_column **out,
                      const char *what, carta_error *err);

/* Appends to dst (a new column of the wide table) the value of src row rows[w] for each wide row
   w (missing where rows[w] == ROW_NONE). Types must match. CARTA_ENOMEM. */
int cohort_copy_values(carta_column *dst, const carta_column *src, const uint32_t *rows, size_t n);

/* CARTA_OK, or CARTA_ENOMEM when an earlier compaction failed and the cohort is unusable. */
int cohort_usable(const carta_cohort *c, carta_error *err);

/* The table whose key columns the index codes refer to (c->keys after a compaction, else wide). */
const carta_table *cohort_key_table(const carta_cohort *c);

#endif
