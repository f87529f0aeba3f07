# Reference values for the SAS XPORT reader (tests/unit/test_xpt.c), from an independent
# reader: R's foreign::read.xport / lookup.xport (its own IBM-float and NAMESTR decoding, no
# ReadStat). Run from this folder: Rscript make_sas.R. Writes xport.json.
#
# For each pilot ADaM file: dimensions, column names, types, labels and format names, and per
# column a summary that pins every value: numeric -> sum, number missing, first values (SAS
# dates stay SAS day numbers here, days since 1960-01-01; the test adds carta's 3653-day shift
# back); character -> number of blank values, number of distinct values, first values.
# Also R's own iris column sums, which the haven iris.sas7bdat fixture must reproduce.
library(foreign)
library(jsonlite)

shared <- Sys.getenv("CARTA_SHARED", "../../../../shared")
summarise <- function(rel) {
  path <- file.path(shared, "data", rel)
  d <- read.xport(path)
  meta <- lookup.xport(path)[[1]]
  cols <- lapply(seq_along(d), function(j) {
    x <- d[[j]]
    base <- list(name = names(d)[j], type = meta$type[j], label = meta$label[j],
                 format = meta$format[j])
    if (is.numeric(x)) {
      c(base, list(sum = sum(x, na.rm = TRUE), n_missing = sum(is.na(x)),
                   head = as.list(x[1:3])))
    } else {
      c(base, list(n_blank = sum(x == ""), n_distinct = length(unique(x)),
                   head = as.list(x[1:3])))
    }
  })
  list(file = rel, nrow = nrow(d), ncol = ncol(d), columns = cols)
}

out <- list(
  source = "R foreign::read.xport and lookup.xport",
  datasets = list(summarise("cdisc-pilot/adam/adsl.xpt"),
                  summarise("cdisc-pilot/adam/adtte.xpt"),
                  summarise("cdisc-pilot/adam/adae.xpt")),
  iris = list(columns = names(iris)[1:4], sums = unname(as.list(colSums(iris[1:4]))),
              species = as.list(levels(iris$Species)), n = nrow(iris)),
  tol = list(sum = 1e-12, value = 0),
  tol_reason = paste("sum: carta and R add the same doubles in the same order, but R's sum",
                     "accumulates in long double; 1e-12 relative covers that. value: first values",
                     "are decoded from the same IBM floats and must match exactly.")
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), "xport.json")
writeLines(c(R.version.string,
             paste("foreign", as.character(packageVersion("foreign"))),
             paste("jsonlite", as.character(packageVersion("jsonlite")))), "VERSIONS")
