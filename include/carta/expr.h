/* carta/expr.h: the expression language of `cohort.where`, `outcome.event` and every other filter.

   An expression is parsed once (carta_expr_parse: syntax only), bound to a table
   (carta_expr_bind: columns resolved, types checked: every type error is found here, before any
   row is read), then evaluated column-at-a-time over chunks of rows (carta_expr_eval_*): the
   tree is walked once per chunk of CARTA_EXPR_CHUNK rows, never once per row.

   Grammar (lowest precedence first; the full description with examples is in the cohort
   documentation):
       expr    := or
       or      := and ( '||' and )*
       and     := not ( '&&' not )*
       not     := '!' not | cmp                   -- R's and SQL's rule: `!a == b` is `!(a == b)`
       cmp     := sum [ ( '==' | '!=' | '<' | '<=' | '>' | '>=' ) sum
                      | [ 'not' ] 'in' '(' literal ( ',' literal )* ')'
                      | 'is' [ 'not' ] 'missing' ]   -- not chained: `a < b < c` is an error
       sum     := prod ( ( '+' | '-' ) prod )*
       prod    := unary ( ( '*' | '/' ) unary )*
       unary   := '-' unary | primary
       primary := number | string | 'date' string | 'true' | 'false'
                | name | `quoted name` | func '(' expr ( ',' expr )* ')' | '(' expr ')'
       func    := log | log2 | exp | abs | min | max  -- min, max take two or more arguments
   Strings are '...' or "..." (a quote is doubled to include it: 'O''Brien'). A date literal is
   `date 'YYYY-MM-DD'`; a plain string literal compared with a date column (or listed in `in`
   against one) is read as a date too, and is an error if it is not one.

   Types: number (F64, I64 columns; booleans in arithmetic count as 0/1), string, date (days since
   1970-01-01; date - date is a number of days, date +/- number is a date) and condition
   (comparisons, &&, ||, !, in, is missing, BOOL columns, true, false).

   Missing values follow Kleene's three-valued logic, as SQL does: a comparison, arithmetic or a
   function with a missing operand is missing; false && missing = false; true || missing = true;
   !missing = missing; `x in (...)` with x missing is missing; `is missing` is never missing.
   A numeric result that is not a number (0/0, log of a negative value) is missing; log(0) is
   -Inf, x/0 is +-Inf, as in R. Empty strings are values, not missing. */
#ifndef CARTA_EXPR_H
#define CARTA_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>
#include <carta/table.h>

/* Rows per evaluation chunk. */
#define CARTA_EXPR_CHUNK 1024

/* Results of carta_expr_eval_bool. */
enum { CARTA_FALSE = 0, CARTA_TRUE = 1, CARTA_MISSING = 2 };

/* The type of a bound expression. */
typedef enum carta_expr_type {
    CARTA_EXPR_BOOL = 0, /* a condition: true, false or missing */
    CARTA_EXPR_NUM,      /* a number (NaN = missing) */
    CARTA_EXPR_STR,      /* a string (a column or a literal) */
    CARTA_EXPR_DATE      /* a date, days since 1970-01-01 */
} carta_expr_type;

typedef struct carta_expr carta_expr;

/* Parses text into a new expression (*out; free with carta_expr_free). where_name names the
   expression in messages and becomes err->field (a JSON pointer such as "/cohort/where", or any
   name such as "cohort.where"); it is copied, and may be NULL ("expression").
   Errors: CARTA_ECONFIG with err->col = the 1-based character position of the problem and a
   message such as "/cohort/where: column 14: expected ')'" (an empty expression, an unexpected
   character, an unterminated string, a bad number or date literal, an unknown function with the
   nearest known one, a wrong number of arguments, a chained comparison, nesting deeper than 200
   levels); CARTA_ENOMEM. *out is set only on success. */
int carta_expr_parse(const char *text, const char *where_name, carta_expr **out, carta_error *err);

/* Resolves the columns of e against table t (borrowed for the call) and checks every type.
   May be called again with another table. Errors: CARTA_ECONFIG with err->col the position:
   an unknown column (naming the nearest existing one: "unknown column AEG (did you mean
   AGE?)"), a type mismatch ("cannot compare SEX (string) with 1 (number)"), arithmetic on a
   string, a condition where a number is needed or the reverse, a string literal that is not a
   date compared with a date; CARTA_ENOMEM. */
int carta_expr_bind(carta_expr *e, const carta_table *t, carta_error *err);

/* The type of a bound expression (CARTA_EXPR_BOOL before binding). */
carta_expr_type carta_expr_result_type(const carta_expr *e);

/* Evaluates a bound condition over every row of t: out[i] is CARTA_FALSE, CARTA_TRUE or
   CARTA_MISSING (out has nrows(t) elements, owned by the caller). t must have the columns e was
   bound to, with the same types (usually the same table). Errors: CARTA_ECONFIG when e is not
   a condition ("is a number, not a condition"); CARTA_EDATA when a column is absent or changed
   type since binding; CARTA_ENOMEM. */
int carta_expr_eval_bool(const carta_expr *e, const carta_table *t, uint8_t *out, carta_error *err);

/* Evaluates a bound number, date (days) or condition (1, 0) over every row of t: out[i] is the
   value, NaN when missing. Errors as carta_expr_eval_bool; a string expression is CARTA_ECONFIG. */
int carta_expr_eval_num(const carta_expr *e, const carta_table *t, double *out, carta_error *err);

/* The expression text as given, and its name (both borrowed from e). */
const char *carta_expr_text(const carta_expr *e);
const char *carta_expr_name(const carta_expr *e);

/* The distinct column names the expression uses, in order of first appearance (borrowed from e;
   valid after parsing). Lets a caller check which tables an expression needs. */
size_t carta_expr_ncolumns(const carta_expr *e);
const char *carta_expr_column(const carta_expr *e, size_t i);

/* Frees an expression; NULL is a no-op. */
void carta_expr_free(carta_expr *e);

/* Convenience: parses and binds text against t, then evaluates it as a condition into out
   (nrows(t) elements). Errors as the three calls above. */
int carta_expr_filter(const char *text, const char *where_name, const carta_table *t, uint8_t *out,
                      carta_error *err);

/* Levenshtein distance between a and b over bytes, ASCII letters compared case-insensitively
   (so "age" is at distance 0 from "AGE"). Used for "did you mean" suggestions. */
size_t carta_expr_edit_distance(const char *a, const char *b);

#endif
