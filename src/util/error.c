/* Error records: first error wins, location first in the message. */
#include <carta/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void carta_error_clear(carta_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
}

/* Copies src into a fixed buffer, truncating safely. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    if (!src) { dst[0] = '\0'; return; }
    snprintf(dst, cap, "%s", src);
}

int carta_error_set(carta_error *err, int code, const carta_where *at, const char *fmt, ...)
{
    if (!err || err->code != CARTA_OK) return code;
    err->code = code;
    size_t used = 0;
    int k;
    err->msg[0] = '\0';
    if (at) {
        err->row = at->row;
        err->line = at->line;
        err->col = at->col;
        copy_text(err->file, sizeof err->file, at->file);
        copy_text(err->field, sizeof err->field, at->field);
        /* Location first: "file:row: " or "file:line:col: ", then "column F: " or "/json/ptr: ". */
        if (at->file) {
            if (at->line > 0 && at->col > 0)
                k = snprintf(err->msg, sizeof err->msg, "%s:%ld:%ld: ", at->file, at->line, at->col);
            else if (at->row > 0)
                k = snprintf(err->msg, sizeof err->msg, "%s:%ld: ", at->file, at->row);
            else
                k = snprintf(err->msg, sizeof err->msg, "%s: ", at->file);
            if (k > 0) used = (size_t)k < sizeof err->msg ? (size_t)k : sizeof err->msg - 1;
        } else if (at->row > 0) {
            k = snprintf(err->msg, sizeof err->msg, "row %ld: ", at->row);
            if (k > 0) used = (size_t)k < sizeof err->msg ? (size_t)k : sizeof err->msg - 1;
        }
        if (at->field && used < sizeof err->msg - 1) {
            if (at->field[0] == '/' || at->field[0] == '\0')
                k = snprintf(err->msg + used, sizeof err->msg - used, "%s: ",
                             at->field[0] ? at->field : "(root)");
            else
                k = snprintf(err->msg + used, sizeof err->msg - used, "column %s: ", at->field);
            if (k > 0) used += (size_t)k < sizeof err->msg - used ? (size_t)k : sizeof err->msg - used - 1;
        }
    }
    if (fmt && used < sizeof err->msg - 1) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg + used, sizeof err->msg - used, fmt, ap);
        va_end(ap);
    }
    return code;
}

void carta_error_prefix(carta_error *err, const char *fmt, ...)
{
    if (!err || err->code == CARTA_OK) return;
    char head[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable here: the message keeps its start, which names the place. */
    size_t k = strlen(head);
    if (k >= sizeof err->msg) k = sizeof err->msg - 1;
    memcpy(err->msg, head, k);
    size_t rest = strlen(old);
    if (rest > sizeof err->msg - 1 - k) rest = sizeof err->msg - 1 - k;
    memcpy(err->msg + k, old, rest);
    err->msg[k + rest] = '\0';
}

const char *carta_strerror(int code)
{
    switch (code) {
    case CARTA_OK: return "success";
    case CARTA_EUSAGE: return "usage error";
    case CARTA_ECONFIG: return "config error";
    case CARTA_EDATA: return "data error";
    case CARTA_EIO: return "I/O error";
    case CARTA_ENOMEM: return "out of memory";
    case CARTA_ENUMERIC: return "numerical error";
    case CARTA_EDEP: return "dependency error";
    case CARTA_ECHECK: return "check failed";
    default: return "unknown error";
    }
}
