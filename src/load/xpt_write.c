/* SAS XPORT v5 output through ReadStat's writer (the simulator's --format xpt). ReadStat needs
   the row count before the first row, which a finished table knows. */
#include <carta/xpt.h>
#include <carta/alloc.h>
#include <carta/fs.h>

#include <readstat.h>
#include <string.h>

#define SAS_EPOCH_OFFSET 3653 /* days from 1960-01-01 to 1970-01-01 */
#define XPORT_MAX_STRING 200

static ssize_t write_bytes(const void *data, size_t len, void *ctx)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len ? (ssize_t)len : -1;
}

/* The upper-case copy of name that XPORT stores, or -1 when it cannot hold it. */
static int check_name(const char *name, carta_where *at, carta_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 8)
        return carta_error_set(err, CARTA_EDATA, at, "XPORT v5 names have 1 to 8 characters (\"%s\" has %zu)", name, n);
    return CARTA_OK;
}

int carta_xpt_write(const carta_table *t, const char *path, const char *member, int force, carta_error *err)
{
    carta_where at = { .file = path };
    int rc = check_name(member, &at, err);
    if (rc) return rc;
    size_t nc = carta_table_ncols(t), nr = carta_table_nrows(t);
    for (size_t j = 0; j < nc; j++) {
        const carta_column *c = carta_table_column(t, j);
        at.field = c->name;
        if ((rc = check_name(c->name, &at, err))) return rc;
        for (size_t k = 0; c->type == CARTA_STR && k < c->n_levels; k++)
            if (strlen(c->levels[k]) > XPORT_MAX_STRING)
                return carta_error_set(err, CARTA_EDATA, &at, "a value is longer than XPORT's %d bytes", XPORT_MAX_STRING);
    }
    at.field = NULL;
    carta_out out;
    if ((rc = carta_out_open(&out, path, force, err))) return rc;
    readstat_writer_t *w = readstat_writer_init();
    readstat_variable_t **vars = carta_calloc(nc ? nc : 1, sizeof *vars);
    if (!w || !vars) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        goto done;
    }
    readstat_error_t e = readstat_set_data_writer(w, write_bytes);
    if (!e) e = readstat_writer_set_file_format_version(w, 5);
    if (!e) e = readstat_writer_set_table_name(w, member);
    for (size_t j = 0; !e && j < nc; j++) {
        const carta_column *c = carta_table_column(t, j);
        size_t width = 1;
        for (size_t k = 0; c->type == CARTA_STR && k < c->n_levels; k++)
            if (strlen(c->levels[k]) > width) width = strlen(c->levels[k]);
        vars[j] = readstat_add_variable(w, c->name, c->type == CARTA_STR ? READSTAT_TYPE_STRING : READSTAT_TYPE_DOUBLE,
                                        c->type == CARTA_STR ? width : 0);
        if (!vars[j]) {
            e = READSTAT_ERROR_MALLOC;
            break;
        }
        if (c->label) readstat_variable_set_label(vars[j], c->label);
        if (c->type == CARTA_DATE) readstat_variable_set_format(vars[j], "DATE9");
    }
    if (!e) e = readstat_begin_writing_xport(w, out.fp, (long)nr);
    for (size_t i = 0; !e && i < nr; i++) {
        e = readstat_begin_row(w);
        for (size_t j = 0; !e && j < nc; j++) {
            const carta_column *c = carta_table_column(t, j);
            if (carta_column_is_missing(c, i)) e = readstat_insert_missing_value(w, vars[j]);
            else if (c->type == CARTA_STR) e = readstat_insert_string_value(w, vars[j], carta_column_str(c, i));
            else if (c->type == CARTA_DATE) e = readstat_insert_double_value(w, vars[j], (double)(c->i64[i] + SAS_EPOCH_OFFSET));
            else e = readstat_insert_double_value(w, vars[j], carta_column_number(c, i));
        }
        if (!e) e = readstat_end_row(w);
    }
    if (!e) e = readstat_end_writing(w);
    if (e) {
        const char *msg = readstat_error_message(e);
        rc = carta_error_set(err, e == READSTAT_ERROR_MALLOC ? CARTA_ENOMEM : CARTA_EDEP, &at, "ReadStat: %s",
                             msg ? msg : "write failed");
    }
done:
    if (w) readstat_writer_free(w);
    carta_free(vars);
    if (rc) {
        carta_out_abort(&out);
        return rc;
    }
    return carta_out_commit(&out, err);
}
