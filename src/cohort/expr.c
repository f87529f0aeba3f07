/* The expression language: a recursive-descent parser into a small typed tree, a binder that
   resolves columns and checks types before any row is read, and a vectorised evaluator that
   walks the tree once per chunk of CARTA_EXPR_CHUNK rows, each node filling a buffer for the
   whole chunk (so the per-row cost is a tight loop per node, not a tree walk per row).

   Missing values: Kleene's strong three-valued logic (Kleene 1952, as SQL's NULL logic), coded
   0 = false, 1 = true, 2 = missing; AND and OR are table lookups. Numbers carry NaN for missing.
   String comparisons against a literal are precomputed once per dictionary level of the column
   (a lookup table indexed by the string code), so a string filter costs one load per row. */
#include <carta/expr.h>
#include <carta/alloc.h>

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200 /* parser nesting (parentheses, prefix operators) */
#define MAX_TREE 1000 /* tree height, which bounds the evaluator's recursion */
#define MISS ((double)NAN) /* missing number */

typedef enum node_kind {
    N_NUM, N_STR, N_DATE, N_BOOL, N_COL,
    N_NEG, N_ADD, N_SUB, N_MUL, N_DIV,
    N_CMP, N_IN, N_ISMISS, N_NOT, N_AND, N_OR, N_FUNC
} node_kind;

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum { F_LOG, F_LOG2, F_EXP, F_ABS, F_MIN, F_MAX };

static const char *const fn_name[] = { "log", "log2", "exp", "abs", "min", "max" };
#define N_FUNCS (sizeof fn_name / sizeof fn_name[0])

typedef struct node {
    node_kind kind;
    int op;                 /* N_CMP: OP_*; N_FUNC: F_*; N_ISMISS: 1 for `is not missing` */
    long pos;               /* 1-based position of the node's token (operator, name, literal) */
    size_t start, end;      /* its source text [start, end), 0-based, for messages */
    size_t height;
    struct node **kids;
    size_t n_kids;
    double num;             /* N_NUM, N_DATE, N_BOOL value; an N_STR coerced to a date */
    char *str;              /* N_STR value, N_COL name */
    size_t id;              /* index into the evaluator's per-node buffers */
    /* Set by binding. */
    carta_expr_type type;
    carta_type col_type;    /* N_COL */
    int as_date;            /* N_STR literal read as a date in this binding */
} node;

struct carta_expr {
    char *text;
    char *name;
    node *root;
    size_t n_nodes;
    char **cols;            /* distinct column names, first appearance order */
    size_t n_cols;
    int bound;
};

/* ---- errors --------------------------------------------------------------------------------- */

/* Records "<name>: column <pos>: <message>" with err->col = pos and err->field = name. A name
   that is a JSON pointer goes through carta_where's field (which prints it as the location);
   any other name is printed in the message and copied into err->field. */
static int expr_error(carta_error *err, int code, const char *name, long pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int expr_error(carta_error *err, int code, const char *name, long pos, const char *fmt, ...)
{
    if (!err || err->code != CARTA_OK) return code;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!name) name = "expression";
    char where[48] = "";
    if (pos > 0) snprintf(where, sizeof where, "column %ld: ", pos);
    carta_where at = { .col = pos };
    if (name[0] == '/') {
        at.field = name;
        carta_error_set(err, code, &at, "%s%s", where, msg);
    } else {
        carta_error_set(err, code, &at, "%s: %s%s", name, where, msg);
        snprintf(err->field, sizeof err->field, "%s", name);
    }
    return code;
}

size_t carta_expr_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255) return la > lb ? la : lb; /* names are short; avoid big buffers */
    size_t row[256];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = diag + (same ? 0 : 1);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* ---- tree ----------------------------------------------------------------------------------- */

static void node_free(node *nd)
{
    if (!nd) return;
    for (size_t i = 0; i < nd->n_kids; i++) node_free(nd->kids[i]);
    carta_free(nd->kids);
    carta_free(nd->str);
    carta_free(nd);
}

void carta_expr_free(carta_expr *e)
{
    if (!e) return;
    node_free(e->root);
    for (size_t i = 0; i < e->n_cols; i++) carta_free(e->cols[i]);
    carta_free(e->cols);
    carta_free(e->text);
    carta_free(e->name);
    carta_free(e);
}

/* ---- lexer and parser ----------------------------------------------------------------------- */

typedef enum tok_kind {
    T_END, T_NUM, T_STR, T_IDENT, T_QIDENT, T_LP, T_RP, T_COMMA,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_NOT, T_AND, T_OR,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t start, end;  /* source span */
    double num;
    char *str;          /* T_STR, T_IDENT, T_QIDENT: owned by the parser until taken */
} token;

typedef struct parser {
    const char *s;
    size_t len, at;
    const char *name;
    carta_error *err;
    token tok;          /* the current token */
    int depth;
    size_t n_nodes;
    int failed;         /* an error has been recorded */
    int code;           /* its status */
} parser;

static int fail(parser *p, int code, size_t offset, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(parser *p, int code, size_t offset, const char *fmt, ...)
{
    if (p->failed) return code;
    p->failed = 1;
    p->code = code;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return expr_error(p->err, code, p->name, (long)offset + 1, "%s", msg);
}

static int nomem(parser *p)
{
    if (p->failed) return CARTA_ENOMEM;
    p->failed = 1;
    p->code = CARTA_ENOMEM;
    return expr_error(p->err, CARTA_ENOMEM, p->name, 0, "no memory to parse the expression");
}

/* The current token's text for messages ("end of expression" at the end). */
static void tok_text(const parser *p, const token *t, char *buf, size_t cap)
{
    if (t->kind == T_END) {
        snprintf(buf, cap, "the end of the expression");
        return;
    }
    size_t n = t->end - t->start;
    if (n > 40) n = 40;
    snprintf(buf, cap, "'%.*s'", (int)n, p->s + t->start);
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident_char(int c) { return isalnum(c) || c == '_' || c == '.'; }

/* Reads the next token into p->tok. */
static int next(parser *p)
{
    carta_free(p->tok.str);
    memset(&p->tok, 0, sizeof p->tok);
    const char *s = p->s;
    while (p->at < p->len && isspace((unsigned char)s[p->at])) p->at++;
    token *t = &p->tok;
    t->start = p->at;
    if (p->at >= p->len) {
        t->kind = T_END;
        t->end = p->at;
        return CARTA_OK;
    }
    unsigned char c = (unsigned char)s[p->at];
    size_t i = p->at;
    if (isdigit(c) || (c == '.' && i + 1 < p->len && isdigit((unsigned char)s[i + 1]))) {
        size_t j = i;
        while (j < p->len && isdigit((unsigned char)s[j])) j++;
        if (j < p->len && s[j] == '.') {
            j++;
            while (j < p->len && isdigit((unsigned char)s[j])) j++;
        }
        if (j < p->len && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < p->len && (s[k] == '+' || s[k] == '-')) k++;
            if (k < p->len && isdigit((unsigned char)s[k])) {
                while (k < p->len && isdigit((unsigned char)s[k])) k++;
                j = k;
            } else {
                j = k; /* "1e" or "1e+": a bad number, reported below */
                while (j < p->len && is_ident_char((unsigned char)s[j])) j++;
                return fail(p, CARTA_ECONFIG, i, "bad number '%.*s'", (int)(j - i), s + i);
            }
        }
        if (j < p->len && is_ident_char((unsigned char)s[j])) {
            size_t k = j;
            while (k < p->len && is_ident_char((unsigned char)s[k])) k++;
            return fail(p, CARTA_ECONFIG, i, "bad number '%.*s'", (int)(k - i), s + i);
        }
        char buf[64];
        size_t n = j - i;
        if (n >= sizeof buf) return fail(p, CARTA_ECONFIG, i, "number '%.*s' is too long", (int)n, s + i);
        memcpy(buf, s + i, n);
        buf[n] = '\0';
        t->kind = T_NUM;
        t->num = strtod(buf, NULL);
        t->end = p->at = j;
        return CARTA_OK;
    }
    if (c == '\'' || c == '"' || c == '`') {
        /* A quote inside is written twice ('O''Brien'); the value is built without the doubles. */
        size_t j = i + 1, n = 0;
        char *buf = carta_malloc(p->len - i + 1);
        if (!buf) return nomem(p);
        for (;;) {
            if (j >= p->len) {
                carta_free(buf);
                return fail(p, CARTA_ECONFIG, i, c == '`' ? "unterminated quoted name (opened here)"
                                                          : "unterminated string (opened here)");
            }
            if ((unsigned char)s[j] == c) {
                if (j + 1 < p->len && (unsigned char)s[j + 1] == c) {
                    buf[n++] = (char)c;
                    j += 2;
                    continue;
                }
                break;
            }
            buf[n++] = s[j++];
        }
        buf[n] = '\0';
        if (c == '`' && n == 0) {
            carta_free(buf);
            return fail(p, CARTA_ECONFIG, i, "empty quoted name");
        }
        t->kind = c == '`' ? T_QIDENT : T_STR;
        t->str = buf;
        t->end = p->at = j + 1;
        return CARTA_OK;
    }
    if (is_ident_start(c)) {
        size_t j = i;
        while (j < p->len && is_ident_char((unsigned char)s[j])) j++;
        if (!(t->str = carta_strndup(s + i, j - i))) return nomem(p);
        t->kind = T_IDENT;
        t->end = p->at = j;
        return CARTA_OK;
    }
    char c2 = i + 1 < p->len ? s[i + 1] : '\0';
    size_t w = 1;
    switch (c) {
    case '(': t->kind = T_LP; break;
    case ')': t->kind = T_RP; break;
    case ',': t->kind = T_COMMA; break;
    case '+': t->kind = T_PLUS; break;
    case '-': t->kind = T_MINUS; break;
    case '*': t->kind = T_STAR; break;
    case '/': t->kind = T_SLASH; break;
    case '!':
        if (c2 == '=') { t->kind = T_NE; w = 2; } else t->kind = T_NOT;
        break;
    case '<':
        if (c2 == '=') { t->kind = T_LE; w = 2; } else t->kind = T_LT;
        break;
    case '>':
        if (c2 == '=') { t->kind = T_GE; w = 2; } else t->kind = T_GT;
        break;
    case '=':
        if (c2 != '=') return fail(p, CARTA_ECONFIG, i, "'=' is not an operator (use '==' to compare)");
        t->kind = T_EQ;
        w = 2;
        break;
    case '&':
        if (c2 != '&') return fail(p, CARTA_ECONFIG, i, "'&' is not an operator (use '&&')");
        t->kind = T_AND;
        w = 2;
        break;
    case '|':
        if (c2 != '|') return fail(p, CARTA_ECONFIG, i, "'|' is not an operator (use '||')");
        t->kind = T_OR;
        w = 2;
        break;
    default:
        if (c >= 0x20 && c < 0x7f) return fail(p, CARTA_ECONFIG, i, "unexpected character '%c'", c);
        return fail(p, CARTA_ECONFIG, i, "unexpected byte 0x%02x", c);
    }
    t->end = p->at = i + w;
    return CARTA_OK;
}

static int is_word(const token *t, const char *w)
{
    return t->kind == T_IDENT && strcmp(t->str, w) == 0;
}

/* Whether the text after the current token starts with c (skipping blanks). */
static int peek_char(const parser *p, char c)
{
    size_t j = p->at;
    while (j < p->len && isspace((unsigned char)p->s[j])) j++;
    return j < p->len && p->s[j] == c;
}

static node *new_node(parser *p, node_kind kind, size_t start, size_t end, size_t pos_offset)
{
    node *nd = carta_calloc(1, sizeof *nd);
    if (!nd) {
        nomem(p);
        return NULL;
    }
    nd->kind = kind;
    nd->start = start;
    nd->end = end;
    nd->pos = (long)pos_offset + 1;
    nd->height = 1;
    nd->id = p->n_nodes++;
    return nd;
}

/* Appends kid to nd (taking it; freed with nd on failure). */
static int add_kid(parser *p, node *nd, node *kid)
{
    if ((nd->n_kids & (nd->n_kids + 1)) == 0 || nd->n_kids == 0) { /* grow at 0, 1, 3, 7, ... */
        size_t cap = nd->n_kids ? (nd->n_kids + 1) * 2 : 2;
        node **k = carta_realloc(nd->kids, cap * sizeof *k);
        if (!k) {
            node_free(kid);
            return nomem(p);
        }
        nd->kids = k;
    }
    nd->kids[nd->n_kids++] = kid;
    if (kid->start < nd->start) nd->start = kid->start;
    if (kid->end > nd->end) nd->end = kid->end;
    if (kid->height + 1 > nd->height) nd->height = kid->height + 1;
    if (nd->height > MAX_TREE)
        return fail(p, CARTA_ECONFIG, nd->start, "expression is too long (more than %d nested operations)",
                    MAX_TREE);
    return CARTA_OK;
}

static node *parse_or(parser *p);

/* A binary node op(a, b) spanning both; frees a and b on failure. */
static node *binary(parser *p, node_kind kind, int op, size_t op_offset, node *a, node *b)
{
    node *nd = new_node(p, kind, a->start, b->end, op_offset);
    if (!nd) {
        node_free(a);
        node_free(b);
        return NULL;
    }
    nd->op = op;
    if (add_kid(p, nd, a)) {
        node_free(b);
        node_free(nd);
        return NULL;
    }
    if (add_kid(p, nd, b)) {
        node_free(nd);
        return NULL;
    }
    return nd;
}

static int enter(parser *p)
{
    if (++p->depth > MAX_DEPTH)
        return fail(p, CARTA_ECONFIG, p->tok.start, "expression is nested too deeply (more than %d levels)",
                    MAX_DEPTH);
    return CARTA_OK;
}

static int expect_rp(parser *p)
{
    if (p->tok.kind != T_RP) {
        char got[64];
        tok_text(p, &p->tok, got, sizeof got);
        return fail(p, CARTA_ECONFIG, p->tok.start, "expected ')', found %s", got);
    }
    return next(p);
}

/* A literal for an in-list: number (with an optional sign), string or date. */
static node *parse_literal(parser *p)
{
    token *t = &p->tok;
    size_t start = t->start;
    int neg = 0;
    if (t->kind == T_MINUS || t->kind == T_PLUS) {
        neg = t->kind == T_MINUS;
        if (next(p)) return NULL;
    }
    node *nd = NULL;
    if (t->kind == T_NUM) {
        if (!(nd = new_node(p, N_NUM, start, t->end, start))) return NULL;
        nd->num = neg ? -t->num : t->num;
    } else if (t->kind == T_STR && start == t->start) {
        if (!(nd = new_node(p, N_STR, start, t->end, start))) return NULL;
        nd->str = t->str;
        t->str = NULL;
    } else {
        char got[64];
        tok_text(p, t, got, sizeof got);
        fail(p, CARTA_ECONFIG, t->start, "expected a number, string or date in the list, found %s", got);
        return NULL;
    }
    if (next(p)) {
        node_free(nd);
        return NULL;
    }
    return nd;
}

static node *parse_date_literal(parser *p)
{
    size_t start = p->tok.start;
    if (next(p)) return NULL; /* the word `date` */
    token *t = &p->tok;
    if (t->kind != T_STR) {
        fail(p, CARTA_ECONFIG, t->start, "expected a quoted date after 'date' ('YYYY-MM-DD')");
        return NULL;
    }
    int64_t days;
    if (carta_parse_date(t->str, strlen(t->str), &days) != 0 || strlen(t->str) != 10) {
        fail(p, CARTA_ECONFIG, t->start, "'%s' is not a date (expected 'YYYY-MM-DD')", t->str);
        return NULL;
    }
    node *nd = new_node(p, N_DATE, start, t->end, start);
    if (!nd) return NULL;
    nd->num = (double)days;
    if (next(p)) {
        node_free(nd);
        return NULL;
    }
    return nd;
}

static node *parse_primary(parser *p)
{
    token *t = &p->tok;
    node *nd = NULL;
    switch (t->kind) {
    case T_NUM:
        if (!(nd = new_node(p, N_NUM, t->start, t->end, t->start))) return NULL;
        nd->num = t->num;
        break;
    case T_STR:
        if (!(nd = new_node(p, N_STR, t->start, t->end, t->start))) return NULL;
        nd->str = t->str;
        t->str = NULL;
        break;
    case T_QIDENT:
        if (!(nd = new_node(p, N_COL, t->start, t->end, t->start))) return NULL;
        nd->str = t->str;
        t->str = NULL;
        break;
    case T_LP: {
        if (enter(p) || next(p)) return NULL;
        node *inner = parse_or(p);
        if (!inner) return NULL;
        if (expect_rp(p)) {
            node_free(inner);
            return NULL;
        }
        p->depth--;
        return inner;
    }
    case T_IDENT: {
        if (strcmp(t->str, "true") == 0 || strcmp(t->str, "false") == 0) {
            if (!(nd = new_node(p, N_BOOL, t->start, t->end, t->start))) return NULL;
            nd->num = t->str[0] == 't';
            break;
        }
        if (strcmp(t->str, "date") == 0 && (peek_char(p, '\'') || peek_char(p, '"')))
            return parse_date_literal(p);
        if (peek_char(p, '(')) {
            size_t f = 0;
            while (f < N_FUNCS && strcmp(fn_name[f], t->str) != 0) f++;
            if (f == N_FUNCS) {
                size_t best = 0, bd = (size_t)-1;
                for (size_t k = 0; k < N_FUNCS; k++) {
                    size_t d = carta_expr_edit_distance(t->str, fn_name[k]);
                    if (d < bd) { bd = d; best = k; }
                }
                if (bd <= 2)
                    fail(p, CARTA_ECONFIG, t->start, "unknown function '%s' (did you mean %s?)", t->str,
                         fn_name[best]);
                else
                    fail(p, CARTA_ECONFIG, t->start,
                         "unknown function '%s' (functions: log, log2, exp, abs, min, max)", t->str);
                return NULL;
            }
            size_t start = t->start;
            if (!(nd = new_node(p, N_FUNC, start, t->end, start))) return NULL;
            nd->op = (int)f;
            if (enter(p) || next(p) || next(p)) { /* the name, then '(' */
                node_free(nd);
                return NULL;
            }
            if (p->tok.kind == T_RP) {
                /* no arguments: reported with the count check below */
            } else {
                for (;;) {
                    node *arg = parse_or(p);
                    if (!arg || add_kid(p, nd, arg)) {
                        node_free(nd);
                        return NULL;
                    }
                    if (p->tok.kind != T_COMMA) break;
                    if (next(p)) {
                        node_free(nd);
                        return NULL;
                    }
                }
            }
            size_t close = p->tok.start;
            if (p->tok.kind != T_RP) {
                char got[64];
                tok_text(p, &p->tok, got, sizeof got);
                fail(p, CARTA_ECONFIG, p->tok.start, "expected ',' or ')', found %s", got);
                node_free(nd);
                return NULL;
            }
            int unary = f <= F_ABS;
            if (unary && nd->n_kids != 1) {
                fail(p, CARTA_ECONFIG, start, "%s takes 1 argument, got %zu", fn_name[f], nd->n_kids);
                node_free(nd);
                return NULL;
            }
            if (!unary && nd->n_kids < 2) {
                fail(p, CARTA_ECONFIG, start, "%s takes 2 or more arguments, got %zu", fn_name[f], nd->n_kids);
                node_free(nd);
                return NULL;
            }
            nd->end = close + 1;
            if (next(p)) {
                node_free(nd);
                return NULL;
            }
            p->depth--;
            return nd;
        }
        if (!(nd = new_node(p, N_COL, t->start, t->end, t->start))) return NULL;
        nd->str = t->str;
        t->str = NULL;
        break;
    }
    case T_END:
    case T_RP:
    case T_COMMA:
    case T_PLUS:
    case T_STAR:
    case T_SLASH:
    case T_AND:
    case T_OR:
    case T_EQ:
    case T_NE:
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
    case T_MINUS:
    case T_NOT:
    default: {
        char got[64];
        tok_text(p, t, got, sizeof got);
        if (t->kind == T_NOT)
            fail(p, CARTA_ECONFIG, t->start, "'!' needs parentheses here: write !(...)");
        else
            fail(p, CARTA_ECONFIG, t->start, "expected a value, a column or '(', found %s", got);
        return NULL;
    }
    }
    if (next(p)) {
        node_free(nd);
        return NULL;
    }
    return nd;
}

static node *parse_unary(parser *p)
{
    if (p->tok.kind == T_MINUS) {
        size_t at = p->tok.start;
        if (enter(p) || next(p)) return NULL;
        node *kid = parse_unary(p);
        if (!kid) return NULL;
        p->depth--;
        /* Fold -number into a literal, so that `in (-1, 2)` and `x > -1` read the same. */
        if (kid->kind == N_NUM) {
            kid->num = -kid->num;
            kid->start = at;
            kid->pos = (long)at + 1;
            return kid;
        }
        node *nd = new_node(p, N_NEG, at, kid->end, at);
        if (!nd) {
            node_free(kid);
            return NULL;
        }
        if (add_kid(p, nd, kid)) {
            node_free(nd);
            return NULL;
        }
        return nd;
    }
    return parse_primary(p);
}

static node *parse_prod(parser *p)
{
    node *a = parse_unary(p);
    while (a && (p->tok.kind == T_STAR || p->tok.kind == T_SLASH)) {
        node_kind k = p->tok.kind == T_STAR ? N_MUL : N_DIV;
        size_t at = p->tok.start;
        node *b = NULL;
        if (next(p) || !(b = parse_unary(p))) {
            node_free(a);
            return NULL;
        }
        a = binary(p, k, 0, at, a, b);
    }
    return a;
}

static node *parse_sum(parser *p)
{
    node *a = parse_prod(p);
    while (a && (p->tok.kind == T_PLUS || p->tok.kind == T_MINUS)) {
        node_kind k = p->tok.kind == T_PLUS ? N_ADD : N_SUB;
        size_t at = p->tok.start;
        node *b = NULL;
        if (next(p) || !(b = parse_prod(p))) {
            node_free(a);
            return NULL;
        }
        a = binary(p, k, 0, at, a, b);
    }
    return a;
}

static int cmp_op(tok_kind k)
{
    switch (k) {
    case T_EQ: return OP_EQ;
    case T_NE: return OP_NE;
    case T_LT: return OP_LT;
    case T_LE: return OP_LE;
    case T_GT: return OP_GT;
    case T_GE: return OP_GE;
    case T_END: case T_NUM: case T_STR: case T_IDENT: case T_QIDENT: case T_LP: case T_RP:
    case T_COMMA: case T_PLUS: case T_MINUS: case T_STAR: case T_SLASH: case T_NOT: case T_AND:
    case T_OR:
    default: return -1;
    }
}

static int is_cmp_next(const parser *p)
{
    return cmp_op(p->tok.kind) >= 0 || is_word(&p->tok, "in") || is_word(&p->tok, "is") || is_word(&p->tok, "not");
}

static node *parse_cmp(parser *p)
{
    node *a = parse_sum(p);
    if (!a) return NULL;
    token *t = &p->tok;
    size_t at = t->start;
    node *nd = NULL;
    int op = cmp_op(t->kind);
    /* `x not in (...)` is `!(x in (...))`: missing when x is missing, as SQL's NOT IN. */
    int negate = 0;
    size_t not_at = 0;
    if (op < 0 && is_word(t, "not")) {
        not_at = t->start;
        if (next(p)) {
            node_free(a);
            return NULL;
        }
        if (!is_word(&p->tok, "in")) {
            char got[64];
            tok_text(p, &p->tok, got, sizeof got);
            fail(p, CARTA_ECONFIG, p->tok.start, "expected 'in' after 'not', found %s", got);
            node_free(a);
            return NULL;
        }
        negate = 1;
        at = p->tok.start;
    }
    if (op >= 0) {
        node *b = NULL;
        if (next(p) || !(b = parse_sum(p))) {
            node_free(a);
            return NULL;
        }
        if (!(nd = binary(p, N_CMP, op, at, a, b))) return NULL;
    } else if (is_word(t, "in")) {
        if (!(nd = new_node(p, N_IN, a->start, t->end, at))) {
            node_free(a);
            return NULL;
        }
        if (add_kid(p, nd, a) || next(p)) {
            node_free(nd);
            return NULL;
        }
        if (p->tok.kind != T_LP) {
            char got[64];
            tok_text(p, &p->tok, got, sizeof got);
            fail(p, CARTA_ECONFIG, p->tok.start, "expected '(' after 'in', found %s", got);
            node_free(nd);
            return NULL;
        }
        if (next(p)) {
            node_free(nd);
            return NULL;
        }
        for (;;) {
            node *lit = is_word(&p->tok, "date") ? parse_date_literal(p) : parse_literal(p);
            if (!lit || add_kid(p, nd, lit)) {
                node_free(nd);
                return NULL;
            }
            if (p->tok.kind == T_COMMA) {
                if (next(p)) {
                    node_free(nd);
                    return NULL;
                }
                continue;
            }
            if (p->tok.kind == T_RP) break;
            char got[64];
            tok_text(p, &p->tok, got, sizeof got);
            fail(p, CARTA_ECONFIG, p->tok.start, "expected ',' or ')' in the list, found %s", got);
            node_free(nd);
            return NULL;
        }
        nd->end = p->tok.end;
        if (next(p)) {
            node_free(nd);
            return NULL;
        }
        if (negate) {
            node *nn = new_node(p, N_NOT, nd->start, nd->end, not_at);
            if (!nn) {
                node_free(nd);
                return NULL;
            }
            if (add_kid(p, nn, nd)) {
                node_free(nn);
                return NULL;
            }
            nd = nn;
        }
    } else if (is_word(t, "is")) {
        if (!(nd = new_node(p, N_ISMISS, a->start, t->end, at))) {
            node_free(a);
            return NULL;
        }
        if (add_kid(p, nd, a) || next(p)) {
            node_free(nd);
            return NULL;
        }
        if (is_word(&p->tok, "not")) {
            nd->op = 1;
            if (next(p)) {
                node_free(nd);
                return NULL;
            }
        }
        if (!is_word(&p->tok, "missing")) {
            char got[64];
            tok_text(p, &p->tok, got, sizeof got);
            fail(p, CARTA_ECONFIG, p->tok.start, "expected 'missing' or 'not missing' after 'is', found %s", got);
            node_free(nd);
            return NULL;
        }
        nd->end = p->tok.end;
        if (next(p)) {
            node_free(nd);
            return NULL;
        }
    } else {
        return a;
    }
    if (is_cmp_next(p)) {
        fail(p, CARTA_ECONFIG, p->tok.start, "comparisons cannot be chained (combine them with && and parentheses)");
        node_free(nd);
        return NULL;
    }
    return nd;
}

static node *parse_not(parser *p)
{
    if (p->tok.kind == T_NOT) {
        size_t at = p->tok.start;
        if (enter(p) || next(p)) return NULL;
        node *kid = parse_not(p);
        if (!kid) return NULL;
        p->depth--;
        node *nd = new_node(p, N_NOT, at, kid->end, at);
        if (!nd) {
            node_free(kid);
            return NULL;
        }
        if (add_kid(p, nd, kid)) {
            node_free(nd);
            return NULL;
        }
        return nd;
    }
    return parse_cmp(p);
}

static node *parse_and(parser *p)
{
    node *a = parse_not(p);
    while (a && p->tok.kind == T_AND) {
        size_t at = p->tok.start;
        node *b = NULL;
        if (next(p) || !(b = parse_not(p))) {
            node_free(a);
            return NULL;
        }
        a = binary(p, N_AND, 0, at, a, b);
    }
    return a;
}

static node *parse_or(parser *p)
{
    node *a = parse_and(p);
    while (a && p->tok.kind == T_OR) {
        size_t at = p->tok.start;
        node *b = NULL;
        if (next(p) || !(b = parse_and(p))) {
            node_free(a);
            return NULL;
        }
        a = binary(p, N_OR, 0, at, a, b);
    }
    return a;
}

/* Collects the distinct column names of the tree into e->cols. */
static int collect_cols(carta_expr *e, const node *nd)
{
    if (nd->kind == N_COL) {
        for (size_t i = 0; i < e->n_cols; i++)
            if (strcmp(e->cols[i], nd->str) == 0) goto kids;
        char **c = carta_realloc(e->cols, (e->n_cols + 1) * sizeof *c);
        if (!c) return CARTA_ENOMEM;
        e->cols = c;
        if (!(e->cols[e->n_cols] = carta_strdup(nd->str))) return CARTA_ENOMEM;
        e->n_cols++;
    }
kids:
    for (size_t i = 0; i < nd->n_kids; i++)
        if (collect_cols(e, nd->kids[i])) return CARTA_ENOMEM;
    return CARTA_OK;
}

int carta_expr_parse(const char *text, const char *where_name, carta_expr **out, carta_error *err)
{
    *out = NULL;
    const char *name = where_name ? where_name : "expression";
    carta_expr *e = carta_calloc(1, sizeof *e);
    if (!e || !(e->text = carta_strdup(text ? text : "")) || !(e->name = carta_strdup(name))) {
        carta_expr_free(e);
        return expr_error(err, CARTA_ENOMEM, name, 0, "no memory to parse the expression");
    }
    parser p = { .s = e->text, .len = strlen(e->text), .name = name, .err = err };
    int rc = next(&p);
    if (rc == CARTA_OK && p.tok.kind == T_END)
        rc = fail(&p, CARTA_ECONFIG, p.tok.start, "empty expression");
    if (rc == CARTA_OK) {
        e->root = parse_or(&p);
        if (!e->root) {
            rc = p.failed ? p.code : nomem(&p);
        } else if (p.tok.kind != T_END) {
            char got[64];
            tok_text(&p, &p.tok, got, sizeof got);
            if (p.tok.kind == T_RP)
                rc = fail(&p, CARTA_ECONFIG, p.tok.start, "unmatched ')'");
            else
                rc = fail(&p, CARTA_ECONFIG, p.tok.start, "expected an operator or the end of the expression, found %s",
                          got);
        }
    }
    if (rc == CARTA_OK && p.failed) rc = p.code;
    carta_free(p.tok.str);
    if (rc == CARTA_OK && collect_cols(e, e->root))
        rc = expr_error(err, CARTA_ENOMEM, name, 0, "no memory to parse the expression");
    if (rc != CARTA_OK) {
        carta_expr_free(e);
        return rc;
    }
    e->n_nodes = p.n_nodes;
    *out = e;
    return CARTA_OK;
}

/* ---- binding -------------------------------------------------------------------------------- */

static const char *type_word(carta_expr_type t)
{
    switch (t) {
    case CARTA_EXPR_BOOL: return "condition";
    case CARTA_EXPR_NUM: return "number";
    case CARTA_EXPR_STR: return "string";
    case CARTA_EXPR_DATE: return "date";
    }
    return "value";
}

typedef struct binder {
    const carta_expr *e;
    const carta_table *t;
    carta_error *err;
} binder;

/* The node's source text, shortened, for messages. */
static void src(const binder *b, const node *nd, char *buf, size_t cap)
{
    size_t n = nd->end - nd->start;
    if (n > 40) snprintf(buf, cap, "%.37s...", b->e->text + nd->start);
    else snprintf(buf, cap, "%.*s", (int)n, b->e->text + nd->start);
}

static int berr(const binder *b, long pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int berr(const binder *b, long pos, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return expr_error(b->err, CARTA_ECONFIG, b->e->name, pos, "%s", msg);
}

static int numeric_like(carta_expr_type t) { return t == CARTA_EXPR_NUM || t == CARTA_EXPR_BOOL; }

/* Reads an N_STR literal as a date for a comparison with a date. */
static int coerce_date(const binder *b, node *lit)
{
    int64_t days;
    if (strlen(lit->str) != 10 || carta_parse_date(lit->str, strlen(lit->str), &days) != 0)
        return berr(b, lit->pos, "'%s' is compared with a date but is not a date (expected 'YYYY-MM-DD')", lit->str);
    lit->as_date = 1;
    lit->num = (double)days;
    lit->type = CARTA_EXPR_DATE;
    return CARTA_OK;
}

static int bind_node(const binder *b, node *nd)
{
    for (size_t i = 0; i < nd->n_kids; i++) {
        int rc = bind_node(b, nd->kids[i]);
        if (rc) return rc;
    }
    char sa[64], sb[64];
    node *a = nd->n_kids > 0 ? nd->kids[0] : NULL;
    node *c = nd->n_kids > 1 ? nd->kids[1] : NULL;
    switch (nd->kind) {
    case N_NUM: nd->type = CARTA_EXPR_NUM; return CARTA_OK;
    case N_STR: nd->type = CARTA_EXPR_STR; nd->as_date = 0; return CARTA_OK;
    case N_DATE: nd->type = CARTA_EXPR_DATE; return CARTA_OK;
    case N_BOOL: nd->type = CARTA_EXPR_BOOL; return CARTA_OK;
    case N_COL: {
        const carta_column *col = carta_table_find(b->t, nd->str);
        if (!col) {
            const char *best = NULL;
            size_t bd = (size_t)-1;
            for (size_t i = 0; i < carta_table_ncols(b->t); i++) {
                const char *cn = carta_table_column(b->t, i)->name;
                size_t d = carta_expr_edit_distance(nd->str, cn);
                if (d < bd) { bd = d; best = cn; }
            }
            size_t len = strlen(nd->str), lim = len / 3 > 2 ? len / 3 : 2;
            if (best && bd <= lim) return berr(b, nd->pos, "unknown column %s (did you mean %s?)", nd->str, best);
            return berr(b, nd->pos, "unknown column %s", nd->str);
        }
        nd->col_type = col->type;
        switch (col->type) {
        case CARTA_F64:
        case CARTA_I64: nd->type = CARTA_EXPR_NUM; break;
        case CARTA_BOOL: nd->type = CARTA_EXPR_BOOL; break;
        case CARTA_DATE: nd->type = CARTA_EXPR_DATE; break;
        case CARTA_STR: nd->type = CARTA_EXPR_STR; break;
        }
        return CARTA_OK;
    }
    case N_NEG:
        if (!numeric_like(a->type)) {
            src(b, a, sa, sizeof sa);
            return berr(b, nd->pos, "cannot negate %s (a %s)", sa, type_word(a->type));
        }
        nd->type = CARTA_EXPR_NUM;
        return CARTA_OK;
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV: {
        static const char sym[] = "+-*/";
        char op = sym[nd->kind - N_ADD];
        src(b, a, sa, sizeof sa);
        src(b, c, sb, sizeof sb);
        if (numeric_like(a->type) && numeric_like(c->type)) {
            nd->type = CARTA_EXPR_NUM;
            return CARTA_OK;
        }
        /* Date arithmetic: date - date = days; date +- days = date; days + date = date. */
        if (a->type == CARTA_EXPR_DATE && c->type == CARTA_EXPR_DATE && nd->kind == N_SUB) {
            nd->type = CARTA_EXPR_NUM;
            return CARTA_OK;
        }
        if (a->type == CARTA_EXPR_DATE && numeric_like(c->type) && (nd->kind == N_ADD || nd->kind == N_SUB)) {
            nd->type = CARTA_EXPR_DATE;
            return CARTA_OK;
        }
        if (numeric_like(a->type) && c->type == CARTA_EXPR_DATE && nd->kind == N_ADD) {
            nd->type = CARTA_EXPR_DATE;
            return CARTA_OK;
        }
        return berr(b, nd->pos, "cannot compute %s %c %s (%s %c %s)", sa, op, sb, type_word(a->type), op,
                    type_word(c->type));
    }
    case N_FUNC:
        for (size_t i = 0; i < nd->n_kids; i++) {
            if (!numeric_like(nd->kids[i]->type)) {
                src(b, nd->kids[i], sa, sizeof sa);
                return berr(b, nd->kids[i]->pos, "%s needs a number, but %s is a %s", fn_name[nd->op], sa,
                            type_word(nd->kids[i]->type));
            }
        }
        nd->type = CARTA_EXPR_NUM;
        return CARTA_OK;
    case N_CMP: {
        if (a->type == CARTA_EXPR_DATE && c->kind == N_STR) {
            int rc = coerce_date(b, c);
            if (rc) return rc;
        } else if (c->type == CARTA_EXPR_DATE && a->kind == N_STR) {
            int rc = coerce_date(b, a);
            if (rc) return rc;
        }
        int ok = (numeric_like(a->type) && numeric_like(c->type)) || (a->type == c->type);
        if (!ok) {
            src(b, a, sa, sizeof sa);
            src(b, c, sb, sizeof sb);
            return berr(b, nd->pos, "cannot compare %s (%s) with %s (%s)", sa, type_word(a->type), sb,
                        type_word(c->type));
        }
        nd->type = CARTA_EXPR_BOOL;
        return CARTA_OK;
    }
    case N_IN:
        for (size_t i = 1; i < nd->n_kids; i++) {
            node *lit = nd->kids[i];
            if (a->type == CARTA_EXPR_DATE && lit->kind == N_STR) {
                int rc = coerce_date(b, lit);
                if (rc) return rc;
            }
            int ok = (numeric_like(a->type) && lit->type == CARTA_EXPR_NUM) || a->type == lit->type;
            if (!ok) {
                src(b, a, sa, sizeof sa);
                src(b, lit, sb, sizeof sb);
                return berr(b, lit->pos, "cannot compare %s (%s) with %s (%s) in the list", sa,
                            type_word(a->type), sb, type_word(lit->type));
            }
        }
        nd->type = CARTA_EXPR_BOOL;
        return CARTA_OK;
    case N_ISMISS: nd->type = CARTA_EXPR_BOOL; return CARTA_OK;
    case N_NOT:
    case N_AND:
    case N_OR:
        for (size_t i = 0; i < nd->n_kids; i++) {
            if (nd->kids[i]->type != CARTA_EXPR_BOOL) {
                src(b, nd->kids[i], sa, sizeof sa);
                const char *opn = nd->kind == N_NOT ? "!" : nd->kind == N_AND ? "&&" : "||";
                return berr(b, nd->kids[i]->pos, "%s needs a condition, but %s is a %s", opn, sa,
                            type_word(nd->kids[i]->type));
            }
        }
        nd->type = CARTA_EXPR_BOOL;
        return CARTA_OK;
    }
    return CARTA_OK;
}

int carta_expr_bind(carta_expr *e, const carta_table *t, carta_error *err)
{
    binder b = { .e = e, .t = t, .err = err };
    e->bound = 0;
    int rc = bind_node(&b, e->root);
    if (rc == CARTA_OK) e->bound = 1;
    return rc;
}

carta_expr_type carta_expr_result_type(const carta_expr *e)
{
    return e->bound ? e->root->type : CARTA_EXPR_BOOL;
}

const char *carta_expr_text(const carta_expr *e) { return e->text; }
const char *carta_expr_name(const carta_expr *e) { return e->name; }
size_t carta_expr_ncolumns(const carta_expr *e) { return e->n_cols; }
const char *carta_expr_column(const carta_expr *e, size_t i) { return i < e->n_cols ? e->cols[i] : NULL; }

/* ---- evaluation ----------------------------------------------------------------------------- */

/* Kleene's strong logic over {0 false, 1 true, 2 missing}, indexed [a * 3 + b]. */
static const uint8_t AND3[9] = { 0, 0, 0, 0, 1, 2, 0, 2, 2 };
static const uint8_t OR3[9] = { 0, 1, 2, 1, 1, 1, 2, 1, 2 };
static const uint8_t NOT3[3] = { 1, 0, 2 };

typedef struct evalctx {
    const carta_expr *e;
    double *num;             /* n_nodes x CHUNK numbers */
    uint8_t *bl;             /* n_nodes x CHUNK conditions */
    const carta_column **col; /* per node: the column (N_COL) */
    uint8_t **lut;           /* per node: per-level results of string comparisons */
} evalctx;

static const double *ev_num(const node *nd, const evalctx *c, size_t r0, size_t n);
static const uint8_t *ev_bool(const node *nd, const evalctx *c, size_t r0, size_t n);

static int str_cmp_result(int op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: return 0;
    }
}

static const double *ev_num(const node *nd, const evalctx *c, size_t r0, size_t n)
{
    double *out = c->num + nd->id * CARTA_EXPR_CHUNK;
    switch (nd->kind) {
    case N_NUM:
    case N_DATE:
        for (size_t i = 0; i < n; i++) out[i] = nd->num;
        return out;
    case N_STR: /* a literal read as a date */
        for (size_t i = 0; i < n; i++) out[i] = nd->as_date ? nd->num : MISS;
        return out;
    case N_BOOL:
    case N_CMP:
    case N_IN:
    case N_ISMISS:
    case N_NOT:
    case N_AND:
    case N_OR: {
        const uint8_t *v = ev_bool(nd, c, r0, n);
        for (size_t i = 0; i < n; i++) out[i] = v[i] == 2 ? MISS : (double)v[i];
        return out;
    }
    case N_COL: {
        const carta_column *col = c->col[nd->id];
        if (col->type == CARTA_F64) return col->f64 + r0; /* NaN already marks missing */
        if (col->type == CARTA_BOOL) {
            const uint8_t *v = ev_bool(nd, c, r0, n);
            for (size_t i = 0; i < n; i++) out[i] = v[i] == 2 ? MISS : (double)v[i];
            return out;
        }
        const int64_t *v = col->i64 + r0;
        for (size_t i = 0; i < n; i++) out[i] = (double)v[i];
        if (col->missing)
            for (size_t i = 0; i < n; i++)
                if (carta_column_is_missing(col, r0 + i)) out[i] = MISS;
        return out;
    }
    case N_NEG: {
        const double *a = ev_num(nd->kids[0], c, r0, n);
        for (size_t i = 0; i < n; i++) out[i] = -a[i];
        return out;
    }
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV: {
        const double *a = ev_num(nd->kids[0], c, r0, n);
        const double *b = ev_num(nd->kids[1], c, r0, n);
        if (nd->kind == N_ADD)
            for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
        else if (nd->kind == N_SUB)
            for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i];
        else if (nd->kind == N_MUL)
            for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
        else
            for (size_t i = 0; i < n; i++) out[i] = a[i] / b[i];
        return out;
    }
    case N_FUNC: {
        const double *a = ev_num(nd->kids[0], c, r0, n);
        switch (nd->op) {
        case F_LOG: for (size_t i = 0; i < n; i++) out[i] = log(a[i]); break;
        case F_LOG2: for (size_t i = 0; i < n; i++) out[i] = log2(a[i]); break;
        case F_EXP: for (size_t i = 0; i < n; i++) out[i] = exp(a[i]); break;
        case F_ABS: for (size_t i = 0; i < n; i++) out[i] = fabs(a[i]); break;
        default: {
            /* min/max: missing when any argument is missing (R's default na.rm = FALSE). */
            memcpy(out, a, n * sizeof *out);
            for (size_t k = 1; k < nd->n_kids; k++) {
                const double *b = ev_num(nd->kids[k], c, r0, n);
                if (nd->op == F_MIN) {
                    for (size_t i = 0; i < n; i++) out[i] = (isnan(out[i]) || isnan(b[i])) ? MISS : b[i] < out[i] ? b[i] : out[i];
                } else {
                    for (size_t i = 0; i < n; i++) out[i] = (isnan(out[i]) || isnan(b[i])) ? MISS : b[i] > out[i] ? b[i] : out[i];
                }
            }
            break;
        }
        }
        return out;
    }
    }
    return out;
}

static void cmp_num(int op, const double *a, const double *b, uint8_t *out, size_t n)
{
    /* A NaN operand (missing) makes the result missing; written as two passes so that each
       loop stays simple enough to vectorise. */
    switch (op) {
    case OP_EQ: for (size_t i = 0; i < n; i++) out[i] = a[i] == b[i]; break;
    case OP_NE: for (size_t i = 0; i < n; i++) out[i] = a[i] != b[i]; break;
    case OP_LT: for (size_t i = 0; i < n; i++) out[i] = a[i] < b[i]; break;
    case OP_LE: for (size_t i = 0; i < n; i++) out[i] = a[i] <= b[i]; break;
    case OP_GT: for (size_t i = 0; i < n; i++) out[i] = a[i] > b[i]; break;
    default: for (size_t i = 0; i < n; i++) out[i] = a[i] >= b[i]; break;
    }
    for (size_t i = 0; i < n; i++)
        if (isnan(a[i]) || isnan(b[i])) out[i] = 2;
}

/* String operands are columns or literals: the text of row r (NULL when missing). */
static const char *str_at(const node *nd, const evalctx *c, size_t r)
{
    if (nd->kind == N_STR) return nd->str;
    return carta_column_str(c->col[nd->id], r);
}

static const uint8_t *ev_bool(const node *nd, const evalctx *c, size_t r0, size_t n)
{
    uint8_t *out = c->bl + nd->id * CARTA_EXPR_CHUNK;
    switch (nd->kind) {
    case N_BOOL:
        memset(out, (int)nd->num, n);
        return out;
    case N_COL: {
        const carta_column *col = c->col[nd->id];
        const int64_t *v = col->i64 + r0;
        for (size_t i = 0; i < n; i++) out[i] = v[i] != 0;
        if (col->missing)
            for (size_t i = 0; i < n; i++)
                if (carta_column_is_missing(col, r0 + i)) out[i] = 2;
        return out;
    }
    case N_CMP: {
        const node *a = nd->kids[0], *b = nd->kids[1];
        if (a->type == CARTA_EXPR_STR) {
            const uint8_t *lut = c->lut[nd->id];
            if (lut) { /* one column against a literal: the per-level table */
                const node *colnode = a->kind == N_COL ? a : b;
                const carta_column *col = c->col[colnode->id];
                const uint32_t *code = col->code + r0;
                for (size_t i = 0; i < n; i++) out[i] = lut[code[i]];
                if (col->missing)
                    for (size_t i = 0; i < n; i++)
                        if (carta_column_is_missing(col, r0 + i)) out[i] = 2;
                return out;
            }
            for (size_t i = 0; i < n; i++) {
                const char *x = str_at(a, c, r0 + i), *y = str_at(b, c, r0 + i);
                out[i] = (!x || !y) ? 2 : (uint8_t)str_cmp_result(nd->op, strcmp(x, y));
            }
            return out;
        }
        const double *x = ev_num(a, c, r0, n);
        const double *y = ev_num(b, c, r0, n);
        cmp_num(nd->op, x, y, out, n);
        return out;
    }
    case N_IN: {
        const node *a = nd->kids[0];
        if (a->type == CARTA_EXPR_STR) {
            if (a->kind == N_COL) {
                const carta_column *col = c->col[a->id];
                const uint8_t *lut = c->lut[nd->id];
                const uint32_t *code = col->code + r0;
                for (size_t i = 0; i < n; i++) out[i] = lut[code[i]];
                if (col->missing)
                    for (size_t i = 0; i < n; i++)
                        if (carta_column_is_missing(col, r0 + i)) out[i] = 2;
                return out;
            }
            uint8_t hit = 0;
            for (size_t k = 1; k < nd->n_kids; k++) hit |= strcmp(a->str, nd->kids[k]->str) == 0;
            memset(out, hit, n);
            return out;
        }
        const double *x = ev_num(a, c, r0, n);
        memset(out, 0, n);
        for (size_t k = 1; k < nd->n_kids; k++) {
            double v = nd->kids[k]->num;
            for (size_t i = 0; i < n; i++) out[i] |= x[i] == v;
        }
        for (size_t i = 0; i < n; i++)
            if (isnan(x[i])) out[i] = 2;
        return out;
    }
    case N_ISMISS: {
        const node *a = nd->kids[0];
        uint8_t yes = nd->op ? 0 : 1; /* `is not missing` flips the answer */
        if (a->type == CARTA_EXPR_STR) {
            if (a->kind == N_STR) {
                memset(out, !yes, n);
                return out;
            }
            const carta_column *col = c->col[a->id];
            for (size_t i = 0; i < n; i++) out[i] = carta_column_is_missing(col, r0 + i) ? yes : !yes;
            return out;
        }
        if (a->type == CARTA_EXPR_BOOL) {
            const uint8_t *v = ev_bool(a, c, r0, n);
            for (size_t i = 0; i < n; i++) out[i] = v[i] == 2 ? yes : !yes;
            return out;
        }
        const double *v = ev_num(a, c, r0, n);
        for (size_t i = 0; i < n; i++) out[i] = isnan(v[i]) ? yes : !yes;
        return out;
    }
    case N_NOT: {
        const uint8_t *a = ev_bool(nd->kids[0], c, r0, n);
        for (size_t i = 0; i < n; i++) out[i] = NOT3[a[i]];
        return out;
    }
    case N_AND:
    case N_OR: {
        const uint8_t *a = ev_bool(nd->kids[0], c, r0, n);
        const uint8_t *b = ev_bool(nd->kids[1], c, r0, n);
        const uint8_t *tab = nd->kind == N_AND ? AND3 : OR3;
        for (size_t i = 0; i < n; i++) out[i] = tab[a[i] * 3 + b[i]];
        return out;
    }
    case N_NUM:
    case N_STR:
    case N_DATE:
    case N_NEG:
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV:
    case N_FUNC:
    default: {
        /* Not reached for a bound condition; a number is read as true when nonzero. */
        const double *v = ev_num(nd, c, r0, n);
        for (size_t i = 0; i < n; i++) out[i] = isnan(v[i]) ? 2 : v[i] != 0;
        return out;
    }
    }
}

/* Resolves the columns of every N_COL node and builds the per-level lookup tables of string
   comparisons with literals. */
static int prepare(const carta_expr *e, const node *nd, const carta_table *t, evalctx *c, carta_error *err)
{
    for (size_t i = 0; i < nd->n_kids; i++) {
        int rc = prepare(e, nd->kids[i], t, c, err);
        if (rc) return rc;
    }
    if (nd->kind == N_COL) {
        const carta_column *col = carta_table_find(t, nd->str);
        if (!col) return expr_error(err, CARTA_EDATA, e->name, nd->pos, "column %s is not in the table", nd->str);
        int same = col->type == nd->col_type ||
                   ((col->type == CARTA_F64 || col->type == CARTA_I64) &&
                    (nd->col_type == CARTA_F64 || nd->col_type == CARTA_I64));
        if (!same)
            return expr_error(err, CARTA_EDATA, e->name, nd->pos, "column %s is a %s here but was a %s when checked",
                              nd->str, carta_type_name(col->type), carta_type_name(nd->col_type));
        c->col[nd->id] = col;
        return CARTA_OK;
    }
    const node *a = nd->n_kids ? nd->kids[0] : NULL;
    if (nd->kind == N_CMP && a->type == CARTA_EXPR_STR) {
        const node *b = nd->kids[1];
        const node *colnode = NULL, *lit = NULL;
        int flip = 0;
        if (a->kind == N_COL && b->kind == N_STR) { colnode = a; lit = b; }
        else if (a->kind == N_STR && b->kind == N_COL) { colnode = b; lit = a; flip = 1; }
        if (!colnode) return CARTA_OK;
        const carta_column *col = c->col[colnode->id];
        uint8_t *lut = carta_malloc(col->n_levels + 1);
        if (!lut) return expr_error(err, CARTA_ENOMEM, e->name, 0, "no memory to evaluate the expression");
        lut[0] = 0; /* code 0 of a column without levels (all missing) */
        for (size_t k = 0; k < col->n_levels; k++) {
            int r = strcmp(col->levels[k], lit->str);
            lut[k] = (uint8_t)str_cmp_result(nd->op, flip ? -r : r);
        }
        c->lut[nd->id] = lut;
    } else if (nd->kind == N_IN && a->type == CARTA_EXPR_STR && a->kind == N_COL) {
        const carta_column *col = c->col[a->id];
        uint8_t *lut = carta_calloc(col->n_levels + 1, 1);
        if (!lut) return expr_error(err, CARTA_ENOMEM, e->name, 0, "no memory to evaluate the expression");
        for (size_t k = 0; k < col->n_levels; k++)
            for (size_t j = 1; j < nd->n_kids; j++)
                if (strcmp(col->levels[k], nd->kids[j]->str) == 0) lut[k] = 1;
        c->lut[nd->id] = lut;
    }
    return CARTA_OK;
}

static void ctx_free(evalctx *c, size_t n_nodes)
{
    if (c->lut)
        for (size_t i = 0; i < n_nodes; i++) carta_free(c->lut[i]);
    carta_free(c->lut);
    carta_free(c->col);
    carta_free(c->num);
    carta_free(c->bl);
}

/* Evaluates e over t into out_num or out_bool (one of them). */
static int evaluate(const carta_expr *e, const carta_table *t, double *out_num, uint8_t *out_bool, carta_error *err)
{
    if (!e->bound)
        return expr_error(err, CARTA_ECONFIG, e->name, 0, "the expression was not checked against a table");
    evalctx c = { .e = e };
    size_t nn = e->n_nodes;
    int rc = CARTA_OK;
    c.num = carta_malloc(nn * CARTA_EXPR_CHUNK * sizeof *c.num);
    c.bl = carta_malloc(nn * CARTA_EXPR_CHUNK);
    c.col = carta_calloc(nn, sizeof *c.col);
    c.lut = carta_calloc(nn, sizeof *c.lut);
    if (!c.num || !c.bl || !c.col || !c.lut)
        rc = expr_error(err, CARTA_ENOMEM, e->name, 0, "no memory to evaluate the expression");
    if (rc == CARTA_OK) rc = prepare(e, e->root, t, &c, err);
    if (rc == CARTA_OK) {
        size_t n = carta_table_nrows(t);
        for (size_t r0 = 0; r0 < n; r0 += CARTA_EXPR_CHUNK) {
            size_t m = n - r0 < CARTA_EXPR_CHUNK ? n - r0 : CARTA_EXPR_CHUNK;
            if (out_bool) memcpy(out_bool + r0, ev_bool(e->root, &c, r0, m), m);
            else memcpy(out_num + r0, ev_num(e->root, &c, r0, m), m * sizeof *out_num);
        }
    }
    ctx_free(&c, nn);
    return rc;
}

int carta_expr_eval_bool(const carta_expr *e, const carta_table *t, uint8_t *out, carta_error *err)
{
    if (e->bound && e->root->type != CARTA_EXPR_BOOL)
        return expr_error(err, CARTA_ECONFIG, e->name, 1, "%s is a %s, not a condition", e->text,
                          type_word(e->root->type));
    return evaluate(e, t, NULL, out, err);
}

int carta_expr_eval_num(const carta_expr *e, const carta_table *t, double *out, carta_error *err)
{
    if (e->bound && e->root->type == CARTA_EXPR_STR)
        return expr_error(err, CARTA_ECONFIG, e->name, 1, "%s is a string, not a number", e->text);
    return evaluate(e, t, out, NULL, err);
}

int carta_expr_filter(const char *text, const char *where_name, const carta_table *t, uint8_t *out,
                      carta_error *err)
{
    carta_expr *e = NULL;
    int rc = carta_expr_parse(text, where_name, &e, err);
    if (rc == CARTA_OK) rc = carta_expr_bind(e, t, err);
    if (rc == CARTA_OK) rc = carta_expr_eval_bool(e, t, out, err);
    carta_expr_free(e);
    return rc;
}
