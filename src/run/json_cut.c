/* Cutting values out of canonical JSON text. The resolved config and the card embed parts of
   one another verbatim, so that every number keeps the exact digits carta wrote. */
#include "internal.h"

#include <carta/alloc.h>

#include <string.h>

/* The end of the JSON value starting at p (any type), or NULL when the text ends first. */
static const char *value_end(const char *p)
{
    if (*p == '"') {
        for (p++; *p; p++) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') return p + 1;
        }
        return NULL;
    }
    if (*p != '{' && *p != '[') {
        while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
        return p;
    }
    int depth = 0, in_str = 0;
    for (; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_str = 0;
            continue;
        }
        if (*p == '"') in_str = 1;
        else if (*p == '{' || *p == '[') depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
    }
    return NULL;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return p;
}

char *json_member_text(const char *json, const char *key)
{
    const char *p = skip_ws(json);
    if (*p != '{') return NULL;
    p = skip_ws(p + 1);
    size_t klen = strlen(key);
    while (*p == '"') {
        const char *kend = value_end(p);
        if (!kend) return NULL;
        int match = (size_t)(kend - p) == klen + 2 && strncmp(p + 1, key, klen) == 0;
        p = skip_ws(kend);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        const char *vend = value_end(p);
        if (!vend) return NULL;
        if (match) return carta_strndup(p, (size_t)(vend - p));
        p = skip_ws(vend);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
    return NULL;
}

char *json_item_text(const char *array_json, size_t index)
{
    const char *p = skip_ws(array_json);
    if (*p != '[') return NULL;
    p = skip_ws(p + 1);
    for (size_t i = 0; *p && *p != ']'; i++) {
        const char *end = value_end(p);
        if (!end) return NULL;
        if (i == index) return carta_strndup(p, (size_t)(end - p));
        p = skip_ws(end);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
    return NULL;
}
