/* card.html: a self-contained HTML rendering of card.json (parsed back, so it can only say what
 * the card says). Same sections as card.md (../shared/domain/model-cards.md section 6), plus
 * plots drawn as inline SVG by svg.c: the Cox forest plot of hazard ratios and predicted
 * survival curves, Kaplan-Meier curves with confidence bands, censoring marks and a
 * number-at-risk table, cumulative incidence per cause, xgboost importance (gain, mean |SHAP|),
 * ROC and calibration curves of the validation, and per-study performance as a forest plot.
 *
 * Rules: no script, no URL, no external font; CSS inline in one <style> block with a print
 * layout; every text from the card is escaped; numbers are shown with fixed rules (whole
 * numbers as integers, others with 4 significant digits, p-values with 2 and "<0.0001" below
 * that); counts the card suppressed ("<5") are shown as written. The output depends only on
 * the card's text, so the same card gives the same bytes. */
#include <carta/report.h>
#include <carta/alloc.h>
#include <carta/svg.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Appends a finished picture inside a figure whose caption is the concatenation of the parts
   (a NULL-terminated list, each escaped), so that no name is ever cut short. */
static void figure(carta_svg *h, carta_svg *g, const char *const *caption)
{
    char *s = NULL;
    if (carta_svg_end(g, &s) != 0) {
        h->oom = 1;
        return;
    }
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

static void forest(carta_svg *h, const frow *r, size_t n, const frow *overall, int logx, double ref,
                   const char *xlabel, const char *title, const char *const *caption)
{
    double lo = NAN, hi = NAN;
    for (size_t i = 0; i <= n; i++) {
        const frow *f = i < n ? &r[i] : overall;
        if (!f) continue;
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
    size_t rows = n + (overall ? 1 : 0);
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
        const frow *f = i < n ? &r[i] : overall;
        double y = top + row * ((double)i + 0.5);
        carta_svg_text(&g, g.px0 - 10, y + 4, "end", 11, f->label);
        carta_svg_interval(&g, y, f->est, f->lo, f->hi, i < n ? 8 : 12, i >= n, i < n ? "#0072B2" : "#000000");
        char t[160], a[32], b[32], c[32];
        if (isfinite(f->lo) && isfinite(f->hi)) snprintf(t, sizeof t, "%s (%s to %s)", fmt(f->est, 0, a), fmt(f->lo, 0, b), fmt(f->hi, 0, c));
        else snprintf(t, sizeof t, "%s (no interval)", fmt(f->est, 0, a));
        carta_svg_text(&g, g.px1 + 10, y + 4, "start", 11, t);
    }
    figure(h, &g, caption);
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
    forest(h, r, k, NULL, 1, 1.0, "hazard ratio", "Forest plot of hazard ratios",
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
                        const char *ylabel, const char *title, const char *const *caption)
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
    figure(h, &g, caption);
}

static void plot_importance(carta_svg *h, const cJSON *imp, const char *key, const char *xlabel, const char *const *caption)
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
    figure(h, &g, caption);
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
        figure(h, &g, (const char *const[]){ "ROC curve of ", name, " from the validation predictions", tail, NULL });
    }
    carta_free(x);
    carta_free(y);
}

static void plot_calibration(carta_svg *h, const cJSON *cal, const char *name)
{
    double *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    if (doubles(get(cal, "predicted"), &x, &nx) | doubles(get(cal, "observed"), &y, &ny)) h->oom = 1;
    if (nx > 0 && nx == ny) {
        double top = 0;
        for (size_t i = 0; i < nx; i++) top = maxd(maxd(top, x[i]), y[i]);
        /* Up to the next tenth (or hundredth for rare outcomes) above every point. */
        double unit = top > 0.2 ? 0.1 : 0.01;
        top = ceil(top / unit - 1e-9) * unit;
        if (!(top > 0)) top = 1;
        if (top > 1) top = 1;
        carta_svg g;
        carta_svg_begin(&g, 380, 360, 70, 20, 16, 54, "Calibration plot");
        carta_svg_range(&g, 0, top, 0, 0, top, 0);
        carta_svg_axes(&g, "predicted risk (mean of the group)", "observed proportion", 6, 6);
        carta_svg_line(&g, 0, 0, top, top, "#999999", 1);
        carta_svg_polyline(&g, x, y, nx, "#0072B2", 0);
        carta_svg_points(&g, x, y, nx, 3.5, "#0072B2");
        char tail[200];
        snprintf(tail, sizeof tail, ": observed proportion against mean predicted risk in %zu groups of predicted risk (dashed: perfect calibration).", nx);
        figure(h, &g, (const char *const[]){ "Calibration of ", name, tail, NULL });
    }
    carta_free(x);
    carta_free(y);
}

/* The model's overall metrics (slice "overall") as a small table. */
static void overall_table(carta_svg *h, const cJSON *metrics)
{
    static const char *const k[] = { "name", "value", "lower", "upper", "ci_method", "n", "events" };
    static const char *const hd[] = { "metric", "value", "lower", "upper", "CI", "n", "events" };
    P(h, "<table>\n<thead><tr>");
    for (size_t j = 0; j < 7; j++) P(h, "<th>%s</th>", hd[j]);
    P(h, "</tr></thead>\n<tbody>\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, metrics) {
        const char *s = str(m, "slice");
        if (!s || strcmp(s, "overall") != 0) continue;
        P(h, "<tr>");
        for (size_t j = 0; j < 7; j++) {
            const cJSON *v = get(m, k[j]);
            P(h, "<td%s>", cJSON_IsNumber(v) ? " class=\"n\"" : "");
            val(h, v, 0);
            P(h, "</td>");
        }
        P(h, "</tr>\n");
    }
    P(h, "</tbody>\n</table>\n");
}

/* Per-study (per-slice) performance with the overall value as a diamond. */
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
            if (!mn || !s || strcmp(mn, names[q]) != 0 || strcmp(s, "overall") == 0 || !isfinite(num(m, "value"))) continue;
            r[k++] = (frow){ s, num(m, "value"), num(m, "lower"), num(m, "upper") };
        }
        if (k > 0) {
            frow all = { "overall", num(ov, "value"), num(ov, "lower"), num(ov, "upper") };
            forest(h, r, k, &all, 0, 0.5, shown[q], "Performance per slice",
                   (const char *const[]){ shown[q], " of ", name, " per slice (a held-out study, or a level of a fairness attribute) with confidence limits; the diamond is the overall value (dashed line: 0.5, no discrimination).", NULL });
        }
        carta_free(r);
    }
}

/* ---- sections ------------------------------------------------------------------------------- */

static void model_section(carta_svg *h, const cJSON *m, size_t idx)
{
    const char *type = str(m, "type"), *name = or_q(str(m, "name"));
    const cJSON *res = get(m, "result"), *val_ = get(m, "validation");
    P(h, "<section class=\"model\" id=\"model-%zu\">\n<h3>", idx + 1);
    E(h, name);
    P(h, " <span class=\"type\">");
    E(h, or_q(type));
    P(h, "</span></h3>\n");
    if (type && res && !cJSON_IsNull(res)) {
        if (strcmp(type, "cox") == 0) {
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
            const cJSON *zg = get(get(res, "zph"), "global");
            if (zg) {
                P(h, "Proportional hazards (global test): chi-square ");
                val(h, get(zg, "chisq"), 0);
                P(h, " on ");
                val(h, get(zg, "df"), 0);
                P(h, " df, ");
                pval(h, get(zg, "p"));
                P(h, ".");
            }
            P(h, "</p>\n");
            plot_cox_forest(h, res, name);
            int nc = cJSON_GetArraySize(get(res, "curves"));
            if (nc > 0) {
                const cJSON **gs = carta_malloc((size_t)nc * sizeof *gs);
                if (!gs) h->oom = 1;
                else {
                    size_t i = 0;
                    const cJSON *s;
                    cJSON_ArrayForEach(s, get(res, "curves")) gs[i++] = s;
                    curves_plot(h, gs, i, "surv", 0, "survival probability", "Predicted survival curves",
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
            plot_importance(h, get(res, "importance"), "gain", "gain",
                            (const char *const[]){ "Feature importance of ", name, ": mean gain per split.", NULL });
            plot_importance(h, get(res, "importance"), "mean_abs_shap", "mean |SHAP|",
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
                    curves_plot(h, gs, i, "surv", 1, "survival probability", "Kaplan-Meier curves",
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
                curves_plot(h, gs, i, "cif", 0, "cumulative incidence", "Cumulative incidence curves",
                            (const char *const[]){ "Cumulative incidence of ", cn, " (Aalen-Johansen) in ", name, " with pointwise confidence bands.", NULL });
                carta_free(gs);
            }
        }
    }
    const cJSON *metrics = get(val_, "metrics");
    if (cJSON_GetArraySize(metrics) > 0) {
        P(h, "<h4>Validation (");
        E(h, or_q(str(val_, "scheme")));
        P(h, ")</h4>\n");
        overall_table(h, metrics);
        const cJSON *curves = get(val_, "curves");
        P(h, "<div class=\"pair\">\n");
        if (get(curves, "roc")) plot_roc(h, get(curves, "roc"), metrics, name);
        if (get(curves, "calibration")) plot_calibration(h, get(curves, "calibration"), name);
        P(h, "</div>\n");
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
    ".pair{display:flex;flex-wrap:wrap;gap:0 2em}.pair figure{flex:0 1 380px}\n"
    "@media print{body{font-size:10pt}main{max-width:none;padding:0}.box{background:none}\n"
    " h2,h3,h4{break-after:avoid}figure,tr,.box{break-inside:avoid}th{background:none}}\n"
    "</style>\n";

int carta_card_html(const char *card_json, char **out, carta_error *err)
{
    *out = NULL;
    cJSON *c = card_json ? cJSON_Parse(card_json) : NULL;
    if (!c || !str(c, "schema") || strncmp(str(c, "schema"), "carta-model-card/", 17) != 0) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_EDATA, NULL, "not a carta model card");
    }
    carta_svg page;
    memset(&page, 0, sizeof page);
    carta_svg *h = &page;
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
    if (h->oom) {
        carta_svg_free(h);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for card.html");
    }
    *out = h->s;
    return CARTA_OK;
}
