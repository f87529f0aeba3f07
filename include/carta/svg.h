/* carta/svg.h: a small SVG writer for the model card's plots. One plot is one carta_svg: a text
   buffer plus the mapping from data coordinates to pixels of a rectangular plot area. Every
   number is written with a fixed rule (pixels with two decimals, tick labels with the decimals
   their step needs), so the same data always give the same bytes. Colours are presentation
   attributes rather than CSS, so a plot does not depend on the page's style sheet. The <svg>
   element carries no xmlns attribute (the card must contain no URL; inline in HTML the parser
   supplies the namespace): a standalone .svg file needs it added. Text is escaped for XML. */
#ifndef CARTA_SVG_H
#define CARTA_SVG_H

#include <stddef.h>

typedef struct carta_svg {
    char *s;                     /* the text so far (owned; carta_svg_take hands it over) */
    size_t n, cap;
    int oom;                     /* set when an allocation failed; later writes do nothing */
    double width, height;        /* of the whole picture, in pixels */
    double px0, px1, py0, py1;   /* plot area: left, right, top, bottom pixel edges */
    double x0, x1, y0, y1;       /* data range shown on each axis */
    int xlog, ylog;              /* 1: that axis is logarithmic (the range must be positive) */
} carta_svg;

/* The colour of series k (Okabe-Ito palette, colour-blind safe; k wraps around). */
const char *carta_svg_colour(size_t k);

/* Appends printf-formatted text / XML-escaped text (& < > " ' as entities) to the buffer. */
void carta_svg_printf(carta_svg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void carta_svg_escaped(carta_svg *g, const char *text);

/* Starts a picture of width x height pixels with an accessible <title> (escaped; may be NULL)
   and sets the plot area to the given margins inside it. g is zeroed first. */
void carta_svg_begin(carta_svg *g, double width, double height, double left, double right,
                     double top, double bottom, const char *title);

/* Sets the data range. A log axis needs 0 < lo < hi; otherwise lo < hi (equal ends are widened). */
void carta_svg_range(carta_svg *g, double x0, double x1, int xlog, double y0, double y1, int ylog);

/* Data to pixel coordinates; values outside the range are clamped to the plot area's edges. */
double carta_svg_px(const carta_svg *g, double x);
double carta_svg_py(const carta_svg *g, double y);

/* Nice tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi] with about
   `target` ticks, all inside [lo, hi]; returns how many were written into ticks (at most cap).
   *decimals (may be NULL) receives how many decimals label them exactly. */
size_t carta_svg_ticks(double lo, double hi, size_t target, double *ticks, size_t cap, int *decimals);

/* Ticks for a logarithmic axis over [lo, hi] (0 < lo < hi): linear nice ticks when hi/lo < 10,
   else 1-2-5 per decade (powers of ten alone beyond four decades). *decimals is -1 for 1-2-5
   ticks: label each with the decimals it needs itself (carta_svg_axes does). */
size_t carta_svg_log_ticks(double lo, double hi, double *ticks, size_t cap, int *decimals);

/* Formats a tick value with the given decimals into buf (cap >= 32); "-0" is written as "0". */
char *carta_svg_fmt(double v, int decimals, char *buf, size_t cap);

/* Draws the axes: the x axis (ticks and labels) below the plot area, the y axis left of it,
   light grid lines, and the axis titles (escaped; NULL for none). Pass xticks = 0 or yticks = 0
   to leave an axis without ticks (forest plots label rows instead). */
void carta_svg_axes(carta_svg *g, const char *xlabel, const char *ylabel, size_t xticks, size_t yticks);

/* A right-continuous step function through (x[i], y[i]), starting at (start_x, start_y) and
   held until x_end; non-finite y values end the line and start a new piece. */
void carta_svg_step(carta_svg *g, double start_x, double start_y, const double *x, const double *y,
                    size_t n, double x_end, const char *colour, int dashed);

/* A band between two step functions lo and hi over the same x (start at start_lo/start_hi),
   filled with the colour at low opacity; rows where either limit is not finite split the band. */
void carta_svg_step_band(carta_svg *g, double start_x, double start_lo, double start_hi, const double *x,
                         const double *lo, const double *hi, size_t n, double x_end, const char *colour);

/* A polyline through the points in data coordinates (non-finite points are skipped). */
void carta_svg_polyline(carta_svg *g, const double *x, const double *y, size_t n, const char *colour, int dashed);

/* A line between two data points. */
void carta_svg_line(carta_svg *g, double xa, double ya, double xb, double yb, const char *colour, int dashed);

/* Circles of radius r pixels at the data points (non-finite points are skipped). */
void carta_svg_points(carta_svg *g, const double *x, const double *y, size_t n, double r, const char *colour);

/* Short vertical marks (censoring ticks) centred on the data points; non-finite points are
   skipped. */
void carta_svg_marks(carta_svg *g, const double *x, const double *y, size_t n, const char *colour);

/* A forest-plot row at pixel height py: the interval [lo, hi] in data x and a square of side
   `size` pixels at the estimate (a diamond spanning the interval when diamond is set). */
void carta_svg_interval(carta_svg *g, double py, double est, double lo, double hi, double size,
                        int diamond, const char *colour);

/* A horizontal bar from data x = x_from to x_to, pixel rows [py, py + h). */
void carta_svg_hbar(carta_svg *g, double py, double h, double x_from, double x_to, const char *colour);

/* Text at pixel (x, y); anchor is "start", "middle" or "end"; the text is escaped. */
void carta_svg_text(carta_svg *g, double x, double y, const char *anchor, double size, const char *text);

/* A legend: one coloured line and escaped label per entry, in a column from pixel (x, y). */
void carta_svg_legend(carta_svg *g, double x, double y, const char *const *labels, size_t n);

/* Closes the picture. On success *out receives the text (carta_free) and 0 is returned; -1 when
   an allocation failed (nothing is handed over). Either way g's buffer is released. */
int carta_svg_end(carta_svg *g, char **out);

/* Releases the buffer of an unfinished picture; safe on a zeroed or finished one. */
void carta_svg_free(carta_svg *g);

#endif
