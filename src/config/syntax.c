/* A JSON syntax checker (RFC 8259) used only to explain why cJSON refused a config: cJSON reports
   where it stopped but not what it expected, and at the end of the input it points at the last
   byte. This walks the same grammar and names the first error and its exact offset, e.g.
   "expected ',' or '}'" or "unterminated string". It builds nothing and allocates nothing. */
#include "config_int.h"

#include <string.h>

typedef struct scan {
    const char *s;
    size_t n, i;
    size_t err_at;
    const char *err;
    int depth;
} scan;

enum { MAX_DEPTH = 1000 }; /* as cJSON's CJSON_NESTING_LIMIT */

static int fail(scan *z, size_t at, const char *what)
{
    z->err_at = at;
    z->err = what;
    return 0;
}

static void ws(scan *z)
{
    while (z->i < z->n && (z->s[z->i] == ' ' || z->s[z->i] == '\t' || z->s[z->i] == '\n' || z->s[z->i] == '\r'))
        z->i++;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Reads four hex digits at offset at into *u; 0 when they are not there. */
static int hex4(const scan *z, size_t at, unsigned *u)
{
    *u = 0;
    for (size_t k = 0; k < 4; k++) {
        if (at + k >= z->n || !is_hex(z->s[at + k])) return 0;
        char c = z->s[at + k];
        *u = *u * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return 1;
}

static int digits(scan *z)
{
    size_t start = z->i;
    while (z->i < z->n && z->s[z->i] >= '0' && z->s[z->i] <= '9') z->i++;
    return z->i > start;
}

static int string(scan *z)
{
    size_t open = z->i++;
    while (z->i < z->n) {
        unsigned char c = (unsigned char)z->s[z->i];
        if (c == '"') { z->i++; return 1; }
        if (c == '\n') return fail(z, open, "unterminated string (a string ends on the line it starts)");
        if (c < 0x20) return fail(z, z->i, "a control character inside a string (write \\t or \\n)");
        if (c == '\\') {
            if (z->i + 1 >= z->n) break;
            char e = z->s[z->i + 1];
            if (e == 'u') {
                unsigned u = 0;
                if (!hex4(z, z->i + 2, &u)) return fail(z, z->i, "\\u must be followed by four hex digits");
                /* UTF-16 surrogates come in pairs, high (D800-DBFF) then low (DC00-DFFF). */
                if (u >= 0xDC00 && u <= 0xDFFF) return fail(z, z->i, "a lone low surrogate in a \\u escape");
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo = 0;
                    if (z->i + 7 >= z->n || z->s[z->i + 6] != '\\' || z->s[z->i + 7] != 'u' ||
                        !hex4(z, z->i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return fail(z, z->i, "a high surrogate \\u escape without its low surrogate");
                    z->i += 6;
                }
                z->i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e)) return fail(z, z->i, "an invalid escape (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            z->i += 2;
            continue;
        }
        z->i++;
    }
    return fail(z, open, "unterminated string");
}

static int number(scan *z)
{
    size_t start = z->i;
    if (z->s[z->i] == '-') z->i++;
    if (z->i < z->n && z->s[z->i] == '0') {
        z->i++;
        if (z->i < z->n && z->s[z->i] >= '0' && z->s[z->i] <= '9')
            return fail(z, start, "a number cannot start with 0 (no leading zeros)");
    } else if (!digits(z)) {
        return fail(z, start, "an invalid number");
    }
    if (z->i < z->n && z->s[z->i] == '.') {
        z->i++;
        if (!digits(z)) return fail(z, start, "an invalid number (digits must follow '.')");
    }
    if (z->i < z->n && (z->s[z->i] == 'e' || z->s[z->i] == 'E')) {
        z->i++;
        if (z->i < z->n && (z->s[z->i] == '+' || z->s[z->i] == '-')) z->i++;
        if (!digits(z)) return fail(z, start, "an invalid number (digits must follow the exponent)");
    }
    return 1;
}

static int value(scan *z);

static int object(scan *z)
{
    z->i++;
    ws(z);
    if (z->i < z->n && z->s[z->i] == '}') { z->i++; return 1; }
    for (;;) {
        ws(z);
        if (z->i >= z->n) return fail(z, z->n, "unexpected end of the file (expected a key in double quotes)");
        char c = z->s[z->i];
        if (c == '}') return fail(z, z->i, "a comma before '}'");
        if (c == '\'') return fail(z, z->i, "keys take double quotes, not single quotes");
        if (c == '/') return fail(z, z->i, "comments are not allowed in JSON");
        if (c != '"') return fail(z, z->i, "expected a key in double quotes");
        if (!string(z)) return 0;
        ws(z);
        if (z->i >= z->n) return fail(z, z->n, "unexpected end of the file (expected ':')");
        if (z->s[z->i] != ':') return fail(z, z->i, "expected ':' after the key");
        z->i++;
        if (!value(z)) return 0;
        ws(z);
        if (z->i >= z->n) return fail(z, z->n, "unexpected end of the file (expected ',' or '}')");
        if (z->s[z->i] == '}') { z->i++; return 1; }
        if (z->s[z->i] == '/') return fail(z, z->i, "comments are not allowed in JSON");
        if (z->s[z->i] != ',') return fail(z, z->i, "expected ',' or '}' (a comma missing between members?)");
        z->i++;
    }
}

static int array(scan *z)
{
    z->i++;
    ws(z);
    if (z->i < z->n && z->s[z->i] == ']') { z->i++; return 1; }
    for (;;) {
        ws(z);
        if (z->i < z->n && z->s[z->i] == ']') return fail(z, z->i, "a comma before ']'");
        if (!value(z)) return 0;
        ws(z);
        if (z->i >= z->n) return fail(z, z->n, "unexpected end of the file (expected ',' or ']')");
        if (z->s[z->i] == ']') { z->i++; return 1; }
        if (z->s[z->i] == '/') return fail(z, z->i, "comments are not allowed in JSON");
        if (z->s[z->i] != ',') return fail(z, z->i, "expected ',' or ']' (a comma missing between values?)");
        z->i++;
    }
}

static int literal(scan *z, const char *word)
{
    size_t k = strlen(word);
    if (z->n - z->i >= k && memcmp(z->s + z->i, word, k) == 0) { z->i += k; return 1; }
    return fail(z, z->i, "an unknown word (strings take double quotes; the literals are true, false, null)");
}

static int value(scan *z)
{
    ws(z);
    if (z->i >= z->n) return fail(z, z->n, "unexpected end of the file (expected a value)");
    char c = z->s[z->i];
    int ok;
    switch (c) {
    case '{':
    case '[':
        if (++z->depth > MAX_DEPTH) return fail(z, z->i, "nested too deeply");
        ok = c == '{' ? object(z) : array(z);
        z->depth--;
        return ok;
    case '"': return string(z);
    case 't': return literal(z, "true");
    case 'f': return literal(z, "false");
    case 'n': return literal(z, "null");
    case '\'': return fail(z, z->i, "strings take double quotes, not single quotes");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(z);
        if (c == '/') return fail(z, z->i, "comments are not allowed in JSON");
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return fail(z, z->i, "an unknown word (strings take double quotes; the literals are true, false, null)");
        return fail(z, z->i, "expected a value");
    }
}

int cfg_json_syntax(const char *text, size_t len, size_t *at, const char **what)
{
    scan z = { .s = text, .n = len };
    if (value(&z)) {
        ws(&z);
        if (z.i == z.n) return 0;
        fail(&z, z.i, "text after the end of the JSON value");
    }
    *at = z.err_at;
    *what = z.err;
    return 1;
}
