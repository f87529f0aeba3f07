/* Start-up and the versions of carta and of every library it links. */
#include <carta/carta.h>

#include <stdio.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <lapacke.h>
#include <readstat.h>
#include <xgboost/c_api.h>

/* ReadStat has no version call: the Makefile passes the installed package's version. */
#ifndef CARTA_READSTAT_VERSION
#define CARTA_READSTAT_VERSION "unknown"
#endif

void carta_init(void)
{
    gsl_set_error_handler_off();
}

const char *carta_version(void) { return CARTA_VERSION; }

char *carta_versions(char *buf, size_t cap)
{
    int xmaj = 0, xmin = 0, xpat = 0;
    int lmaj = 0, lmin = 0, lpat = 0;
    XGBoostVersion(&xmaj, &xmin, &xpat);
    LAPACKE_ilaver(&lmaj, &lmin, &lpat);
    const char *ob = openblas_get_config();
    snprintf(buf, cap,
             "carta %s\n"
             "GSL %s\n"
             "%s\n"
             "LAPACK %d.%d.%d\n"
             "xgboost %d.%d.%d\n"
             "cJSON %s\n"
             "ReadStat %s\n",
             CARTA_VERSION, gsl_version, ob ? ob : "unknown", lmaj, lmin, lpat, xmaj, xmin, xpat,
             cJSON_Version(), CARTA_READSTAT_VERSION);
    return buf;
}
