/* The validation report in words: one sentence per group of violations ("adsl.csv: 3 rows
   violate AGE minimum 18, e.g. row 14: 12, row 201: 9, row 230: 3"), the status a run stops
   on, and the per-table report `carta validate` prints. */
#include "schema_int.h"

#include <carta/validate.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends formatted text to buf[cap] at *used, never overflowing. */
static void put(char *buf, size_t cap, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    *used += (size_t)k < cap - *used ? (size_t)k : cap - *used - 1;
}

/* Rules whose findings are rows (the others are about columns). */
static int row_rule(const char *rule)
{
    static const char *const rows[] = { "required", "type", "enum", "minimum", "maximum", "pattern", "minLength",
                                        "maxLength", "unique", "primaryKey", "uniqueKey", "foreignKey" };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strcmp(rule, rows[i]) == 0) return 1;
    return 0;
}

/* Values that read as numbers are shown bare; other text is quoted so that blanks show. */
static void put_value(char *buf, size_t cap, size_t *used, const char *value)
{
    double x;
    if (!value) put(buf, cap, used, "(missing)");
    else if (carta_validate_parse_number(value, strlen(value), &x) == 0) put(buf, cap, used, "%s", value);
    else put(buf, cap, used, "\"%s\"", value);
}

char *carta_vgroup_describe(const carta_vgroup *g, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    const char *where = g->file ? g->file : g->table;
    if (row_rule(g->rule)) {
        put(buf, cap, &used, "%s: %zu row%s violate%s %s %s", where, g->count, g->count == 1 ? "" : "s",
            g->count == 1 ? "s" : "", g->column, g->detail);
        for (size_t i = 0; i < g->n_examples; i++) {
            const carta_vexample *e = &g->examples[i];
            put(buf, cap, &used, "%s row %ld", i ? "," : ", e.g.", e->row);
            if (e->row2 > 0) put(buf, cap, &used, " (same as row %ld)", e->row2);
            put(buf, cap, &used, ": ");
            put_value(buf, cap, &used, e->value);
        }
        if (g->count > g->n_examples && g->n_examples) put(buf, cap, &used, ", ...");
    } else if (strcmp(g->rule, "extra") == 0 || strcmp(g->rule, "absent") == 0) {
        /* Long lists (an ADaM file has dozens of columns carta does not read) stop at ten. */
        const char *cut = g->column;
        for (int k = 0; k < 10 && cut; k++) {
            cut = strstr(cut, ", ");
            if (cut) cut += 2;
        }
        int len = cut ? (int)(cut - 2 - g->column) : (int)strlen(g->column);
        put(buf, cap, &used, "%s: %zu %scolumn%s %s: %.*s%s", where, g->count,
            strcmp(g->rule, "absent") == 0 ? "optional " : "", g->count == 1 ? "" : "s", g->detail, len, g->column,
            cut ? ", ..." : "");
    } else if (strcmp(g->rule, "not-checked") == 0) {
        put(buf, cap, &used, "%s: %s (%s)", where, g->detail, g->column);
    } else {
        put(buf, cap, &used, "%s: column %s %s", where, g->column, g->detail);
    }
    return buf;
}

int carta_validation_status(const carta_validation *v, carta_error *err)
{
    if (!v || v->n_errors == 0) return CARTA_OK;
    const carta_vgroup *g = NULL;
    size_t n_groups = 0;
    for (size_t i = 0; i < v->n_groups; i++) {
        if (v->groups[i].severity != CARTA_VALIDATE_ERROR) continue;
        if (!g) g = &v->groups[i];
        n_groups++;
    }
    if (!g) return CARTA_OK;
    if (!err || err->code != CARTA_OK) return CARTA_ECHECK;
    char text[sizeof err->msg];
    carta_vgroup_describe(g, text, sizeof text);
    carta_error_set(err, CARTA_ECHECK, NULL, "%s", text);
    if (n_groups > 1) {
        size_t used = strlen(err->msg);
        put(err->msg, sizeof err->msg, &used, " (%zu violations of %zu rules in all)", v->n_errors, n_groups);
    }
    snprintf(err->file, sizeof err->file, "%s", g->file ? g->file : g->table);
    snprintf(err->field, sizeof err->field, "%s", g->column);
    err->row = g->n_examples ? g->examples[0].row : 0;
    return CARTA_ECHECK;
}

static void print_table(const carta_validation *v, const carta_vtable *t, FILE *fp)
{
    fprintf(fp, "%s (%s): %zu row%s, %zu column%s, %zu violation%s\n", t->table, t->file ? t->file : "in memory",
            t->rows, t->rows == 1 ? "" : "s", t->cols, t->cols == 1 ? "" : "s", t->n_errors,
            t->n_errors == 1 ? "" : "s");
    size_t w = 6;
    for (size_t j = 0; j < t->cols; j++)
        if (strlen(t->columns[j].name) > w) w = strlen(t->columns[j].name);
    fprintf(fp, "  %-*s  %-7s  %-8s  %s\n", (int)w, "column", "loaded", "schema", "missing");
    for (size_t j = 0; j < t->cols; j++) {
        const carta_vcolumn *c = &t->columns[j];
        fprintf(fp, "  %-*s  %-7s  %-8s  %zu\n", (int)w, c->name, carta_type_name(c->type),
                c->in_schema ? carta_schema_kind_name(c->kind) : "-", c->n_missing);
    }
    char line[2048];
    for (int sev = CARTA_VALIDATE_ERROR; sev <= CARTA_VALIDATE_NOTE; sev++)
        for (size_t i = 0; i < v->n_groups; i++) {
            const carta_vgroup *g = &v->groups[i];
            if (g->severity != sev || strcmp(g->table, t->table) != 0) continue;
            fprintf(fp, "  %s: %s\n", sev == CARTA_VALIDATE_ERROR ? "error" : "note",
                    carta_vgroup_describe(g, line, sizeof line));
        }
}

int carta_validation_format(const carta_validation *v, FILE *fp)
{
    size_t shown = 0;
    for (size_t k = 0; k < v->n_tables; k++) {
        /* A table validated twice is printed once, at its last summary. */
        size_t later = k + 1;
        while (later < v->n_tables && strcmp(v->tables[later].table, v->tables[k].table) != 0) later++;
        if (later < v->n_tables) continue;
        print_table(v, &v->tables[k], fp);
        shown++;
    }
    /* Groups of tables without a summary (foreign keys checked alone). */
    char line[2048];
    for (size_t i = 0; i < v->n_groups; i++) {
        const carta_vgroup *g = &v->groups[i];
        size_t k = 0;
        while (k < v->n_tables && strcmp(v->tables[k].table, g->table) != 0) k++;
        if (k < v->n_tables) continue;
        fprintf(fp, "%s: %s\n", g->severity == CARTA_VALIDATE_ERROR ? "error" : "note",
                carta_vgroup_describe(g, line, sizeof line));
    }
    fprintf(fp, "%zu violation%s in %zu table%s\n", v->n_errors, v->n_errors == 1 ? "" : "s", shown,
            shown == 1 ? "" : "s");
    return ferror(fp) ? CARTA_EIO : CARTA_OK;
}
