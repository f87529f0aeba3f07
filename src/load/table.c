/* The columnar table: typed growable columns, a missing bitmap, and a string dictionary per
   string column (open addressing on an FNV-1a hash, so each distinct string is stored once). */
#include <carta/table.h>
#include <carta/alloc.h>

#include <math.h>
#include <string.h>

struct carta_dict {
    uint32_t *slots; /* code + 1, 0 = empty */
    size_t cap;      /* power of two */
};

static int dict_intern(carta_column *c, const char *s, size_t len, uint32_t *code);
static int set_text(char **dst, const char *src);

struct carta_table {
    char *source;
    carta_column **cols;
    size_t n, cap;
};

carta_table *carta_table_new(const char *source)
{
    carta_table *t = carta_calloc(1, sizeof *t);
    if (!t) return NULL;
    if (source && !(t->source = carta_strdup(source))) {
        carta_free(t);
        return NULL;
    }
    return t;
}

static void column_free(carta_column *c)
{
    if (!c) return;
    carta_free(c->name);
    carta_free(c->label);
    carta_free(c->unit);
    carta_free(c->format);
    carta_free(c->f64);
    carta_free(c->i64);
    carta_free(c->code);
    for (size_t i = 0; i < c->n_levels; i++) carta_free(c->levels[i]);
    carta_free(c->levels);
    carta_free(c->missing);
    if (c->dict) carta_free(c->dict->slots);
    carta_free(c->dict);
    carta_free(c);
}

void carta_table_free(carta_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) column_free(t->cols[i]);
    carta_free(t->cols);
    carta_free(t->source);
    carta_free(t);
}

size_t carta_table_ncols(const carta_table *t) { return t->n; }
size_t carta_table_nrows(const carta_table *t) { return t->n ? t->cols[0]->n : 0; }
carta_column *carta_table_column(const carta_table *t, size_t i) { return i < t->n ? t->cols[i] : NULL; }
const char *carta_table_source(const carta_table *t) { return t->source; }

carta_column *carta_table_find(const carta_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->cols[i]->name, name) == 0) return t->cols[i];
    return NULL;
}

int carta_table_add_column(carta_table *t, const char *name, carta_type type, carta_column **out,
                           carta_error *err)
{
    carta_where at = { .file = t->source, .field = name };
    *out = NULL;
    if (!name || !name[0]) return carta_error_set(err, CARTA_EDATA, &at, "empty column name");
    if (carta_table_find(t, name))
        return carta_error_set(err, CARTA_EDATA, &at, "duplicate column name \"%s\"", name);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        carta_column **cols = carta_realloc(t->cols, cap * sizeof *cols);
        if (!cols) return carta_error_set(err, CARTA_ENOMEM, &at, "no memory for a new column");
        t->cols = cols;
        t->cap = cap;
    }
    carta_column *c = carta_calloc(1, sizeof *c);
    if (!c || !(c->name = carta_strdup(name))) {
        carta_free(c);
        return carta_error_set(err, CARTA_ENOMEM, &at, "no memory for a new column");
    }
    c->type = type;
    t->cols[t->n++] = c;
    *out = c;
    return CARTA_OK;
}

/* Copies n elements of size sz; NULL src gives NULL. */
static int copy_array(void **dst, const void *src, size_t n, size_t sz)
{
    *dst = NULL;
    if (!src) return CARTA_OK;
    size_t bytes;
    if (carta_size_mul(n ? n : 1, sz, &bytes) || !(*dst = carta_malloc(bytes))) return CARTA_ENOMEM;
    memcpy(*dst, src, n * sz);
    return CARTA_OK;
}

static int column_clone(const carta_column *c, carta_column **out)
{
    carta_column *d = carta_calloc(1, sizeof *d);
    if (!d) return CARTA_ENOMEM;
    d->type = c->type;
    d->n = d->cap = c->n;
    int rc = CARTA_OK;
    if (!(d->name = carta_strdup(c->name)) || set_text(&d->label, c->label) || set_text(&d->unit, c->unit) ||
        set_text(&d->format, c->format) || copy_array((void **)&d->f64, c->f64, c->n, sizeof *c->f64) ||
        copy_array((void **)&d->i64, c->i64, c->n, sizeof *c->i64) ||
        copy_array((void **)&d->code, c->code, c->n, sizeof *c->code) ||
        copy_array((void **)&d->missing, c->missing, (c->n + 7) / 8, 1))
        rc = CARTA_ENOMEM;
    d->n_missing = c->n_missing;
    /* The dictionary is rebuilt by interning the levels in order, so codes stay the same. */
    for (size_t k = 0; rc == CARTA_OK && k < c->n_levels; k++) {
        uint32_t code;
        if (dict_intern(d, c->levels[k], strlen(c->levels[k]), &code)) rc = CARTA_ENOMEM;
    }
    if (rc) {
        column_free(d);
        return rc;
    }
    *out = d;
    return CARTA_OK;
}

int carta_table_clone(const carta_table *t, const char *source, carta_table **out, carta_error *err)
{
    *out = NULL;
    carta_table *c = carta_table_new(source ? source : t->source);
    if (!c) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to copy a table");
    c->cols = carta_calloc(t->n ? t->n : 1, sizeof *c->cols);
    if (!c->cols) {
        carta_table_free(c);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to copy a table");
    }
    c->cap = t->n ? t->n : 1;
    for (size_t i = 0; i < t->n; i++) {
        if (column_clone(t->cols[i], &c->cols[i])) {
            carta_table_free(c);
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to copy a table");
        }
        c->n++;
    }
    *out = c;
    return CARTA_OK;
}

int carta_table_take(const carta_table *t, const size_t *rows, size_t n, carta_table **out, carta_error *err)
{
    *out = NULL;
    size_t nr = carta_table_nrows(t);
    for (size_t k = 0; k < n; k++)
        if (rows[k] >= nr) return carta_error_set(err, CARTA_EDATA, NULL, "row %zu is out of range (%zu rows)", rows[k], nr);
    carta_table *c = carta_table_new(t->source);
    if (!c) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to subset a table");
    for (size_t j = 0; j < t->n; j++) {
        const carta_column *s = t->cols[j];
        carta_column *d;
        int rc = carta_table_add_column(c, s->name, s->type, &d, err);
        if (rc) {
            carta_table_free(c);
            return rc;
        }
        rc = carta_column_set_meta(d, s->label, s->unit, s->format) || carta_column_reserve(d, n);
        /* Same dictionary order as the source, so codes and level order carry over. */
        for (size_t k = 0; !rc && k < s->n_levels; k++) {
            uint32_t code;
            rc = dict_intern(d, s->levels[k], strlen(s->levels[k]), &code);
        }
        for (size_t k = 0; !rc && k < n; k++) {
            size_t i = rows[k];
            if (carta_column_is_missing(s, i)) rc = carta_column_push_missing(d);
            else if (s->type == CARTA_F64) rc = carta_column_push_f64(d, s->f64[i]);
            else if (s->type == CARTA_STR) { d->code[d->n++] = s->code[i]; }
            else rc = carta_column_push_i64(d, s->i64[i]);
        }
        if (rc) {
            carta_table_free(c);
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to subset a table");
        }
    }
    *out = c;
    return CARTA_OK;
}

void carta_table_drop_column(carta_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->cols[i]->name, name) != 0) continue;
        column_free(t->cols[i]);
        memmove(t->cols + i, t->cols + i + 1, (t->n - i - 1) * sizeof *t->cols);
        t->n--;
        return;
    }
}

int carta_table_check(const carta_table *t, carta_error *err)
{
    for (size_t i = 1; i < t->n; i++) {
        if (t->cols[i]->n != t->cols[0]->n) {
            carta_where at = { .file = t->source, .field = t->cols[i]->name };
            return carta_error_set(err, CARTA_EDATA, &at, "has %zu rows where column %s has %zu",
                                   t->cols[i]->n, t->cols[0]->name, t->cols[0]->n);
        }
    }
    return CARTA_OK;
}

static int set_text(char **dst, const char *src)
{
    if (!src) return CARTA_OK;
    char *s = carta_strdup(src);
    if (!s) return CARTA_ENOMEM;
    carta_free(*dst);
    *dst = s;
    return CARTA_OK;
}

int carta_column_set_meta(carta_column *c, const char *label, const char *unit, const char *format)
{
    if (set_text(&c->label, label) || set_text(&c->unit, unit) || set_text(&c->format, format))
        return CARTA_ENOMEM;
    return CARTA_OK;
}

/* Grows one array of the column to cap elements of size sz. */
static int grow(void **p, size_t cap, size_t sz)
{
    size_t bytes;
    if (carta_size_mul(cap, sz, &bytes)) return CARTA_ENOMEM;
    void *q = carta_realloc(*p, bytes);
    if (!q) return CARTA_ENOMEM;
    *p = q;
    return CARTA_OK;
}

int carta_column_reserve(carta_column *c, size_t n)
{
    if (n <= c->cap) return CARTA_OK;
    size_t cap = c->cap ? c->cap : 64;
    while (cap < n) {
        if (cap > SIZE_MAX / 2) return CARTA_ENOMEM;
        cap *= 2;
    }
    int rc;
    switch (c->type) {
    case CARTA_F64: rc = grow((void **)&c->f64, cap, sizeof *c->f64); break;
    case CARTA_I64:
    case CARTA_BOOL:
    case CARTA_DATE: rc = grow((void **)&c->i64, cap, sizeof *c->i64); break;
    case CARTA_STR: rc = grow((void **)&c->code, cap, sizeof *c->code); break;
    default: rc = CARTA_ENOMEM; break;
    }
    if (rc) return rc;
    if (c->missing) {
        size_t old = (c->cap + 7) / 8, now = (cap + 7) / 8;
        if (grow((void **)&c->missing, now, 1)) return CARTA_ENOMEM;
        memset(c->missing + old, 0, now - old);
    }
    c->cap = cap;
    return CARTA_OK;
}

static int make_room(carta_column *c)
{
    return c->n < c->cap ? CARTA_OK : carta_column_reserve(c, c->n + 1);
}

static int mark_missing(carta_column *c, size_t i)
{
    if (!c->missing) {
        c->missing = carta_calloc((c->cap + 7) / 8, 1);
        if (!c->missing) return CARTA_ENOMEM;
    }
    c->missing[i >> 3] |= (uint8_t)(1u << (i & 7));
    c->n_missing++;
    return CARTA_OK;
}

int carta_column_push_f64(carta_column *c, double v)
{
    if (make_room(c)) return CARTA_ENOMEM;
    c->f64[c->n] = v;
    if (isnan(v) && mark_missing(c, c->n)) return CARTA_ENOMEM;
    c->n++;
    return CARTA_OK;
}

int carta_column_push_i64(carta_column *c, int64_t v)
{
    if (make_room(c)) return CARTA_ENOMEM;
    c->i64[c->n++] = v;
    return CARTA_OK;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Rebuilds the slot array at twice the size once it is half full. */
static int dict_grow(carta_column *c)
{
    carta_dict *d = c->dict;
    size_t cap = d->cap ? d->cap * 2 : 64;
    uint32_t *slots = carta_calloc(cap, sizeof *slots);
    if (!slots) return CARTA_ENOMEM;
    for (size_t k = 0; k < c->n_levels; k++) {
        const char *s = c->levels[k];
        size_t j = hash_bytes(s, strlen(s)) & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)(k + 1);
    }
    carta_free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return CARTA_OK;
}

/* Finds s in the dictionary, adding it when absent; the code goes to *code. */
static int dict_intern(carta_column *c, const char *s, size_t len, uint32_t *code)
{
    if (!c->dict && !(c->dict = carta_calloc(1, sizeof *c->dict))) return CARTA_ENOMEM;
    carta_dict *d = c->dict;
    if ((c->n_levels + 1) * 2 > d->cap && dict_grow(c)) return CARTA_ENOMEM;
    size_t j = hash_bytes(s, len) & (d->cap - 1);
    while (d->slots[j]) {
        const char *t = c->levels[d->slots[j] - 1];
        if (strncmp(t, s, len) == 0 && t[len] == '\0') {
            *code = d->slots[j] - 1;
            return CARTA_OK;
        }
        j = (j + 1) & (d->cap - 1);
    }
    if (c->n_levels >= UINT32_MAX - 1) return CARTA_ENOMEM;
    if ((c->n_levels & (c->n_levels - 1)) == 0) { /* grow the level array at powers of two */
        size_t cap = c->n_levels ? c->n_levels * 2 : 8;
        char **lv = carta_realloc(c->levels, cap * sizeof *lv);
        if (!lv) return CARTA_ENOMEM;
        c->levels = lv;
    }
    char *copy = carta_strndup(s, len);
    if (!copy) return CARTA_ENOMEM;
    c->levels[c->n_levels] = copy;
    d->slots[j] = (uint32_t)(c->n_levels + 1);
    *code = (uint32_t)c->n_levels++;
    return CARTA_OK;
}

int carta_column_push_str(carta_column *c, const char *s, size_t len)
{
    uint32_t code;
    if (make_room(c) || dict_intern(c, s, len, &code)) return CARTA_ENOMEM;
    c->code[c->n++] = code;
    return CARTA_OK;
}

int carta_column_push_missing(carta_column *c)
{
    if (make_room(c)) return CARTA_ENOMEM;
    switch (c->type) {
    case CARTA_F64: c->f64[c->n] = NAN; break;
    case CARTA_STR: c->code[c->n] = 0; break;
    case CARTA_I64:
    case CARTA_BOOL:
    case CARTA_DATE: c->i64[c->n] = 0; break;
    }
    if (mark_missing(c, c->n)) return CARTA_ENOMEM;
    c->n++;
    return CARTA_OK;
}

double carta_column_number(const carta_column *c, size_t i)
{
    if (i >= c->n || carta_column_is_missing(c, i)) return NAN;
    switch (c->type) {
    case CARTA_F64: return c->f64[i];
    case CARTA_I64:
    case CARTA_BOOL:
    case CARTA_DATE: return (double)c->i64[i];
    case CARTA_STR: return NAN;
    }
    return NAN;
}

long carta_column_level(const carta_column *c, const char *s)
{
    if (c->type != CARTA_STR || !c->dict || !c->dict->cap) return -1;
    size_t len = strlen(s);
    size_t j = hash_bytes(s, len) & (c->dict->cap - 1);
    while (c->dict->slots[j]) {
        uint32_t k = c->dict->slots[j] - 1;
        if (strcmp(c->levels[k], s) == 0) return (long)k;
        j = (j + 1) & (c->dict->cap - 1);
    }
    return -1;
}

const char *carta_type_name(carta_type t)
{
    switch (t) {
    case CARTA_F64: return "number";
    case CARTA_I64: return "integer";
    case CARTA_BOOL: return "boolean";
    case CARTA_DATE: return "date";
    case CARTA_STR: return "string";
    }
    return "unknown";
}

/* Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian calendar. */
int64_t carta_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void carta_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int carta_parse_date(const char *s, size_t len, int64_t *days)
{
    int y, m, d;
    if (len < 10 || s[4] != '-' || s[7] != '-') return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return -1;
    if (len > 10 && s[10] != 'T' && s[10] != ' ') return -1;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) return -1;
    *days = carta_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}
