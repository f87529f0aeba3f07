/* CSV output fields: one quoting rule and one number format for every file carta writes. */
#include <carta/csvout.h>
#include <carta/numfmt.h>

#include <math.h>
#include <string.h>

void carta_csv_write_text(FILE *fp, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    putc('"', fp);
    for (; *s; s++) {
        if (*s == '"') putc('"', fp);
        putc(*s, fp);
    }
    putc('"', fp);
}

void carta_csv_write_number(FILE *fp, double x)
{
    char buf[40];
    if (!isnan(x)) fputs(carta_numfmt(x, buf, sizeof buf), fp);
}
