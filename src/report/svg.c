/* A small SVG writer for the model card's plots (carta/svg.h). Deterministic by construction:
 * pixel coordinates are printed with "%.2f" after rounding -0 to 0, tick labels with exactly
 * the decimals their step needs, and nothing depends on time, locale or memory addresses.
 * Nice ticks follow the usual 1-2-5 rule (Heckbert, "Nice numbers for graph labels", Graphics
 * Gems, 1990). */
#include <carta/svg.h>
#include <carta/alloc.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *carta_svg_colour(size_t k)
{
    /* Okabe & Ito (2008), without yellow, which is too light on white. */
    static const char *const pal[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000" };
    return pal[k % (sizeof pal / sizeof pal[0])];
}

void carta_svg_printf(carta_svg *g, const char *fmt, ...)
{
    if (g->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (g->n + (size_t)k + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->n + (size_t)k + 1) cap *= 2;
        char *s = carta_realloc(g->s, cap);
        if (!s) {
            g->oom = 1;
            return;
        }
        g->s = s;
        g->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(g->s + g->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    g->n += (size_t)k;
}

void carta_svg_escaped(carta_svg *g, const char *text)
{
    if (!text) return;
    const char *run = text;
    for (const char *c = text;; c++) {
        const char *ent = NULL;
        switch (*c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent || *c == '\0') {
            if (c > run) carta_svg_printf(g, "%.*s", (int)(c - run), run);
            if (*c == '\0') break;
            carta_svg_printf(g, "%s", ent);
            run = c + 1;
        }
    }
}

/* A pixel coordinate as text: two decimals, never "-0.00". */
static const char *px(double v, char *buf)
{
    double r = round(v * 100.0) / 100.0;
    if (r == 0.0 || !isfinite(r)) r = 0.0;
    snprintf(buf, 32, "%.2f", r);
    return buf;
}

void carta_svg_begin(carta_svg *g, double width, double height, double left, double right,
                     double top, double bottom, const char *title)
{
    memset(g, 0, sizeof *g);
    g->width = width;
    g->height = height;
    g->px0 = left;
    g->px1 = width - right;
    g->py0 = top;
    g->py1 = height - bottom;
    g->x0 = g->y0 = 0;
    g->x1 = g->y1 = 1;
    char a[32], b[32];
    carta_svg_printf(g, "<svg class=\"plot\" role=\"img\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"sans-serif\">\n",
                     px(width, a), px(height, b), a, b);
    if (title) {
        carta_svg_printf(g, "<title>");
        carta_svg_escaped(g, title);
        carta_svg_printf(g, "</title>\n");
    }
}

void carta_svg_range(carta_svg *g, double x0, double x1, int xlog, double y0, double y1, int ylog)
{
    if (!(x1 > x0)) x1 = xlog ? x0 * 2 : x0 + 1;
    if (!(y1 > y0)) y1 = ylog ? y0 * 2 : y0 + 1;
    g->x0 = x0;
    g->x1 = x1;
    g->y0 = y0;
    g->y1 = y1;
    g->xlog = xlog;
    g->ylog = ylog;
}

static double frac(double v, double lo, double hi, int lg)
{
    double f = lg ? (log(v) - log(lo)) / (log(hi) - log(lo)) : (v - lo) / (hi - lo);
    if (!(f >= 0)) f = 0;   /* also NaN, and log of a non-positive value */
    if (f > 1) f = 1;
    return f;
}

double carta_svg_px(const carta_svg *g, double x) { return g->px0 + frac(x, g->x0, g->x1, g->xlog) * (g->px1 - g->px0); }

double carta_svg_py(const carta_svg *g, double y) { return g->py1 - frac(y, g->y0, g->y1, g->ylog) * (g->py1 - g->py0); }

size_t carta_svg_ticks(double lo, double hi, size_t target, double *ticks, size_t cap, int *decimals)
{
    if (decimals) *decimals = 0;
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo) || target < 2 || cap == 0) return 0;
    double raw = (hi - lo) / (double)(target - 1);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag, step;
    if (f < 1.5) step = 1;
    else if (f < 3) step = 2;
    else if (f < 7) step = 5;
    else step = 10;
    step *= mag;
    int dec = (int)-floor(log10(step) + 1e-9);
    if (dec < 0) dec = 0;
    if (decimals) *decimals = dec;
    /* Integer multiples of the step, so no error accumulates; a tolerance keeps the ends. */
    double eps = step * 1e-9;
    long k0 = (long)ceil((lo - eps) / step), k1 = (long)floor((hi + eps) / step);
    size_t n = 0;
    for (long k = k0; k <= k1 && n < cap; k++) {
        double v = (double)k * step;
        if (fabs(v) < eps) v = 0;
        ticks[n++] = v;
    }
    return n;
}

size_t carta_svg_log_ticks(double lo, double hi, double *ticks, size_t cap, int *decimals)
{
    if (decimals) *decimals = 0;
    if (!(lo > 0) || !(hi > lo) || !isfinite(hi)) return 0;
    if (hi / lo < 10) return carta_svg_ticks(lo, hi, 5, ticks, cap, decimals);
    static const double mant[] = { 1, 2, 5 };
    int e0 = (int)floor(log10(lo)), e1 = (int)ceil(log10(hi));
    int all = e1 - e0 <= 4;
    size_t n = 0;
    for (int e = e0; e <= e1; e++)
        for (int m = 0; m < (all ? 3 : 1); m++) {
            double v = mant[m] * pow(10.0, e);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9) || n >= cap) continue;
            ticks[n++] = v;
        }
    /* Each tick is labelled with its own decimals (0.05, 0.2, 1, 20). */
    if (decimals) *decimals = -1;
    return n;
}

char *carta_svg_fmt(double v, int decimals, char *buf, size_t cap)
{
    if (decimals < 0) decimals = 0;
    if (decimals > 12) decimals = 12;
    snprintf(buf, cap, "%.*f", decimals, v);
    /* "-0", "-0.0" ... are zero. */
    if (buf[0] == '-') {
        int zero = 1;
        for (const char *c = buf + 1; *c; c++) zero &= *c == '0' || *c == '.';
        if (zero) memmove(buf, buf + 1, strlen(buf));
    }
    return buf;
}

/* The decimals a 1-2-5 tick needs on its own: 0.05 -> 2, 0.2 -> 1, 20 -> 0. */
static int own_decimals(double v)
{
    int d = v > 0 ? (int)-floor(log10(v) + 1e-9) : 0;
    return d > 0 ? d : 0;
}

void carta_svg_axes(carta_svg *g, const char *xlabel, const char *ylabel, size_t xticks, size_t yticks)
{
    char a[32], b[32], c[32], d[32], t[32];
    double tk[64];
    int dec;
    size_t n;
    if (xticks) {
        n = g->xlog ? carta_svg_log_ticks(g->x0, g->x1, tk, 64, &dec) : carta_svg_ticks(g->x0, g->x1, xticks, tk, 64, &dec);
        for (size_t i = 0; i < n; i++) {
            double x = carta_svg_px(g, tk[i]);
            carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#e4e4e4\"/>\n", px(x, a), px(g->py0, b), a, px(g->py1, c));
            carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>\n", a, c, a, px(g->py1 + 4, d));
            carta_svg_text(g, x, g->py1 + 16, "middle", 11, carta_svg_fmt(tk[i], dec >= 0 ? dec : own_decimals(tk[i]), t, sizeof t));
        }
    }
    if (yticks) {
        n = g->ylog ? carta_svg_log_ticks(g->y0, g->y1, tk, 64, &dec) : carta_svg_ticks(g->y0, g->y1, yticks, tk, 64, &dec);
        for (size_t i = 0; i < n; i++) {
            double y = carta_svg_py(g, tk[i]);
            carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#e4e4e4\"/>\n", px(g->px0, a), px(y, b), px(g->px1, c), b);
            carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>\n", px(g->px0 - 4, d), b, a, b);
            carta_svg_text(g, g->px0 - 7, y + 4, "end", 11, carta_svg_fmt(tk[i], dec >= 0 ? dec : own_decimals(tk[i]), t, sizeof t));
        }
    }
    /* The axis lines themselves: bottom always, left when the y axis has ticks. */
    carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>\n", px(g->px0, a), px(g->py1, b), px(g->px1, c), b);
    if (yticks) carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>\n", a, px(g->py0, d), a, b);
    if (xlabel) carta_svg_text(g, (g->px0 + g->px1) / 2, g->py1 + 32, "middle", 12, xlabel);
    if (ylabel) {
        double x = g->px0 - 44, y = (g->py0 + g->py1) / 2;
        carta_svg_printf(g, "<text x=\"%s\" y=\"%s\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 %s %s)\">", px(x, a), px(y, b), a, b);
        carta_svg_escaped(g, ylabel);
        carta_svg_printf(g, "</text>\n");
    }
}

static void stroke_attrs(carta_svg *g, const char *colour, int dashed)
{
    carta_svg_printf(g, " fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s/>\n", colour, dashed ? " stroke-dasharray=\"5 4\"" : "");
}

void carta_svg_step(carta_svg *g, double start_x, double start_y, const double *x, const double *y,
                    size_t n, double x_end, const char *colour, int dashed)
{
    char a[32], b[32];
    int open = 0;
    double prev = start_y;
    if (isfinite(start_y)) {
        carta_svg_printf(g, "<path d=\"M%s %s", px(carta_svg_px(g, start_x), a), px(carta_svg_py(g, start_y), b));
        open = 1;
    }
    for (size_t i = 0; i <= n; i++) {
        double xi = i < n ? x[i] : x_end, yi = i < n ? y[i] : prev;
        if (!isfinite(xi)) continue;
        if (open) {
            /* Hold the previous level up to this time, then jump. */
            carta_svg_printf(g, " H%s", px(carta_svg_px(g, xi), a));
            if (isfinite(yi)) carta_svg_printf(g, " V%s", px(carta_svg_py(g, yi), b));
        }
        if (!isfinite(yi)) {
            if (open) {
                carta_svg_printf(g, "\"");
                stroke_attrs(g, colour, dashed);
            }
            open = 0;
        } else if (!open) {
            carta_svg_printf(g, "<path d=\"M%s %s", px(carta_svg_px(g, xi), a), px(carta_svg_py(g, yi), b));
            open = 1;
        }
        prev = yi;
    }
    if (open) {
        carta_svg_printf(g, "\"");
        stroke_attrs(g, colour, dashed);
    }
}

/* One closed polygon of a band over rows [i0, i1) of the step functions, the first row
   starting at x0 with limits l0, h0. */
static void band_piece(carta_svg *g, double x0, double l0, double h0, const double *x, const double *lo,
                       const double *hi, size_t i0, size_t i1, double x_end, const char *colour)
{
    char a[32], b[32];
    carta_svg_printf(g, "<path d=\"M%s %s", px(carta_svg_px(g, x0), a), px(carta_svg_py(g, h0), b));
    for (size_t i = i0; i < i1; i++)
        carta_svg_printf(g, " H%s V%s", px(carta_svg_px(g, x[i]), a), px(carta_svg_py(g, hi[i]), b));
    carta_svg_printf(g, " H%s", px(carta_svg_px(g, x_end), a));
    carta_svg_printf(g, " V%s", px(carta_svg_py(g, i1 > i0 ? lo[i1 - 1] : l0), b));
    for (size_t i = i1; i-- > i0;)
        carta_svg_printf(g, " H%s V%s", px(carta_svg_px(g, x[i]), a), px(carta_svg_py(g, i > i0 ? lo[i - 1] : l0), b));
    carta_svg_printf(g, " H%s Z\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\"/>\n", px(carta_svg_px(g, x0), a), colour);
}

void carta_svg_step_band(carta_svg *g, double start_x, double start_lo, double start_hi, const double *x,
                         const double *lo, const double *hi, size_t n, double x_end, const char *colour)
{
    /* Pieces of consecutive rows with finite limits; each piece starts at its first row's time
       (or at start_x with the starting limits) and ends where the next piece or x_end begins. */
    size_t i = 0;
    int have_start = isfinite(start_lo) && isfinite(start_hi);
    while (i <= n) {
        double x0, l0, h0;
        size_t j;
        if (have_start) {
            x0 = start_x;
            l0 = start_lo;
            h0 = start_hi;
            j = i;
            have_start = 0;
        } else {
            while (i < n && !(isfinite(lo[i]) && isfinite(hi[i]) && isfinite(x[i]))) i++;
            if (i >= n) break;
            x0 = x[i];
            l0 = lo[i];
            h0 = hi[i];
            j = ++i;
        }
        while (j < n && isfinite(lo[j]) && isfinite(hi[j]) && isfinite(x[j])) j++;
        double end = j < n ? x[j] : x_end;
        band_piece(g, x0, l0, h0, x, lo, hi, i, j, end, colour);
        i = j;
        if (i >= n) break;
    }
}

void carta_svg_polyline(carta_svg *g, const double *x, const double *y, size_t n, const char *colour, int dashed)
{
    char a[32], b[32];
    carta_svg_printf(g, "<polyline points=\"");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        carta_svg_printf(g, "%s%s,%s", first ? "" : " ", px(carta_svg_px(g, x[i]), a), px(carta_svg_py(g, y[i]), b));
        first = 0;
    }
    carta_svg_printf(g, "\"");
    stroke_attrs(g, colour, dashed);
}

void carta_svg_line(carta_svg *g, double xa, double ya, double xb, double yb, const char *colour, int dashed)
{
    char a[32], b[32], c[32], d[32];
    carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1.2\"%s/>\n",
                     px(carta_svg_px(g, xa), a), px(carta_svg_py(g, ya), b), px(carta_svg_px(g, xb), c),
                     px(carta_svg_py(g, yb), d), colour, dashed ? " stroke-dasharray=\"5 4\"" : "");
}

void carta_svg_points(carta_svg *g, const double *x, const double *y, size_t n, double r, const char *colour)
{
    char a[32], b[32], c[32];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        carta_svg_printf(g, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\"/>\n", px(carta_svg_px(g, x[i]), a),
                         px(carta_svg_py(g, y[i]), b), px(r, c), colour);
    }
}

void carta_svg_marks(carta_svg *g, const double *x, const double *y, size_t n, const char *colour)
{
    char a[32], b[32];
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        if (!open) carta_svg_printf(g, "<path d=\"");
        carta_svg_printf(g, "%sM%s %s v8", open ? " " : "", px(carta_svg_px(g, x[i]), a), px(carta_svg_py(g, y[i]) - 4, b));
        open = 1;
    }
    if (open) carta_svg_printf(g, "\" stroke=\"%s\" stroke-width=\"1.2\" fill=\"none\"/>\n", colour);
}

void carta_svg_interval(carta_svg *g, double py, double est, double lo, double hi, double size,
                        int diamond, const char *colour)
{
    char a[32], b[32], c[32], d[32];
    double xe = carta_svg_px(g, est);
    if (diamond && isfinite(lo) && isfinite(hi)) {
        double xl = carta_svg_px(g, lo), xh = carta_svg_px(g, hi), h = size / 2;
        carta_svg_printf(g, "<polygon points=\"%s,%s ", px(xl, a), px(py, b));
        carta_svg_printf(g, "%s,%s ", px(xe, a), px(py - h, b));
        carta_svg_printf(g, "%s,%s ", px(xh, a), px(py, b));
        carta_svg_printf(g, "%s,%s\" fill=\"%s\"/>\n", px(xe, a), px(py + h, b), colour);
        return;
    }
    if (isfinite(lo) && isfinite(hi))
        carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                         px(carta_svg_px(g, lo), a), px(py, b), px(carta_svg_px(g, hi), c), b, colour);
    if (isfinite(est))
        carta_svg_printf(g, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>\n", px(xe - size / 2, a),
                         px(py - size / 2, b), px(size, c), px(size, d), colour);
}

void carta_svg_hbar(carta_svg *g, double py, double h, double x_from, double x_to, const char *colour)
{
    char a[32], b[32], c[32], d[32];
    double xa = carta_svg_px(g, x_from), xb = carta_svg_px(g, x_to);
    if (xb < xa) {
        double t = xa;
        xa = xb;
        xb = t;
    }
    carta_svg_printf(g, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>\n", px(xa, a), px(py, b),
                     px(xb - xa, c), px(h, d), colour);
}

void carta_svg_text(carta_svg *g, double x, double y, const char *anchor, double size, const char *text)
{
    char a[32], b[32], c[32];
    carta_svg_printf(g, "<text x=\"%s\" y=\"%s\" font-size=\"%s\" text-anchor=\"%s\">", px(x, a), px(y, b), px(size, c), anchor);
    carta_svg_escaped(g, text);
    carta_svg_printf(g, "</text>\n");
}

void carta_svg_legend(carta_svg *g, double x, double y, const char *const *labels, size_t n)
{
    char a[32], b[32], c[32];
    for (size_t k = 0; k < n; k++) {
        double yk = y + 16.0 * (double)k;
        carta_svg_printf(g, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"3\"/>\n", px(x, a),
                         px(yk - 4, b), px(x + 18, c), b, carta_svg_colour(k));
        carta_svg_text(g, x + 24, yk, "start", 11, labels[k]);
    }
}

int carta_svg_end(carta_svg *g, char **out)
{
    carta_svg_printf(g, "</svg>\n");
    if (g->oom) {
        carta_svg_free(g);
        return -1;
    }
    *out = g->s;
    g->s = NULL;
    g->n = g->cap = 0;
    return 0;
}

void carta_svg_free(carta_svg *g)
{
    if (!g) return;
    carta_free(g->s);
    g->s = NULL;
    g->n = g->cap = 0;
}
