/* Exact round-trip formatting of doubles for card.json (cJSON 1.7.15 loses bits: see CONVENTIONS). */
#include <carta/numfmt.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *carta_numfmt(double x, char *buf, size_t cap)
{
    if (!isfinite(x)) {
        snprintf(buf, cap, "null");
        return buf;
    }
    if (x == 0) {                       /* -0 and 0 both print as 0: JSON has no signed zero worth keeping */
        snprintf(buf, cap, "0");
        return buf;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}
