/* src/config/config_int.h: helpers shared by the files of the config module (not public). */
#ifndef CARTA_CONFIG_INT_H
#define CARTA_CONFIG_INT_H

#include <stddef.h>
#include <carta/config.h>

/* ---- arena: every string and array of a config lives here; freed at once ---- */
typedef struct cfg_arena cfg_arena;
cfg_arena *cfg_arena_new(void);
void cfg_arena_free(cfg_arena *a);
/* Zeroed memory aligned for any type; NULL when out of memory. */
void *cfg_arena_alloc(cfg_arena *a, size_t size);
/* Array of count elements of size bytes (overflow-checked); NULL when out of memory. */
void *cfg_arena_array(cfg_arena *a, size_t count, size_t size);
char *cfg_arena_strdup(cfg_arena *a, const char *s);

/* ---- JSON pointers and "did you mean" ---- */
/* Appends "/" and key (escaped per RFC 6901: ~ as ~0, / as ~1) to buf[*len .. cap); the text is
   cut if it does not fit. Returns the previous length, for cfg_ptr_pop. */
size_t cfg_ptr_push_key(char *buf, size_t cap, size_t *len, const char *key);
size_t cfg_ptr_push_index(char *buf, size_t cap, size_t *len, size_t index);
void cfg_ptr_pop(char *buf, size_t *len, size_t saved);

/* Optimal-string-alignment distance (insertions, deletions, substitutions, transpositions),
   ignoring ASCII case. */
size_t cfg_edit_distance(const char *a, const char *b);
/* The candidate (from a NULL-terminated list) nearest to word when it is close enough to be a
   plausible misspelling (distance <= 2 and smaller than the word's length), else NULL. */
const char *cfg_nearest(const char *word, const char *const *cands);
/* Writes the candidates joined by ", " into buf; returns buf. */
char *cfg_join(char *buf, size_t cap, const char *const *cands);

/* ---- JSON syntax diagnosis ---- */
/* 1 when text[0..len) is not one JSON value (RFC 8259), with *at the byte offset of the first
   error (len = the end of the input) and *what a short description; 0 when it is valid. */
int cfg_json_syntax(const char *text, size_t len, size_t *at, const char **what);

/* ---- spelling of enumeration values, indexed by the enum value, NULL-terminated ---- */
extern const char *const cfg_format_names[];
extern const char *const cfg_bound_names[];
extern const char *const cfg_units_names[];
extern const char *const cfg_outcome_names[];
extern const char *const cfg_feature_type_names[];
extern const char *const cfg_transform_names[];
extern const char *const cfg_derive_names[];
extern const char *const cfg_missing_names[];
extern const char *const cfg_model_names[];
extern const char *const cfg_conf_names[];
extern const char *const cfg_ties_names[];
extern const char *const cfg_zph_names[];
extern const char *const cfg_resid_names[];
extern const char *const cfg_scheme_names[];
extern const char *const cfg_lambda_rule_names[];

/* ---- the reader: position (JSON pointer) and typed getters with strict checks ---- */
#include <cjson/cJSON.h>

typedef struct cfg_reader {
    const char *shown;           /* the config's name in messages */
    carta_error *err;
    cfg_arena *a;
    char ptr[512];               /* JSON pointer of the value being read */
    size_t plen;
} cfg_reader;

enum { CFG_REQ = 1, CFG_NULL = 2 }; /* required; null accepted (= the default, "none") */
#define LONG_MAX_CFG 2147483647L /* "no upper bound" for integer keys */

typedef struct cfg_range {
    double lo, hi;               /* +-INFINITY = unbounded */
    int lo_open, hi_open;
} cfg_range;

size_t cfg_enter(cfg_reader *r, const char *key);
size_t cfg_enter_index(cfg_reader *r, size_t i);
void cfg_leave(cfg_reader *r, size_t saved);
/* CARTA_ECONFIG at the current pointer (or at pointer/key). */
int cfg_fail(cfg_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cfg_fail_key(cfg_reader *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_oom(cfg_reader *r);
/* "a string", "a number", ... for messages. */
const char *cfg_kind(const cJSON *v);
char *cfg_range_text(char *buf, size_t cap, const cfg_range *rg);

/* Unknown keys of obj are errors naming the nearest allowed key; a key in `elsewhere` (valid
   for another variant, e.g. another model type) is "not an option of <owner>". */
int cfg_check_keys(cfg_reader *r, const cJSON *obj, const char *const *allowed,
                   const char *const *elsewhere, const char *owner);
/* Requires obj[key] (when present) to be an object; *out NULL when absent. */
int cfg_get_object(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cJSON **out);

/* Getters: absent (or null with CFG_NULL) leaves *out at the caller's default. */
int cfg_get_str(cfg_reader *r, const cJSON *obj, const char *key, int flags, const char **out);
int cfg_get_enum(cfg_reader *r, const cJSON *obj, const char *key, const char *const *names,
                 int flags, int *out);
int cfg_get_num(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cfg_range *rg,
                double *out);
int cfg_get_long(cfg_reader *r, const cJSON *obj, const char *key, int flags, long lo, long hi,
                 long *out);
int cfg_get_bool(cfg_reader *r, const cJSON *obj, const char *key, int flags, int *out);
/* An array of non-empty, distinct strings; at_least = the minimum count. */
int cfg_get_strs(cfg_reader *r, const cJSON *obj, const char *key, int flags, size_t at_least,
                 carta_cfg_strings *out);
/* An array of numbers in rg, strictly ascending when ascending is set. */
int cfg_get_nums(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cfg_range *rg,
                 int ascending, carta_cfg_numbers *out);

/* The elastic-net keys of a cox or logistic model v (penalty.c): lambda (a number >= 0, null,
   "cv_min" or "cv_1se"), alpha and lambda_cv; the defaults are filled in first. */
int cfg_read_penalty(cfg_reader *r, const cJSON *v, double *lambda, double *alpha,
                     carta_cfg_lambda_rule *rule, carta_cfg_lambda_cv *cv);
/* validation.fairness (penalty.c); o is the validation object or NULL. */
int cfg_read_fairness(cfg_reader *r, const cJSON *o, carta_cfg_validation *v);

/* Reads models[i].params of an xgboost model (obj may be NULL) against the allow-list. */
int cfg_read_xgboost_params(cfg_reader *r, const cJSON *params, carta_cfg_outcome_type outcome,
                            carta_xgboost_config *x);

#endif
