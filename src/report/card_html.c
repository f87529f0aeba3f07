/* card.html: a self-contained HTML rendering of card.json (parsed back, so it can only say what
 * the card says). Same sections as card.md (../shared/domain/model-cards.md section 6), plus
 * plots drawn as inline SVG by svg.c: the Cox forest plot of hazard ratios and predicted
 * survival curves, Kaplan-Meier curves with confidence bands, censoring marks and a
 * number-at-risk table, cumulative incidence per cause, xgboost importance (gain, mean |SHAP|),
 * the elastic net's cross-validation curve (mean loss +- 1 SE against log(lambda), as
 * plot(cv.glmnet)), ROC and calibration curves of the validation (with the lowess smoother when
 * the card has it), survival calibration at a horizon, the decision curve (net benefit of the
 * model, of treating all and of treating none; Vickers & Elkin 2006), and per-study performance
 * as a forest plot with the overall value and the random-effects pooled estimate as diamonds;
 * the per-study table (data.studies) with its compact Table 1.
 *
 * The same drawing code gives the standalone plots (carta_card_plots): each figure is also kept
 * as an SVG document, the inline <svg> element with the SVG namespace added (the page itself
 * must contain no URL), named <model>_<kind>.svg for the run folder's plots/.
 *
 * Rules: no script, no URL, no external font; CSS inline in one <style> block with a print
 * layout; every text from the card is escaped; numbers are shown with fixed rules (whole
 * numbers as integers, others with 4 significant digits, p-values with 2 and "<0.0001" below
 * that); counts the card suppressed ("<5") are shown as written. The output depends only on
 * the card's text, so the same card gives the same bytes. */
#include <carta/report.h>
#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/svg.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define P carta_svg_printf
#define E carta_svg_escaped

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *or_q(const char *s) { return s ? s : "?"; }

/* A number from the card, NaN when absent, null or a suppressed count. */
static double num(const cJSON *o, const char *k)
{
    const cJSON *v = k ? get(o, k) : o;
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}

/* Fixed display rules for a number. */
static char *fmt(double x, int is_p, char *buf)
{
    if (!isfinite(x)) snprintf(buf, 32, "NA");
    else if (is_p && x < 1e-4) snprintf(buf, 32, "&lt;0.0001");
    else if (is_p) snprintf(buf, 32, "%.2g", x);
    else if (x == floor(x) && fabs(x) < 1e9) snprintf(buf, 32, "%.0f", x);
    else snprintf(buf, 32, "%.4g", x);
    if (strcmp(buf, "-0") == 0) snprintf(buf, 32, "0");
    return buf;
}

/* A value as escaped cell text. */
static void val(carta_svg *h, const cJSON *v, int is_p)
{
    char b[32];
    if (cJSON_IsNumber(v)) P(h, "%s", fmt(v->valuedouble, is_p, b));
    else if (cJSON_IsString(v)) E(h, v->valuestring);
    else if (cJSON_IsBool(v)) P(h, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else P(h, "NA");
}

static void numtext(carta_svg *h, double x) { char b[32]; P(h, "%s", fmt(x, 0, b)); }

/* "p = 0.012" or "p &lt; 0.0001". */
static void pval(carta_svg *h, const cJSON *v)
{
    char b[32];
    if (cJSON_IsNumber(v) && v->valuedouble < 1e-4) P(h, "p &lt; 0.0001");
    else if (cJSON_IsNumber(v)) P(h, "p = %s", fmt(v->valuedouble, 1, b));
    else P(h, "p = NA");
}

static void bullets(carta_svg *h, const cJSON *arr)
{
    if (cJSON_GetArraySize(arr) == 0) return;
    P(h, "<ul>\n");
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e)) {
        P(h, "<li>");
        E(h, e->valuestring);
        P(h, "</li>\n");
    }
    P(h, "</ul>\n");
}

/* A table of the given keys over an array of objects; numbers right-aligned. */
static void table(carta_svg *h, const cJSON *rows, const char *const *keys, const char *const *heads, size_t nk)
{
    if (cJSON_GetArraySize(rows) == 0) {
        P(h, "<p>None.</p>\n");
        return;
    }
    P(h, "<table>\n<thead><tr>");
    for (size_t k = 0; k < nk; k++) P(h, "<th>%s</th>", heads[k]);
    P(h, "</tr></thead>\n<tbody>\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        P(h, "<tr>");
        for (size_t k = 0; k < nk; k++) {
            const cJSON *v = get(r, keys[k]);
            int hash = strcmp(keys[k], "sha256") == 0;
            /* Suppressed counts ("<5") align with the numbers they stand for. */
            int count = cJSON_IsNumber(v) || (cJSON_IsString(v) && v->valuestring[0] == '<' && isdigit((unsigned char)v->valuestring[1]));
            P(h, "<td%s>", count ? " class=\"n\"" : hash ? " class=\"hash\"" : "");
            val(h, v, strcmp(keys[k], "p") == 0);
            P(h, "</td>");
        }
        P(h, "</tr>\n");
    }
    P(h, "</tbody>\n</table>\n");
}

/* The numbers of a JSON array (NaN for anything else) in a new array; *n its length. Returns -1
   only when out of memory; an absent or empty array gives *out = NULL, *n = 0. */
static int doubles(const cJSON *arr, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int m = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (m <= 0) return 0;
    double *v = carta_malloc((size_t)m * sizeof *v);
    if (!v) return -1;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) v[i++] = num(e, NULL);
    *out = v;
    *n = i;
    return 0;
}

/* The page being written. Its first member is the HTML text, and every function below writes
   into that member (carta_svg *h); figure() converts h back to the page (a pointer to a struct
   and to its first member convert to each other) to collect each plot as a standalone file when
   carta_card_plots asked for them. */
typedef struct page {
    carta_svg s;
    int collect;                /* 1: keep every plot as a standalone SVG document */
    carta_card_plot *plots;
    size_t n_plots, cap;
    const char *model;          /* the model whose section is being written ("card" outside) */
} page;

/* A file name part: ASCII letters and digits, '-', '_' and '.' kept, anything else '_' (no
   locale: the same card gives the same names everywhere). */
static void name_part(char *dst, size_t cap, size_t *n, const char *src)
{
    for (const unsigned char *c = (const unsigned char *)src; *c && *n + 1 < cap; c++) {
        int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                   *c == '_' || *c == '.';
        dst[(*n)++] = keep ? (char)*c : '_';
    }
    dst[*n] = '\0';
}

static const char svg_ns[] = " xmlns=\"http://www.w3.org/2000/svg\"";

/* Keeps the picture svg (text starting "<svg ") as plots/<model>_<kind>.svg, with its caption. */
static void keep_plot(page *pg, const char *kind, const char *svg, const char *const *caption)
{
    char base[200];
    size_t n = 0;
    name_part(base, sizeof base - 16, &n, pg->model ? pg->model : "card");
    name_part(base, sizeof base - 16, &n, "_");
    name_part(base, sizeof base - 16, &n, kind);
    /* A repeated name (two causes that differ only in characters replaced) gets _2, _3, ... */
    char name[232];
    for (unsigned k = 1;; k++) {
        if (k == 1) snprintf(name, sizeof name, "%s.svg", base);
        else snprintf(name, sizeof name, "%s_%u.svg", base, k);
        int dup = 0;
        for (size_t i = 0; i < pg->n_plots && !dup; i++) dup = strcmp(pg->plots[i].name, name) == 0;
        if (!dup) break;
    }
    if (pg->n_plots == pg->cap) {
        size_t cap = pg->cap ? 2 * pg->cap : 16;
        carta_card_plot *p = carta_realloc(pg->plots, cap * sizeof *p);
        if (!p) {
            pg->s.oom = 1;
            return;
        }
        pg->plots = p;
        pg->cap = cap;
    }
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg";
    size_t len = strlen(svg);
    char *doc = carta_malloc(sizeof head - 1 + sizeof svg_ns - 1 + len + 1);
    char *nm = carta_strdup(name), *model = pg->model ? carta_strdup(pg->model) : NULL, *cap = NULL;
    size_t clen = 1;
    for (const char *const *c = caption; *c; c++) clen += strlen(*c);
    if ((cap = carta_malloc(clen))) {
        cap[0] = '\0';
        for (const char *const *c = caption; *c; c++) strcat(cap, *c);
    }
    if (!doc || !nm || !cap || (pg->model && !model) || strncmp(svg, "<svg", 4) != 0) {
        carta_free(doc);
        carta_free(nm);
        carta_free(model);
        carta_free(cap);
        pg->s.oom = 1;
        return;
    }
    /* The same <svg> element as inline, with the namespace a standalone document needs. */
    memcpy(doc, head, sizeof head - 1);
    memcpy(doc + sizeof head - 1, svg_ns, sizeof svg_ns - 1);
    memcpy(doc + sizeof head - 1 + sizeof svg_ns - 1, svg + 4, len - 4 + 1);
    pg->plots[pg->n_plots++] = (carta_card_plot){ nm, doc, model, cap };
}

/* Appends a finished picture inside a figure whose caption is the concatenation of the parts
   (a NULL-terminated list, each escaped), so that no name is ever cut short; kind names the
   plot's standalone file. */
static void figure(carta_svg *h, carta_svg *g, const char *kind, const char *const *caption)
{
    char *s = NULL;
    if (carta_svg_end(g, &s) != 0) {
        h->oom = 1;
        return;
    }
    page *pg = (page *)h;
    if (pg->collect) keep_plot(pg, kind, s, caption);
    P(h, "<figure>\n%s<figcaption>", s);
    for (const char *const *c = caption; *c; c++) E(h, *c);
    P(h, "</figcaption>\n</figure>\n");
    carta_free(s);
}

static double maxd(double a, double b) { return isfinite(b) && (b > a || !isfinite(a)) ? b : a; }
static double mind(double a, double b) { return isfinite(b) && (b < a || !isfinite(a)) ? b : a; }

/* ---- plots ---------------------------------------------------------------------------------- */

/* Forest plot of estimates with limits, one row per entry; log x axis for ratios. */
typedef struct frow {
    const char *label;
    double est, lo, hi;
} frow;

/* Rows r[0..n) as squares, then the summary rows sum[0..n_sum) (overall, pooled) as diamonds. */
static void forest(carta_svg *h, const frow *r, size_t n, const frow *sum, size_t n_sum, int logx, double ref,
                   const char *xlabel, const char *title, const char *kind, const char *const *caption)
{
    double lo = NAN, hi = NAN;
    for (size_t i = 0; i < n + n_sum; i++) {
        const frow *f = i < n ? &r[i] : &sum[i - n];
        lo = mind(mind(lo, f->lo), f->est);
        hi = maxd(maxd(hi, f->hi), f->est);
    }
    if (!isfinite(lo) || !isfinite(hi)) return;
    if (isfinite(ref)) {
        lo = mind(lo, ref);
        hi = maxd(hi, ref);
    }
    if (logx) {
        if (!(lo > 0)) return;
        lo /= 1.15;
        hi *= 1.15;
    } else {
        double pad = (hi - lo) * 0.05 + 1e-9;
        lo -= pad;
        hi += pad;
    }
    double row = 20, top = 14;
    size_t rows = n + n_sum;
    carta_svg g;
    carta_svg_begin(&g, 760, top + row * (double)rows + 50, 230, 170, top, 50, title);
    carta_svg_range(&g, lo, hi, logx, 0, 1, 0);
    carta_svg_axes(&g, xlabel, NULL, 5, 0);
    if (isfinite(ref)) {
        char a[32], b[32], c[32];
        double x = carta_svg_px(&g, ref);
        P(&g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#777\" stroke-dasharray=\"4 3\"/>\n",
          carta_svg_fmt(x, 2, a, 32), carta_svg_fmt(g.py0 - 6, 2, b, 32), a, carta_svg_fmt(g.py1, 2, c, 32));
    }
    for (size_t i = 0; i < rows; i++) {
        const frow *f = i < n ? &r[i] : &sum[i - n];
        double y = top + row * ((double)i + 0.5);
        carta_svg_text(&g, g.px0 - 10, y + 4, "end", 11, f->label);
        carta_svg_interval(&g, y, f->est, f->lo, f->hi, i < n ? 8 : 12, i >= n,
                           i < n ? "#0072B2" : i == n ? "#000000" : "#D55E00");
        char t[160], a[32], b[32], c[32];
        if (isfinite(f->lo) && isfinite(f->hi)) snprintf(t, sizeof t, "%s (%s to %s)", fmt(f->est, 0, a), fmt(f->lo, 0, b), fmt(f->hi, 0, c));
        else snprintf(t, sizeof t, "%s (no interval)", fmt(f->est, 0, a));
        carta_svg_text(&g, g.px1 + 10, y + 4, "start", 11, t);
    }
    figure(h, &g, kind, caption);
}

/* One row of the proportional-hazards table. */
static void zph_row(carta_svg *h, const char *label, int k, const cJSON *r)
{
    P(h, "<tr><td>");
    if (label) E(h, label);
    else P(h, "term %d", k + 1); /* the card could not name it (card.c) */
    P(h, "</td><td class=\"n\">");
    val(h, get(r, "chisq"), 0);
    P(h, "</td><td class=\"n\">");
    val(h, get(r, "df"), 0);
    P(h, "</td><td class=\"n\">");
    val(h, get(r, "p"), 1);
    P(h, "</td></tr>\n");
}

/* The proportional-hazards test (cox.zph): one row per term, as R's cox.zph prints by default
   (terms = TRUE; a factor is one row with df = its columns), then GLOBAL. The per-column rows
   (terms = FALSE) follow, folded, only when some term has several columns: otherwise they would
   repeat the table. Without term rows the table is per column. */
static void zph_table(carta_svg *h, const cJSON *zph)
{
    if (!cJSON_IsObject(zph)) return;
    const cJSON *bt = get(zph, "by_term"), *rows = cJSON_GetArraySize(bt) > 0 ? bt : get(zph, "terms"), *r;
    P(h, "<h4>Proportional hazards</h4>\n<p>Test of proportional hazards on the scaled Schoenfeld residuals "
         "(Grambsch &amp; Therneau 1994; R's cox.zph, time transform ");
    val(h, get(zph, "transform"), 0);
    P(h, "), %s; a small p suggests the hazard ratio changes over time.</p>\n",
      rows == bt ? "one row per term (a factor's columns together)" : "one row per column");
    P(h, "<table class=\"zph\">\n<thead><tr><th>%s</th><th>chi-square</th><th>df</th><th>p</th></tr></thead>\n<tbody>\n",
      rows == bt ? "term" : "column");
    int k = 0;
    cJSON_ArrayForEach(r, rows) zph_row(h, str(r, "term"), k++, r);
    zph_row(h, "GLOBAL", 0, get(zph, "global"));
    P(h, "</tbody>\n</table>\n");
    int wide = 0;
    const cJSON *terms = rows == bt ? bt : NULL;
    cJSON_ArrayForEach(r, terms) wide |= !cJSON_IsArray(get(r, "columns")) || cJSON_GetArraySize(get(r, "columns")) > 1;
    if (wide) {
        static const char *const ck[] = { "term", "chisq", "df", "p" };
        static const char *const hd[] = { "column", "chi-square", "df", "p" };
        P(h, "<details><summary>Per column (cox.zph terms = FALSE)</summary>\n");
        table(h, get(zph, "terms"), ck, hd, 4);
        P(h, "</details>\n");
    }
}

static void plot_cox_forest(carta_svg *h, const cJSON *res, const char *name)
{
    const cJSON *co = get(res, "coefficients");
    int n = cJSON_GetArraySize(co);
    if (n <= 0) return;
    frow *r = carta_malloc((size_t)n * sizeof *r);
    if (!r) {
        h->oom = 1;
        return;
    }
    size_t k = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, co) {
        r[k].label = or_q(str(c, "term"));
        r[k].est = num(c, "hr");
        r[k].lo = num(c, "hr_lower");
        r[k].hi = num(c, "hr_upper");
        k++;
    }
    forest(h, r, k, NULL, 0, 1, 1.0, "hazard ratio", "Forest plot of hazard ratios", "hr_forest",
           (const char *const[]){ "Hazard ratios of ", name, " with their confidence limits (log scale; dashed line: HR = 1).", NULL });
    carta_free(r);
}

/* The cJSON element for the number at risk at time t: the first row with time >= t (the risk
   set does not change between rows); NULL after the last row (nobody left). */
static const cJSON *at_risk(const double *time, size_t n, const cJSON *n_risk, double t)
{
    for (size_t i = 0; i < n; i++)
        if (time[i] >= t - 1e-12) return cJSON_GetArrayItem(n_risk, (int)i);
    return NULL;
}

/* The arrays of a curve: under "table" for KM and CIF strata, on the object itself for the
   Cox model's predicted curves. */
static const cJSON *curve_table(const cJSON *group)
{
    const cJSON *t = get(group, "table");
    return t ? t : group;
}

/* Marks where the KM table records censoring: n_censor > 0, or a suppressed count ("<5"),
   which is never 0. The mark sits on the curve at that time. */
static void censor_marks(carta_svg *g, const cJSON *t, const double *x, const double *y, size_t n, const char *colour)
{
    const cJSON *nc = get(t, "n_censor");
    if (!cJSON_IsArray(nc) || (size_t)cJSON_GetArraySize(nc) != n) return;
    double *mx = carta_malloc((n ? n : 1) * sizeof *mx), *my = carta_malloc((n ? n : 1) * sizeof *my);
    if (!mx || !my) {
        g->oom = 1;
        carta_free(mx);
        carta_free(my);
        return;
    }
    size_t m = 0, i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, nc) {
        if ((cJSON_IsNumber(e) && e->valuedouble > 0) || cJSON_IsString(e)) {
            mx[m] = x[i];
            my[m] = y[i];
            m++;
        }
        i++;
    }
    carta_svg_marks(g, mx, my, m, colour);
    carta_free(mx);
    carta_free(my);
}

/* Step curves (KM survival or cumulative incidence) for several groups, with bands; for KM a
   number-at-risk table under the axis. key is "surv" or "cif". */
static void curves_plot(carta_svg *h, const cJSON *const *groups, size_t ng, const char *key, int risk_table,
                        const char *ylabel, const char *title, const char *kind, const char *const *caption)
{
    int km = strcmp(key, "surv") == 0;
    double tmax = 0, ymax = 0;
    for (size_t k = 0; k < ng; k++) {
        const cJSON *t = curve_table(groups[k]);
        const cJSON *e;
        cJSON_ArrayForEach(e, get(t, "time")) tmax = maxd(tmax, num(e, NULL));
        cJSON_ArrayForEach(e, get(t, "upper")) ymax = maxd(ymax, num(e, NULL));
        cJSON_ArrayForEach(e, get(t, key)) ymax = maxd(ymax, num(e, NULL));
    }
    if (!(tmax > 0)) tmax = 1;
    /* The time axis ends on a tick: the next multiple of the tick step at or above tmax. */
    double tk0[32];
    size_t nt0 = carta_svg_ticks(0, tmax, 6, tk0, 32, NULL);
    if (nt0 >= 2) {
        double step = tk0[1] - tk0[0];
        tmax = ceil(tmax / step - 1e-9) * step;
    }
    double y1 = 1;
    if (!km) {
        /* Cumulative incidence rarely approaches 1: show up to the next tenth above the bands. */
        y1 = ceil(ymax * 10 - 1e-9) / 10;
        if (!(y1 > 0)) y1 = 0.1;
        if (y1 > 1) y1 = 1;
    }
    double legend_w = 200, rows = risk_table ? (double)ng + 1 : 0;
    double bottom = 48 + rows * 16;
    carta_svg g;
    carta_svg_begin(&g, 760, 300 + bottom, 70, legend_w, 16, bottom, title);
    carta_svg_range(&g, 0, tmax, 0, 0, y1, 0);
    carta_svg_axes(&g, "time", ylabel, 6, 6);
    const char **labels = carta_malloc((ng ? ng : 1) * sizeof *labels);
    if (!labels) g.oom = 1;
    for (size_t k = 0; k < ng && labels; k++) {
        const cJSON *t = curve_table(groups[k]);
        double *x = NULL, *y = NULL, *lo = NULL, *hi = NULL;
        size_t nx = 0, ny = 0, nl = 0, nh = 0;
        int rc = doubles(get(t, "time"), &x, &nx) | doubles(get(t, key), &y, &ny) |
                 doubles(get(t, "lower"), &lo, &nl) | doubles(get(t, "upper"), &hi, &nh);
        labels[k] = str(groups[k], "label") ? str(groups[k], "label") : "all";
        if (rc) g.oom = 1;
        else if (nx && ny == nx) {
            const char *col = carta_svg_colour(k);
            double s0 = km ? 1 : 0;
            if (nl == nx && nh == nx) carta_svg_step_band(&g, 0, s0, s0, x, lo, hi, nx, x[nx - 1], col);
            carta_svg_step(&g, 0, s0, x, y, nx, x[nx - 1], col, 0);
            if (km) censor_marks(&g, t, x, y, nx, col);
        }
        carta_free(x);
        carta_free(y);
        carta_free(lo);
        carta_free(hi);
    }
    if (labels) carta_svg_legend(&g, g.px1 + 16, g.py0 + 10, labels, ng);
    carta_free(labels);
    if (risk_table) {
        double tk[32];
        int dec;
        size_t nt = carta_svg_ticks(0, tmax, 6, tk, 32, &dec);
        double y = g.py1 + 50;
        carta_svg_text(&g, g.px0 - 60, y, "start", 11, "Number at risk");
        for (size_t k = 0; k < ng; k++) {
            const cJSON *t = curve_table(groups[k]);
            double *x = NULL;
            size_t nx = 0;
            if (doubles(get(t, "time"), &x, &nx)) {
                g.oom = 1;
                break;
            }
            double yk = y + 16.0 * (double)(k + 1);
            carta_svg_printf(&g, "<rect x=\"%.2f\" y=\"%.2f\" width=\"18.00\" height=\"4.00\" fill=\"%s\"/>\n",
                             g.px0 - 60, yk - 6, carta_svg_colour(k));
            for (size_t i = 0; i < nt; i++) {
                const cJSON *v = at_risk(x, nx, get(t, "n_risk"), tk[i]);
                char b[64];
                if (!cJSON_IsArray(get(t, "n_risk"))) snprintf(b, sizeof b, "NA");
                else if (!v) snprintf(b, sizeof b, "0");
                else if (cJSON_IsString(v)) snprintf(b, sizeof b, "%s", v->valuestring);
                else fmt(num(v, NULL), 0, b);
                carta_svg_text(&g, carta_svg_px(&g, tk[i]), yk, "middle", 11, b);
            }
            carta_free(x);
        }
    }
    figure(h, &g, kind, caption);
}

static void plot_importance(carta_svg *h, const cJSON *imp, const char *key, const char *xlabel, const char *kind,
                            const char *const *caption)
{
    int n = cJSON_GetArraySize(imp);
    if (n <= 0) return;
    /* Largest first; ties keep the card's order (insertion sort is stable). */
    const cJSON **r = carta_malloc((size_t)n * sizeof *r);
    if (!r) {
        h->oom = 1;
        return;
    }
    size_t m = 0;
    double vmax = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, imp) {
        double v = num(e, key);
        if (!isfinite(v)) continue;
        size_t j = m++;
        while (j > 0 && num(r[j - 1], key) < v) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = e;
        vmax = maxd(vmax, v);
    }
    if (m == 0 || !(vmax > 0)) {
        carta_free(r);
        return;
    }
    double row = 20, top = 10;
    carta_svg g;
    carta_svg_begin(&g, 760, top + row * (double)m + 46, 230, 90, top, 46, "Feature importance");
    carta_svg_range(&g, 0, vmax * 1.05, 0, 0, 1, 0);
    carta_svg_axes(&g, xlabel, NULL, 5, 0);
    for (size_t i = 0; i < m; i++) {
        double y = top + row * (double)i;
        char b[32];
        carta_svg_text(&g, g.px0 - 10, y + 14, "end", 11, or_q(str(r[i], "feature")));
        carta_svg_hbar(&g, y + 4, row - 8, 0, num(r[i], key), "#0072B2");
        carta_svg_text(&g, carta_svg_px(&g, num(r[i], key)) + 6, y + 14, "start", 11, fmt(num(r[i], key), 0, b));
    }
    carta_free(r);
    figure(h, &g, kind, caption);
}

/* The overall value of a metric of a model, and its limits. */
static const cJSON *overall_metric(const cJSON *metrics, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, metrics) {
        const char *n = str(m, "name"), *s = str(m, "slice");
        if (n && s && strcmp(n, name) == 0 && strcmp(s, "overall") == 0) return m;
    }
    return NULL;
}

static void plot_roc(carta_svg *h, const cJSON *roc, const cJSON *metrics, const char *name)
{
    double *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    if (doubles(get(roc, "fpr"), &x, &nx) | doubles(get(roc, "tpr"), &y, &ny)) h->oom = 1;
    if (nx > 1 && nx == ny) {
        carta_svg g;
        carta_svg_begin(&g, 380, 360, 70, 20, 16, 54, "ROC curve");
        carta_svg_range(&g, 0, 1, 0, 0, 1, 0);
        carta_svg_axes(&g, "1 - specificity (false positive rate)", "sensitivity", 6, 6);
        carta_svg_line(&g, 0, 0, 1, 1, "#999999", 1);
        carta_svg_polyline(&g, x, y, nx, "#0072B2", 0);
        char tail[160] = ".", a[32], b[32], c[32];
        const cJSON *auc = overall_metric(metrics, "auc");
        if (auc)
            snprintf(tail, sizeof tail, ": AUC %s (%s to %s).", fmt(num(auc, "value"), 0, a), fmt(num(auc, "lower"), 0, b),
                     fmt(num(auc, "upper"), 0, c));
        figure(h, &g, "roc", (const char *const[]){ "ROC curve of ", name, " from the validation predictions", tail, NULL });
    }
    carta_free(x);
    carta_free(y);
}

/* The top of a square risk axis: the next tenth (or hundredth for rare outcomes) above top. */
static double risk_top(double top)
{
    double unit = top > 0.2 ? 0.1 : 0.01;
    top = ceil(top / unit - 1e-9) * unit;
    if (!(top > 0)) top = 1;
    if (top > 1) top = 1;
    return top;
}

/* Polyline pieces through the finite points only: a gap (non-finite y) breaks the line rather
   than joining its two sides. */
static void pieces(carta_svg *g, const double *x, const double *y, size_t n, const char *colour, int dashed)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && !(isfinite(x[i]) && isfinite(y[i]))) i++;
        size_t j = i;
        while (j < n && isfinite(x[j]) && isfinite(y[j])) j++;
        if (j - i >= 2) carta_svg_polyline(g, x + i, y + i, j - i, colour, dashed);
        i = j;
    }
}

/* Calibration by groups of predicted risk, with the lowess smoother over the individual
   predictions when the card has one (curves.calibration.smoothed). */
static void plot_calibration(carta_svg *h, const cJSON *cal, const char *name)
{
    double *x = NULL, *y = NULL, *sx = NULL, *sy = NULL;
    size_t nx = 0, ny = 0, nsx = 0, nsy = 0;
    const cJSON *sm = get(cal, "smoothed");
    if (doubles(get(cal, "predicted"), &x, &nx) | doubles(get(cal, "observed"), &y, &ny) |
        doubles(get(sm, "predicted"), &sx, &nsx) | doubles(get(sm, "observed"), &sy, &nsy))
        h->oom = 1;
    int smooth = nsx > 1 && nsx == nsy;
    if (nx > 0 && nx == ny) {
        double top = 0;
        for (size_t i = 0; i < nx; i++) top = maxd(maxd(top, x[i]), y[i]);
        for (size_t i = 0; smooth && i < nsx; i++) top = maxd(maxd(top, sx[i]), sy[i]);
        top = risk_top(top);
        carta_svg g;
        carta_svg_begin(&g, 380, 360, 70, 20, 16, 54, "Calibration plot");
        carta_svg_range(&g, 0, top, 0, 0, top, 0);
        carta_svg_axes(&g, "predicted risk (mean of the group)", "observed proportion", 6, 6);
        carta_svg_line(&g, 0, 0, top, top, "#999999", 1);
        carta_svg_polyline(&g, x, y, nx, carta_svg_colour(0), 0);
        carta_svg_points(&g, x, y, nx, 3.5, carta_svg_colour(0));
        if (smooth) {
            pieces(&g, sx, sy, nsx, carta_svg_colour(1), 0);
            static const char *const lg[] = { "groups", "lowess" };
            carta_svg_legend(&g, g.px0 + 12, g.py0 + 12, lg, 2);
        }
        char tail[260];
        snprintf(tail, sizeof tail, ": observed proportion against mean predicted risk in %zu groups of predicted risk%s (dashed: perfect calibration).",
                 nx, smooth ? ", and the lowess smoother of the outcome on the individual predictions" : "");
        figure(h, &g, "calibration", (const char *const[]){ "Calibration of ", name, tail, NULL });
    }
    carta_free(x);
    carta_free(y);
    carta_free(sx);
    carta_free(sy);
}

/* Survival calibration at a horizon (curves.calibration_horizon): Kaplan-Meier observed risk
   1 - KM(t) with its confidence limits against the mean predicted risk, per group of predicted
   risk. */
static void plot_calibration_horizon(carta_svg *h, const cJSON *ch, const char *name)
{
    double *x = NULL, *y = NULL, *lo = NULL, *hi = NULL;
    size_t nx = 0, ny = 0, nl = 0, nh = 0;
    if (doubles(get(ch, "predicted"), &x, &nx) | doubles(get(ch, "observed"), &y, &ny) |
        doubles(get(ch, "lower"), &lo, &nl) | doubles(get(ch, "upper"), &hi, &nh))
        h->oom = 1;
    int bars = nl == nx && nh == nx;
    if (nx > 0 && nx == ny) {
        double top = 0;
        for (size_t i = 0; i < nx; i++) {
            top = maxd(maxd(top, x[i]), y[i]);
            if (bars) top = maxd(top, hi[i]);
        }
        top = risk_top(top);
        carta_svg g;
        carta_svg_begin(&g, 380, 360, 70, 20, 16, 54, "Calibration at the horizon");
        carta_svg_range(&g, 0, top, 0, 0, top, 0);
        carta_svg_axes(&g, "predicted risk by the horizon", "observed risk (1 - Kaplan-Meier)", 6, 6);
        carta_svg_line(&g, 0, 0, top, top, "#999999", 1);
        for (size_t i = 0; bars && i < nx; i++)
            if (isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i])) carta_svg_line(&g, x[i], lo[i], x[i], hi[i], carta_svg_colour(0), 0);
        carta_svg_polyline(&g, x, y, nx, carta_svg_colour(0), 0);
        carta_svg_points(&g, x, y, nx, 3.5, carta_svg_colour(0));
        char tail[260], a[32];
        snprintf(tail, sizeof tail, " at t = %s: Kaplan-Meier observed risk%s against mean predicted risk in %zu groups of predicted risk (dashed: perfect calibration).",
                 fmt(num(ch, "horizon"), 0, a), bars ? " with its confidence limits" : "", nx);
        figure(h, &g, "calibration_horizon", (const char *const[]){ "Calibration of ", name, tail, NULL });
    }
    carta_free(x);
    carta_free(y);
    carta_free(lo);
    carta_free(hi);
}

/* Decision curve (Vickers & Elkin 2006): net benefit of treating by the model at each risk
   threshold, of treating all, and of treating none (0). The y axis runs from a little below 0
   to the next tenth (or hundredth) above the highest net benefit; treat-all values below the
   axis are left out rather than clamped. */
static void plot_decision_curve(carta_svg *h, const cJSON *dc, const char *name)
{
    double *t = NULL, *m = NULL, *a = NULL;
    size_t nt = 0, nm = 0, na = 0;
    if (doubles(get(dc, "threshold"), &t, &nt) | doubles(get(dc, "model"), &m, &nm) | doubles(get(dc, "treat_all"), &a, &na))
        h->oom = 1;
    int all = na == nt;
    if (nt > 1 && nm == nt) {
        double tmax = 0, top = 0;
        for (size_t i = 0; i < nt; i++) {
            tmax = maxd(tmax, t[i]);
            top = maxd(top, m[i]);
            if (all) top = maxd(top, a[i]);
        }
        double x1 = risk_top(tmax), unit = top > 0.2 ? 0.1 : 0.01;
        double y1 = ceil(top / unit - 1e-9) * unit;
        if (!(y1 > 0)) y1 = unit;
        double y0 = -ceil(y1 / 4 / unit - 1e-9) * unit;
        for (size_t i = 0; i < nt; i++) {
            if (m[i] < y0) m[i] = NAN;
            if (all && a[i] < y0) a[i] = NAN;
        }
        carta_svg g;
        carta_svg_begin(&g, 480, 360, 70, 120, 16, 54, "Decision curve");
        carta_svg_range(&g, 0, x1, 0, y0, y1, 0);
        carta_svg_axes(&g, "risk threshold", "net benefit", 6, 6);
        /* Legend colours go by position, so treat none takes the next colour after the lines drawn. */
        carta_svg_line(&g, 0, 0, x1, 0, carta_svg_colour(all ? 2 : 1), 1);
        if (all) pieces(&g, t, a, nt, carta_svg_colour(1), 0);
        pieces(&g, t, m, nt, carta_svg_colour(0), 0);
        static const char *const lg[] = { "model", "treat all", "treat none" }, *const lg2[] = { "model", "treat none" };
        carta_svg_legend(&g, g.px1 + 14, g.py0 + 12, all ? lg : lg2, all ? 3 : 2);
        figure(h, &g, "decision_curve",
               (const char *const[]){ "Decision curve of ", name,
                                      ": net benefit of treating the patients whose predicted risk is at or above each threshold, against treating all and treating none.", NULL });
    }
    carta_free(t);
    carta_free(m);
    carta_free(a);
}

/* The model's overall metrics (slice "overall", and the random-effects "pooled" estimates) as a
   small table. */
static void overall_table(carta_svg *h, const cJSON *metrics)
{
    static const char *const k[] = { "name", "slice", "value", "lower", "upper", "ci_method", "n", "events" };
    static const char *const hd[] = { "metric", "slice", "value", "lower", "upper", "CI", "n", "events" };
    P(h, "<table>\n<thead><tr>");
    for (size_t j = 0; j < 8; j++) P(h, "<th>%s</th>", hd[j]);
    P(h, "</tr></thead>\n<tbody>\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, metrics) {
        const char *s = str(m, "slice");
        if (!s || (strcmp(s, "overall") != 0 && strcmp(s, "pooled") != 0)) continue;
        P(h, "<tr>");
        for (size_t j = 0; j < 8; j++) {
            const cJSON *v = get(m, k[j]);
            P(h, "<td%s>", cJSON_IsNumber(v) ? " class=\"n\"" : "");
            val(h, v, 0);
            P(h, "</td>");
        }
        P(h, "</tr>\n");
    }
    P(h, "</tbody>\n</table>\n");
}

/* The value of a metric of a model on a slice ("overall", "pooled"), and its limits. */
static const cJSON *slice_metric(const cJSON *metrics, const char *name, const char *slice)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, metrics) {
        const char *n = str(m, "name"), *s = str(m, "slice");
        if (n && s && strcmp(n, name) == 0 && strcmp(s, slice) == 0) return m;
    }
    return NULL;
}

/* Per-study (per-slice) performance with the overall value as a diamond, and the random-effects
   pooled estimate (slice "pooled") as a second diamond when the card has one. */
static void plot_slices(carta_svg *h, const cJSON *metrics, const char *name)
{
    static const char *const names[] = { "auc", "c_harrell" };
    static const char *const shown[] = { "AUC", "Harrell's C" };
    for (int q = 0; q < 2; q++) {
        const cJSON *ov = overall_metric(metrics, names[q]);
        int n = cJSON_GetArraySize(metrics);
        if (!ov || n <= 1) continue;
        frow *r = carta_malloc((size_t)n * sizeof *r);
        if (!r) {
            h->oom = 1;
            return;
        }
        size_t k = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, metrics) {
            const char *mn = str(m, "name"), *s = str(m, "slice");
            if (!mn || !s || strcmp(mn, names[q]) != 0 || strcmp(s, "overall") == 0 || strcmp(s, "pooled") == 0 ||
                !isfinite(num(m, "value")))
                continue;
            r[k++] = (frow){ s, num(m, "value"), num(m, "lower"), num(m, "upper") };
        }
        if (k > 0) {
            frow sum[2] = { { "overall", num(ov, "value"), num(ov, "lower"), num(ov, "upper") } };
            const cJSON *pl = slice_metric(metrics, names[q], "pooled");
            size_t ns = 1;
            if (pl && isfinite(num(pl, "value")))
                sum[ns++] = (frow){ "pooled (random effects)", num(pl, "value"), num(pl, "lower"), num(pl, "upper") };
            char kind[32];
            snprintf(kind, sizeof kind, "slices_%s", names[q]);
            forest(h, r, k, sum, ns, 0, 0.5, shown[q], "Performance per slice", kind,
                   (const char *const[]){ shown[q], " of ", name, " per slice (a held-out study, or a level of a fairness attribute) with confidence limits; the diamond is the overall value",
                                          ns > 1 ? ", the second diamond the random-effects pooled estimate over the studies (" : "",
                                          ns > 1 ? or_q(str(pl, "ci_method")) : "", ns > 1 ? ")" : "",
                                          " (dashed line: 0.5, no discrimination).", NULL });
        }
        carta_free(r);
    }
}

/* The cross-validation curve of an elastic net (result.cv.curve), as plot(cv.glmnet) draws it:
   the mean CV loss cvm with bars of plus and minus one standard error cvsd against log(lambda),
   and dashed vertical lines at lambda_min and lambda_1se. log(lambda) on a linear axis rather
   than lambda on a log axis: the path spans several decades, whose 1-2-5 tick labels crowd. */
static void plot_cv_curve(carta_svg *h, const cJSON *cv, const char *name)
{
    const cJSON *cu = get(cv, "curve");
    double *l = NULL, *m = NULL, *sd = NULL;
    size_t nl = 0, nm = 0, ns = 0;
    if (doubles(get(cu, "lambda"), &l, &nl) | doubles(get(cu, "cvm"), &m, &nm) | doubles(get(cu, "cvsd"), &sd, &ns))
        h->oom = 1;
    int ok = nl > 1 && nm == nl && ns == nl;
    double x0 = NAN, x1 = NAN, y0 = NAN, y1 = NAN;
    for (size_t i = 0; ok && i < nl; i++) {
        /* From here on l holds log(lambda); a lambda that is not positive is left out. */
        l[i] = l[i] > 0 ? log(l[i]) : (double)NAN;
        if (!isfinite(l[i]) || !isfinite(m[i])) continue;
        double e = isfinite(sd[i]) ? sd[i] : 0;
        x0 = mind(x0, l[i]);
        x1 = maxd(x1, l[i]);
        y0 = mind(y0, m[i] - e);
        y1 = maxd(y1, m[i] + e);
    }
    if (ok && isfinite(x0) && isfinite(x1) && x1 > x0 && isfinite(y0) && isfinite(y1)) {
        double lmin = num(cv, "lambda_min") > 0 ? log(num(cv, "lambda_min")) : (double)NAN;
        double l1se = num(cv, "lambda_1se") > 0 ? log(num(cv, "lambda_1se")) : (double)NAN;
        double px = (x1 - x0) * 0.03, py = (y1 - y0) * 0.05 + 1e-9;
        x0 -= px;
        x1 += px;
        y0 -= py;
        y1 += py;
        carta_svg g;
        carta_svg_begin(&g, 480, 360, 80, 120, 16, 54, "Cross-validation curve");
        carta_svg_range(&g, x0, x1, 0, y0, y1, 0);
        carta_svg_axes(&g, "log(lambda)", or_q(str(cv, "measure")), 6, 6);
        for (size_t i = 0; i < nl; i++)
            if (isfinite(l[i]) && isfinite(m[i]) && isfinite(sd[i]))
                carta_svg_line(&g, l[i], m[i] - sd[i], l[i], m[i] + sd[i], "#999999", 0);
        carta_svg_points(&g, l, m, nl, 2.5, carta_svg_colour(0));
        /* The legend's colours follow its order: lambda_min the first, lambda_1se the second. */
        static const char *const lg[] = { "lambda_min", "lambda_1se" };
        if (lmin >= x0 && lmin <= x1) carta_svg_line(&g, lmin, y0, lmin, y1, carta_svg_colour(0), 1);
        if (l1se >= x0 && l1se <= x1) carta_svg_line(&g, l1se, y0, l1se, y1, carta_svg_colour(1), 1);
        carta_svg_legend(&g, g.px1 + 14, g.py0 + 12, lg, 2);
        char tail[200], a[32];
        snprintf(tail, sizeof tail, ": mean loss over %s folds with plus and minus one standard error, against log(lambda); dashed lines at lambda_min and lambda_1se.",
                 fmt(num(cv, "folds"), 0, a));
        figure(h, &g, "cv_curve", (const char *const[]){ "Cross-validation of the elastic net ", name, tail, NULL });
    }
    carta_free(l);
    carta_free(m);
    carta_free(sd);
}

/* ---- sections ------------------------------------------------------------------------------- */

/* An elastic-net fit (a cox or logistic model with lambda; result written by card.c's
   write_glmnet): the same facts as card.md (family, lambda, nonzero coefficients, deviance
   explained, the CV rule and folds) plus alpha from the spec, the CV's lambda_min and lambda_1se,
   the term/coef table and the CV curve. Penalized estimates have no standard errors, so there
   are no interval, z or p columns to leave empty. */
static void enet_section(carta_svg *h, const cJSON *m, const cJSON *res, const char *name)
{
    static const char *const k[] = { "term", "coef" };
    static const char *const hd[] = { "term", "coef" };
    const cJSON *cv = cJSON_IsObject(get(res, "cv")) ? get(res, "cv") : NULL;
    P(h, "<p>Elastic net (");
    E(h, or_q(str(res, "family")));
    P(h, "), alpha ");
    val(h, get(get(m, "spec"), "alpha"), 0);
    P(h, ", at lambda ");
    val(h, get(res, "lambda"), 0);
    P(h, ": ");
    val(h, get(res, "df"), 0);
    P(h, " nonzero coefficients, deviance explained ");
    val(h, get(res, "dev_ratio"), 0);
    P(h, " (deviance ");
    val(h, get(res, "deviance"), 0);
    P(h, ", null deviance ");
    val(h, get(res, "null_deviance"), 0);
    P(h, "), converged: ");
    val(h, get(res, "converged"), 0);
    P(h, ".");
    if (cv) {
        P(h, " Lambda chosen by ");
        val(h, get(cv, "folds"), 0);
        P(h, "-fold cross-validation (");
        E(h, or_q(str(cv, "rule")));
        P(h, "; ");
        E(h, or_q(str(cv, "measure")));
        P(h, "): lambda_min ");
        val(h, get(cv, "lambda_min"), 0);
        P(h, ", lambda_1se ");
        val(h, get(cv, "lambda_1se"), 0);
        P(h, ".");
    }
    P(h, "</p>\n");
    table(h, get(res, "coefficients"), k, hd, 2);
    if (cv) plot_cv_curve(h, cv, name);
}

static void model_section(carta_svg *h, const cJSON *m, size_t idx)
{
    const char *type = str(m, "type"), *name = or_q(str(m, "name"));
    const cJSON *res = get(m, "result"), *val_ = get(m, "validation");
    ((page *)h)->model = name;
    P(h, "<section class=\"model\" id=\"model-%zu\">\n<h3>", idx + 1);
    E(h, name);
    P(h, " <span class=\"type\">");
    E(h, or_q(type));
    P(h, "</span></h3>\n");
    const char *off = str(get(m, "spec"), "offset");
    if (off) {
        P(h, "<p>Offset: <code>");
        E(h, off);
        P(h, "</code>, added to the linear predictor with coefficient 1.</p>\n");
    }
    if (type && res && !cJSON_IsNull(res)) {
        if ((strcmp(type, "cox") == 0 || strcmp(type, "logistic") == 0) && get(res, "lambda")) {
            enet_section(h, m, res, name);
        } else if (strcmp(type, "cox") == 0) {
            static const char *const k[] = { "term", "coef", "hr", "hr_lower", "hr_upper", "se", "z", "p" };
            static const char *const hd[] = { "term", "coef", "HR", "lower", "upper", "se", "z", "p" };
            P(h, "<p>n = ");
            val(h, get(res, "n"), 0);
            P(h, ", events = ");
            val(h, get(res, "events"), 0);
            P(h, ", concordance = ");
            val(h, get(get(res, "concordance"), "c"), 0);
            P(h, " (se ");
            val(h, get(get(res, "concordance"), "se"), 0);
            P(h, "), converged: ");
            val(h, get(res, "converged"), 0);
            P(h, ".</p>\n");
            table(h, get(res, "coefficients"), k, hd, 8);
            const cJSON *t = get(res, "tests");
            static const char *const tn[] = { "lr", "wald", "score" };
            static const char *const ts[] = { "Likelihood ratio", "Wald", "Score" };
            P(h, "<p>");
            for (int i = 0; i < 3; i++) {
                if (!get(t, tn[i])) continue;
                P(h, "%s test: chi-square ", ts[i]);
                val(h, get(get(t, tn[i]), "stat"), 0);
                P(h, " on ");
                val(h, get(get(t, tn[i]), "df"), 0);
                P(h, " df, ");
                pval(h, get(get(t, tn[i]), "p"));
                P(h, ". ");
            }
            P(h, "</p>\n");
            zph_table(h, get(res, "zph"));
            plot_cox_forest(h, res, name);
            int nc = cJSON_GetArraySize(get(res, "curves"));
            if (nc > 0) {
                const cJSON **gs = carta_malloc((size_t)nc * sizeof *gs);
                if (!gs) h->oom = 1;
                else {
                    size_t i = 0;
                    const cJSON *s;
                    cJSON_ArrayForEach(s, get(res, "curves")) gs[i++] = s;
                    curves_plot(h, gs, i, "surv", 0, "survival probability", "Predicted survival curves", "predicted_survival",
                                (const char *const[]){ "Survival predicted by ", name, " for the profiles in spec.newdata, with pointwise confidence bands.", NULL });
                    carta_free(gs);
                }
            }
        } else if (strcmp(type, "logistic") == 0) {
            static const char *const k[] = { "term", "coef", "or", "or_lower", "or_upper", "se", "z", "p" };
            static const char *const hd[] = { "term", "coef", "OR", "lower", "upper", "se", "z", "p" };
            P(h, "<p>n = ");
            val(h, get(res, "n"), 0);
            P(h, ", events = ");
            val(h, get(res, "events"), 0);
            P(h, ", Firth: ");
            val(h, get(res, "firth"), 0);
            P(h, ", converged: ");
            val(h, get(res, "converged"), 0);
            if (cJSON_IsTrue(get(res, "separation"))) {
                P(h, ", <strong>separation detected</strong> (");
                E(h, or_q(str(res, "separation_term")));
                P(h, ")");
            }
            P(h, ".</p>\n");
            table(h, get(res, "coefficients"), k, hd, 8);
        } else if (strcmp(type, "xgboost") == 0) {
            static const char *const k[] = { "feature", "gain", "cover", "weight", "mean_abs_shap" };
            static const char *const hd[] = { "feature", "gain", "cover", "weight", "mean |SHAP|" };
            P(h, "<p>Boosting rounds kept: ");
            val(h, get(res, "rounds"), 0);
            P(h, ".</p>\n");
            table(h, get(res, "importance"), k, hd, 5);
            plot_importance(h, get(res, "importance"), "gain", "gain", "importance_gain",
                            (const char *const[]){ "Feature importance of ", name, ": mean gain per split.", NULL });
            plot_importance(h, get(res, "importance"), "mean_abs_shap", "mean |SHAP|", "importance_shap",
                            (const char *const[]){ "Feature importance of ", name, ": mean absolute SHAP value.", NULL });
        } else if (strcmp(type, "km") == 0) {
            static const char *const k[] = { "label", "n", "events", "median", "median_lower", "median_upper", "rmst", "rmst_se" };
            static const char *const hd[] = { "group", "n", "events", "median", "lower", "upper", "RMST", "RMST se" };
            table(h, get(res, "strata"), k, hd, 8);
            int ng = cJSON_GetArraySize(get(res, "strata"));
            if (ng > 0) {
                const cJSON **gs = carta_malloc((size_t)ng * sizeof *gs);
                if (!gs) h->oom = 1;
                else {
                    size_t i = 0;
                    const cJSON *s;
                    cJSON_ArrayForEach(s, get(res, "strata")) gs[i++] = s;
                    curves_plot(h, gs, i, "surv", 1, "survival probability", "Kaplan-Meier curves", "km",
                                (const char *const[]){ "Kaplan-Meier estimate of ", name, " with pointwise confidence bands; numbers at risk at the axis ticks below.", NULL });
                    carta_free(gs);
                }
            }
        } else if (strcmp(type, "logrank") == 0) {
            static const char *const k[] = { "label", "n", "observed", "expected" };
            static const char *const hd[] = { "group", "n", "observed", "expected" };
            table(h, get(res, "groups"), k, hd, 4);
            P(h, "<p>Chi-square ");
            val(h, get(res, "chisq"), 0);
            P(h, " on ");
            val(h, get(res, "df"), 0);
            P(h, " df, ");
            pval(h, get(res, "p"));
            P(h, ".</p>\n");
        } else if (strcmp(type, "cif") == 0) {
            const cJSON *cause;
            cJSON_ArrayForEach(cause, get(res, "causes")) {
                const char *cn = or_q(str(cause, "cause"));
                P(h, "<h4>Cause: ");
                E(h, cn);
                P(h, "</h4>\n");
                const cJSON *gray = get(cause, "gray");
                if (gray && !cJSON_IsNull(gray)) {
                    P(h, "<p>Gray's test: chi-square ");
                    val(h, get(gray, "chisq"), 0);
                    P(h, " on ");
                    val(h, get(gray, "df"), 0);
                    P(h, " df, ");
                    pval(h, get(gray, "p"));
                    P(h, ".</p>\n");
                }
                int ng = cJSON_GetArraySize(get(cause, "strata"));
                if (ng <= 0) continue;
                const cJSON **gs = carta_malloc((size_t)ng * sizeof *gs);
                if (!gs) {
                    h->oom = 1;
                    break;
                }
                size_t i = 0;
                const cJSON *s;
                cJSON_ArrayForEach(s, get(cause, "strata")) gs[i++] = s;
                char kind[160];
                snprintf(kind, sizeof kind, "cif_%s", cn);
                curves_plot(h, gs, i, "cif", 0, "cumulative incidence", "Cumulative incidence curves", kind,
                            (const char *const[]){ "Cumulative incidence of ", cn, " (Aalen-Johansen) in ", name, " with pointwise confidence bands.", NULL });
                carta_free(gs);
            }
        }
    }
    const cJSON *metrics = get(val_, "metrics"), *curves = get(val_, "curves");
    int has_curves = get(curves, "roc") || get(curves, "calibration") || get(curves, "calibration_horizon") ||
                     get(curves, "decision_curve");
    if (cJSON_GetArraySize(metrics) > 0 || has_curves) {
        P(h, "<h4>Validation (");
        E(h, or_q(str(val_, "scheme")));
        P(h, ")</h4>\n");
        if (cJSON_GetArraySize(metrics) > 0) overall_table(h, metrics);
        if (has_curves) {
            P(h, "<div class=\"pair\">\n");
            if (get(curves, "roc")) plot_roc(h, get(curves, "roc"), metrics, name);
            if (get(curves, "calibration")) plot_calibration(h, get(curves, "calibration"), name);
            if (get(curves, "calibration_horizon")) plot_calibration_horizon(h, get(curves, "calibration_horizon"), name);
            if (get(curves, "decision_curve")) plot_decision_curve(h, get(curves, "decision_curve"), name);
            P(h, "</div>\n");
        }
        plot_slices(h, metrics, name);
    }
    P(h, "</section>\n");
}

static const char css[] =
    "<style>\n"
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;color:#1b1b1b;background:#fff;margin:0;line-height:1.45}\n"
    "main{max-width:980px;margin:0 auto;padding:1.5em 1.2em 3em}\n"
    "h1{font-size:1.7em;margin:0 0 .3em}h2{font-size:1.3em;border-bottom:2px solid #0072B2;padding-bottom:.15em;margin-top:1.8em}\n"
    "h3{font-size:1.12em;margin-top:1.5em}h4{font-size:1em;margin:1.2em 0 .4em}\n"
    ".type{font-weight:normal;color:#555;font-size:.85em;border:1px solid #bbb;border-radius:3px;padding:0 .35em;margin-left:.3em}\n"
    ".box{border:1px solid #9bb8d3;background:#f3f7fb;border-radius:6px;padding:1em 1.2em}\n"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.6em 0 0}\n"
    "dl.kv dt{font-weight:600}dl.kv dd{margin:0}\n"
    ".hash,code{font-family:ui-monospace,\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}\n"
    "table{border-collapse:collapse;margin:.6em 0 1em;font-size:.86em}\n"
    "th,td{border-bottom:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f6;border-bottom:2px solid #9aa8b6}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "figure{margin:1em 0;overflow-x:auto}figcaption{font-size:.85em;color:#444;max-width:760px}\n"
    "svg.plot{display:block;max-width:100%;height:auto}\n"
    "table.studies{font-size:.78em}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:0 2em}.pair figure{flex:0 1 380px}\n"
    "@media print{body{font-size:10pt}main{max-width:none;padding:0}.box{background:none}\n"
    " h2,h3,h4{break-after:avoid}figure,tr,.box{break-inside:avoid}th{background:none}}\n"
    "</style>\n";

/* A compact cell of the per-study Table 1: "median [q1, q3]" for numbers, "level n (p%)" per
   level for text; suppressed counts as the card writes them. */
static void table1_cell(carta_svg *h, const cJSON *v)
{
    char a[32], b[32], c[32];
    if (!v) {
        P(h, "NA");
        return;
    }
    const char *type = str(v, "type");
    if (type && strcmp(type, "numeric") == 0) {
        if (!isfinite(num(v, "median"))) P(h, "NA");
        else P(h, "%s [%s, %s]", fmt(num(v, "median"), 0, a), fmt(num(v, "q1"), 0, b), fmt(num(v, "q3"), 0, c));
        return;
    }
    const cJSON *l;
    int first = 1;
    cJSON_ArrayForEach(l, get(v, "levels")) {
        P(h, "%s", first ? "" : ", ");
        E(h, or_q(str(l, "level")));
        P(h, " ");
        val(h, get(l, "n"), 0);
        if (isfinite(num(l, "percent"))) P(h, " (%.0f%%)", num(l, "percent"));
        first = 0;
    }
    if (first) P(h, "NA");
}

/* 1 when some study has a text value for key (a column that is null everywhere is left out). */
static int any_text(const cJSON *studies, const char *key)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, studies) if (str(st, key)) return 1;
    return 0;
}

/* data.studies: one row per study with the registry facts, n, events and the compact Table 1
   (the variables of the first study, in its order). */
static void studies_table(carta_svg *h, const cJSON *studies)
{
    if (cJSON_GetArraySize(studies) <= 0) return;
    const cJSON *vars = get(cJSON_GetArrayItem(studies, 0), "table1"), *v, *st;
    static const char *const keys[] = { "studyid", "product", "crs_scale_reported", "n", "events" };
    static const char *const heads[] = { "study", "product", "CRS scale reported", "n", "events" };
    int show[5] = { 1, any_text(studies, "product"), any_text(studies, "crs_scale_reported"), 1, 1 };
    P(h, "<h4>Studies</h4>\n<table class=\"studies\">\n<thead><tr>");
    for (size_t k = 0; k < 5; k++)
        if (show[k]) P(h, "<th>%s</th>", heads[k]);
    cJSON_ArrayForEach(v, vars) {
        const char *type = str(v, "type");
        P(h, "<th>");
        E(h, or_q(str(v, "variable")));
        P(h, "%s</th>", type && strcmp(type, "numeric") == 0 ? ", median [IQR]" : ", n (%)");
    }
    P(h, "</tr></thead>\n<tbody>\n");
    cJSON_ArrayForEach(st, studies) {
        P(h, "<tr>");
        for (size_t k = 0; k < 5; k++) {
            if (!show[k]) continue;
            P(h, "<td%s>", k >= 3 ? " class=\"n\"" : "");
            val(h, get(st, keys[k]), 0);
            P(h, "</td>");
        }
        cJSON_ArrayForEach(v, vars) {
            /* The same variable in this study's list (studies list the same variables). */
            const cJSON *mine = NULL, *x;
            cJSON_ArrayForEach(x, get(st, "table1")) {
                const char *a = str(x, "variable"), *b = str(v, "variable");
                if (a && b && strcmp(a, b) == 0) {
                    mine = x;
                    break;
                }
            }
            P(h, "<td>");
            table1_cell(h, mine);
            P(h, "</td>");
        }
        P(h, "</tr>\n");
    }
    P(h, "</tbody>\n</table>\n<p>Per study: the product, costimulatory domain and disease come from the study registry; "
         "the Table 1 columns summarise the analysed patients of the study (counts below the card's threshold suppressed, "
         "and no median from fewer patients than that).</p>\n");
}

/* Writes the page into pg (pg->s holds the HTML; with pg->collect the plots too). */
static int render(const char *card_json, page *pg, carta_error *err)
{
    cJSON *c = card_json ? cJSON_Parse(card_json) : NULL;
    if (!c || !str(c, "schema") || strncmp(str(c, "schema"), "carta-model-card/", 17) != 0) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_EDATA, NULL, "not a carta model card");
    }
    carta_svg *h = &pg->s;
    const cJSON *md = get(c, "model_details"), *iu = get(c, "intended_use"), *oc = get(c, "outcome");
    const cJSON *data = get(c, "data"), *cons = get(c, "considerations"), *rp = get(c, "reproducibility");
    const cJSON *models = get(c, "models"), *m;
    const char *name = or_q(str(md, "name"));

    P(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Model card: ");
    E(h, name);
    P(h, "</title>\n%s</head>\n<body>\n<main>\n", css);

    /* 0. Header box. */
    P(h, "<header class=\"box\" id=\"summary\">\n<h1>Model card: ");
    E(h, name);
    P(h, "</h1>\n");
    if (str(md, "overview")) {
        P(h, "<p>");
        E(h, str(md, "overview"));
        P(h, "</p>\n");
    }
    P(h, "<dl class=\"kv\">\n<dt>Outcome</dt><dd>");
    E(h, or_q(str(oc, "definition")));
    P(h, " (");
    E(h, or_q(str(oc, "type")));
    P(h, ")</dd>\n<dt>Models</dt><dd>");
    int first = 1;
    cJSON_ArrayForEach(m, models) {
        P(h, "%s", first ? "" : ", ");
        E(h, or_q(str(m, "name")));
        P(h, " (");
        E(h, or_q(str(m, "type")));
        P(h, ")");
        first = 0;
    }
    P(h, "</dd>\n<dt>Validation</dt><dd>");
    E(h, str(get(rp, "validation"), "scheme") ? str(get(rp, "validation"), "scheme") : "none");
    P(h, "</dd>\n");
    cJSON_ArrayForEach(m, models) {
        const cJSON *metrics = get(get(m, "validation"), "metrics");
        const cJSON *hm = overall_metric(metrics, "auc");
        const char *shown = "AUC";
        if (!hm) {
            hm = overall_metric(metrics, "c_harrell");
            shown = "Harrell's C";
        }
        if (!hm) continue;
        P(h, "<dt>");
        E(h, or_q(str(m, "name")));
        P(h, "</dt><dd>%s ", shown);
        numtext(h, num(hm, "value"));
        P(h, " (");
        E(h, str(hm, "ci_method") ? str(hm, "ci_method") : "");
        P(h, " CI ");
        numtext(h, num(hm, "lower"));
        P(h, " to ");
        numtext(h, num(hm, "upper"));
        P(h, ")");
        const cJSON *cs = overall_metric(metrics, "calibration_slope");
        if (cs) {
            P(h, "; calibration slope ");
            numtext(h, num(cs, "value"));
        }
        P(h, "</dd>\n");
    }
    P(h, "<dt>Written by</dt><dd>");
    E(h, str(md, "generated_by") ? str(md, "generated_by") : "carta");
    P(h, "</dd>\n<dt>Card SHA-256</dt><dd class=\"hash\">");
    E(h, or_q(str(c, "card_sha256")));
    P(h, "</dd>\n</dl>\n</header>\n");

    /* 1. Intended use. */
    P(h, "<section id=\"intended-use\">\n<h2>Intended use</h2>\n<p>");
    E(h, str(iu, "primary_uses") ? str(iu, "primary_uses") : "Not stated.");
    P(h, "</p>\n");
    if (cJSON_GetArraySize(get(iu, "primary_users"))) {
        P(h, "<p>Users:</p>\n");
        bullets(h, get(iu, "primary_users"));
    }
    if (cJSON_GetArraySize(get(iu, "out_of_scope"))) {
        P(h, "<p>Out of scope:</p>\n");
        bullets(h, get(iu, "out_of_scope"));
    }
    P(h, "</section>\n");

    /* 2. Outcome and harmonization. */
    P(h, "<section id=\"outcome\">\n<h2>Outcome and harmonization</h2>\n<p>");
    E(h, or_q(str(oc, "definition")));
    P(h, " (");
    E(h, or_q(str(oc, "type")));
    P(h, ").</p>\n");
    const cJSON *hz = get(oc, "harmonization");
    if (hz && !cJSON_IsNull(hz)) {
        P(h, "<p>Grades harmonized to ASTCT with mapping table <code>");
        E(h, or_q(str(hz, "mapping_table")));
        P(h, "</code> (bound: ");
        E(h, or_q(str(hz, "bound_used")));
        P(h, "; SHA-256 <code>");
        E(h, or_q(str(hz, "mapping_sha256")));
        P(h, "</code>; units table SHA-256 <code>");
        E(h, or_q(str(hz, "units_sha256")));
        P(h, "</code>).</p>\n");
        static const char *const k[] = { "study", "scale", "crs", "from_signs", "mapped", "astct", "changed", "labs_converted" };
        static const char *const hd[] = { "study", "scale", "CRS records", "from signs", "mapped", "already ASTCT", "grade changed", "labs converted" };
        table(h, get(hz, "studies"), k, hd, 8);
    } else {
        P(h, "<p>The data were not harmonized.</p>\n");
    }
    P(h, "</section>\n");

    /* 3. Data. */
    P(h, "<section id=\"data\">\n<h2>Data</h2>\n");
    static const char *const fk[] = { "table", "path", "format", "rows", "cols", "sha256" };
    static const char *const fh[] = { "table", "file", "format", "rows", "columns", "SHA-256" };
    table(h, get(data, "files"), fk, fh, 6);
    studies_table(h, get(data, "studies"));
    P(h, "<h4>Cohort flow</h4>\n");
    static const char *const ck[] = { "step", "n", "excluded", "reason" };
    static const char *const chd[] = { "step", "remaining", "excluded", "reason" };
    table(h, get(get(data, "cohort"), "flow"), ck, chd, 4);
    P(h, "<p>Analysed: n = ");
    val(h, get(get(data, "cohort"), "n"), 0);
    P(h, ", events = ");
    val(h, get(get(data, "cohort"), "events"), 0);
    P(h, ".</p>\n</section>\n");

    /* 4. Predictors, missing data, sample size. */
    P(h, "<section id=\"predictors\">\n<h2>Predictors</h2>\n");
    static const char *const pk[] = { "name", "type", "source", "transform", "terms", "missing", "imputed" };
    static const char *const ph[] = { "predictor", "type", "source", "transform", "model terms", "missing", "imputed" };
    table(h, get(c, "predictors"), pk, ph, 7);
    if (cJSON_GetArraySize(get(get(c, "design_checks"), "issues"))) {
        P(h, "<p>Design checks:</p>\n");
        bullets(h, get(get(c, "design_checks"), "issues"));
    }
    P(h, "<p>Missing data: ");
    E(h, or_q(str(get(c, "missing_data"), "strategy")));
    P(h, ". Sample size: n = ");
    val(h, get(get(c, "sample_size"), "n"), 0);
    P(h, ", events = ");
    val(h, get(get(c, "sample_size"), "events"), 0);
    P(h, ", candidate parameters = ");
    val(h, get(get(c, "sample_size"), "candidate_parameters"), 0);
    P(h, ", events per candidate parameter = ");
    val(h, get(get(c, "sample_size"), "events_per_parameter"), 0);
    P(h, ".</p>\n</section>\n");

    /* 5. Models. */
    P(h, "<section id=\"models\">\n<h2>Models</h2>\n");
    size_t idx = 0;
    cJSON_ArrayForEach(m, models) model_section(h, m, idx++);
    pg->model = NULL; /* names point into c, which is about to go */
    P(h, "</section>\n");

    /* 6. Performance. */
    P(h, "<section id=\"performance\">\n<h2>Performance</h2>\n");
    const cJSON *perf = get(get(c, "performance"), "metrics");
    if (cJSON_GetArraySize(perf)) {
        static const char *const k[] = { "model", "name", "slice", "value", "lower", "upper", "ci_method", "n", "events" };
        static const char *const hd[] = { "model", "metric", "slice", "value", "lower", "upper", "CI", "n", "events" };
        table(h, perf, k, hd, 9);
    } else {
        P(h, "<p>No validation was configured.</p>\n");
    }
    P(h, "</section>\n");

    /* 7. Limitations. */
    P(h, "<section id=\"limitations\">\n<h2>Limitations and considerations</h2>\n");
    bullets(h, get(cons, "limitations"));
    bullets(h, get(cons, "tradeoffs"));
    bullets(h, get(cons, "caveats"));
    P(h, "<p>Counts below ");
    val(h, get(cons, "small_count_threshold"), 0);
    P(h, " are shown as &quot;&lt;");
    val(h, get(cons, "small_count_threshold"), 0);
    P(h, "&quot;.</p>\n</section>\n");

    /* 8. TRIPOD+AI. */
    P(h, "<section id=\"tripod\">\n<h2>TRIPOD+AI items</h2>\n");
    static const char *const tk[] = { "item", "topic", "status", "pointer" };
    static const char *const th[] = { "item", "topic", "status", "where in card.json" };
    table(h, get(c, "tripod_ai"), tk, th, 4);
    P(h, "</section>\n");

    /* 9. Reproducibility. */
    P(h, "<section id=\"reproducibility\">\n<h2>Reproducibility</h2>\n<dl class=\"kv\">\n");
    P(h, "<dt>Config SHA-256</dt><dd class=\"hash\">");
    E(h, or_q(str(get(rp, "config"), "sha256_raw")));
    P(h, "</dd>\n<dt>Resolved config SHA-256</dt><dd class=\"hash\">");
    E(h, or_q(str(get(rp, "config"), "sha256_resolved")));
    P(h, "</dd>\n<dt>Random numbers</dt><dd>");
    E(h, or_q(str(get(rp, "rng"), "algorithm")));
    P(h, ", seed ");
    val(h, get(get(rp, "rng"), "seed"), 0);
    P(h, "</dd>\n<dt>Compiler</dt><dd>");
    E(h, or_q(str(get(rp, "build"), "compiler")));
    P(h, "</dd>\n<dt>Numerics</dt><dd>");
    E(h, or_q(str(get(rp, "build"), "numerics")));
    P(h, "</dd>\n</dl>\n<p>Re-run and compare with <code>carta verify card.json</code>.</p>\n");
    static const char *const lk[] = { "name", "version" };
    static const char *const lh[] = { "library", "version" };
    table(h, get(rp, "libraries"), lk, lh, 2);
    P(h, "</section>\n</main>\n</body>\n</html>\n");
    cJSON_Delete(c);
    if (h->oom) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for card.html");
    return CARTA_OK;
}

void carta_card_plots_free(carta_card_plot *plots, size_t n)
{
    for (size_t i = 0; plots && i < n; i++) {
        carta_free(plots[i].name);
        carta_free(plots[i].svg);
        carta_free(plots[i].model);
        carta_free(plots[i].caption);
    }
    carta_free(plots);
}

int carta_card_html(const char *card_json, char **out, carta_error *err)
{
    *out = NULL;
    page pg;
    memset(&pg, 0, sizeof pg);
    int rc = render(card_json, &pg, err);
    if (rc) {
        carta_svg_free(&pg.s);
        return rc;
    }
    *out = pg.s.s;
    return CARTA_OK;
}

int carta_card_plots(const char *card_json, carta_card_plot **plots, size_t *n, carta_error *err)
{
    *plots = NULL;
    *n = 0;
    page pg;
    memset(&pg, 0, sizeof pg);
    pg.collect = 1;
    int rc = render(card_json, &pg, err);
    carta_svg_free(&pg.s);
    if (rc) {
        carta_card_plots_free(pg.plots, pg.n_plots);
        return rc;
    }
    *plots = pg.plots;
    *n = pg.n_plots;
    return CARTA_OK;
}

int carta_card_plots_write(const carta_card_plot *plots, size_t n, const char *dir, carta_error *err)
{
    if (n == 0) return CARTA_OK;
    char *folder = carta_path_resolve(dir, "plots");
    if (!folder) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
        carta_where at = { .file = folder };
        int rc = carta_error_set(err, CARTA_EIO, &at, "cannot create the plots folder: %s", strerror(errno));
        carta_free(folder);
        return rc;
    }
    int rc = CARTA_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = carta_path_resolve(folder, plots[i].name);
        rc = path ? carta_file_write(path, plots[i].svg, strlen(plots[i].svg), 1, err)
                  : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        carta_free(path);
    }
    carta_free(folder);
    return rc;
}
