# Writes the reference design matrices for carta's design stage (tests/unit/test_design_ref.c):
# for each case, small data (in the JSON), carta's feature spec (keys as the config exposes
# them), and R's model.matrix() output for the equivalent formula: column names and the matrix
# (column-major), plus the kept rows (na.omit). Run from this folder: Rscript make_design.R
#
# Conventions matched here, each an independent R computation of what carta documents:
# - level order: numbers ascending, strings in byte order (LC_COLLATE=C), or declared `levels`;
# - standardize(x) is (x - mean(x)) / sd(x) over the rows used;
# - median imputation (numeric), mode imputation (categorical, first level on ties: which.max),
#   indicator columns <name>_missing placed after the feature's columns;
# - rare levels pooled into "other" (last level) on the training rows used;
# - clipping before the transform; the term keeps the feature's name.
suppressPackageStartupMessages(library(jsonlite))
invisible(Sys.setlocale("LC_COLLATE", "C"))

num <- function(x) structure(paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]"),
                             class = "json")
column <- function(name, x) {
  type <- if (is.logical(x)) "boolean" else if (is.integer(x)) "integer" else if (is.numeric(x)) "number" else "string"
  values <- if (type %in% c("number", "integer")) num(as.numeric(x)) else
    structure(as.character(toJSON(x, na = "null")), class = "json")
  list(name = name, type = type, values = values)
}

standardize <- function(x) (x - mean(x)) / sd(x)
pool <- function(f, min_count = 0, min_fraction = 0) {
  # Levels seen fewer than min_count times, or in a smaller share than min_fraction of the
  # non-missing values, go into "other", which becomes the last level.
  tab <- table(f)
  rare <- names(tab)[tab < min_count | tab / sum(tab) < min_fraction]
  if (!length(rare)) return(f)
  keep <- setdiff(levels(f), rare)
  g <- as.character(f)
  g[g %in% rare] <- "other"
  factor(g, levels = c(keep, "other"))
}
mode_level <- function(f) names(which.max(table(f)))

write_case <- function(name, description, columns, spec, mm, rows, tol, tol_reason) {
  out <- list(
    case = name,
    description = description,
    data = list(columns = columns),
    spec = spec,
    expected = list(names = colnames(mm), n = nrow(mm), p = ncol(mm), rows = rows - 1L,
                    matrix = num(as.vector(unname(mm)))),
    tol = tol,
    tol_reason = tol_reason)
  writeLines(toJSON(out, auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE, null = "null"),
             paste0(name, ".json"))
}
exact <- list(matrix = 0)
exact_reason <- "dummies, products and libm log/log2 of the same doubles are exact in both"

## 1. Numeric, log, string factor, integer declared categorical (numeric level order), logical.
age <- c(74L, 68L, 56L, 57L, 60L, 74L, 68L, 71L, 53L, 61L, 57L, 44L)
bili <- c(1.2, 0.7, 3.45, 0.3, 14.2, 2.385, 0.55, 1.0, 8.1, 0.9, 1.7, 0.45)
sex <- c("M", "F", "M", "M", "F", "M", "F", "F", "M", "F", "M", "F")
grade <- c(1L, 10L, 2L, 1L, 2L, 10L, 1L, 2L, 10L, 1L, 2L, 1L)
flag <- c(TRUE, FALSE, TRUE, TRUE, FALSE, FALSE, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE)
d <- data.frame(age, bili, sex = factor(sex), grade = factor(grade), flag)
mm <- model.matrix(~ age + log(bili) + sex + grade + flag, d)
write_case("basic", "integer, log(number), string factor, integer as factor (1 < 2 < 10), logical; with intercept",
  list(column("age", age), column("bili", bili), column("sex", sex), column("grade", grade), column("flag", flag)),
  list(features = list(list(name = "age"), list(name = "bili", transform = "log"),
                       list(name = "sex", type = "categorical"), list(name = "grade", type = "categorical"),
                       list(name = "flag", type = "categorical")),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = TRUE, interactions = list()),
  mm, seq_len(nrow(d)), exact, exact_reason)

## 2. Reference levels and declared level order; byte order of strings ("B" < "a").
TRTA <- c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose", "Placebo", "Xanomeline Low Dose",
          "Xanomeline High Dose", "Placebo", "Xanomeline Low Dose", "Xanomeline High Dose", "Placebo")
site <- c("A", "B", "C", "C", "A", "B", "A", "C", "B", "A")
race <- c("a", "B", "b", "B", "a", "a", "b", "B", "B", "a")
x <- c(0.5, -1.25, 2.0, 3.75, 0.125, -0.5, 1.5, 2.25, -3.0, 0.0)
d <- data.frame(x, TRTA = relevel(factor(TRTA), "Xanomeline Low Dose"), site = factor(site, levels = c("C", "A", "B", "D")),
                race = factor(race))
mm <- model.matrix(~ x + TRTA + site + race, d)[, -1, drop = FALSE]
write_case("reference_levels", "chosen reference, declared level order with an unused level D (zero column), byte-order strings; no intercept",
  list(column("x", x), column("TRTA", TRTA), column("site", site), column("race", race)),
  list(features = list(list(name = "x"), list(name = "TRTA", type = "categorical", reference = "Xanomeline Low Dose"),
                       list(name = "site", type = "categorical", levels = c("C", "A", "B", "D")),
                       list(name = "race", type = "categorical")),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = FALSE, interactions = list()),
  mm, seq_len(nrow(d)), exact, exact_reason)

## 3. Interactions: numeric:numeric, numeric:factor, factor:numeric, factor:factor, given in
##    reversed order in the spec (R names and orders them by the order of the variables).
x <- c(1.5, 2, 3, 4, 5, 6, 7.25, 8, 9, 10.5, 11, 12)
z <- c(2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11.5)
f <- c("a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c")
g <- c("u", "v", "w", "w", "v", "u", "u", "w", "v", "v", "u", "w")
d <- data.frame(x, f = factor(f), g = factor(g), z)
mm <- model.matrix(~ x + f + g + z + z:x + x:f + g:z + g:f, d)[, -1, drop = FALSE]
write_case("interactions", "x:z, x:f, g:z, f:g (listed as z:x and g:f); no intercept",
  list(column("x", x), column("f", f), column("g", g), column("z", z)),
  list(features = list(list(name = "x"), list(name = "f", type = "categorical"), list(name = "g", type = "categorical"),
                       list(name = "z")),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = FALSE,
       interactions = list(c("z", "x"), c("x", "f"), c("g", "z"), c("g", "f"))),
  mm, seq_len(nrow(d)), exact, exact_reason)

## 4. Complete case (na.omit): missing numbers and strings; kept rows recorded.
x <- c(1.5, NA, 3, 4, 5, 6, NA, 8, 9, 10)
f <- c("a", "b", NA, "a", "b", "c", "a", "b", NA, "c")
z <- c(0.5, 1, 1.5, NA, 2.5, 3, 3.5, 4, 4.5, 5)
d <- data.frame(x, f = factor(f), z)
mf <- model.frame(~ x + f + z + x:f, d, na.action = na.omit)
mm <- model.matrix(~ x + f + z + x:f, mf)
rows <- as.integer(rownames(mf))
write_case("missing_omit", "complete case: rows with any missing feature dropped, as na.omit",
  list(column("x", x), column("f", f), column("z", z)),
  list(features = list(list(name = "x"), list(name = "f", type = "categorical"), list(name = "z")),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = TRUE,
       interactions = list(c("x", "f"))),
  mm, rows, exact, exact_reason)

## 5. Left as NaN (na.pass): NA in the numeric column, in every dummy of a missing factor, and
##    in the interactions they enter.
mf <- model.frame(~ x + f + z + x:f, d, na.action = na.pass)
mm <- model.matrix(~ x + f + z + x:f, mf)[, -1, drop = FALSE]
write_case("missing_nan", "missing values left as NaN (na.pass), propagating into dummies and interactions",
  list(column("x", x), column("f", f), column("z", z)),
  list(features = list(list(name = "x"), list(name = "f", type = "categorical"), list(name = "z")),
       missing = list(strategy = "none", indicators = FALSE), intercept = FALSE,
       interactions = list(c("x", "f"))),
  mm, seq_len(nrow(d)), exact, exact_reason)

## 6. Median / mode imputation with indicators; standardize after imputation; z has no missing
##    value, so no indicator.
w <- c(2.5, NA, 1.25, 4, NA, 3, 7.5, 0.5, 6, 2, 9, NA)
h <- c("lo", "hi", NA, "mid", "hi", "hi", NA, "lo", "mid", "hi", "lo", "mid")
v <- c(10, 12, NA, 9, 15, 11, 13, NA, 14, 10.5, 9.5, 12.5)
z <- c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
wi <- ifelse(is.na(w), median(w, na.rm = TRUE), w)
hi <- ifelse(is.na(h), mode_level(factor(h)), h)
vi <- ifelse(is.na(v), median(v, na.rm = TRUE), v)
d <- data.frame(w = wi, w_missing = as.numeric(is.na(w)), h = factor(hi), h_missing = as.numeric(is.na(h)),
                v = vi, v_missing = as.numeric(is.na(v)), z)
mm <- model.matrix(~ w + w_missing + h + h_missing + standardize(v) + v_missing + z, d)
write_case("median_indicators", "median (numeric) and mode (categorical) imputation with indicators; standardize on imputed values",
  list(column("w", w), column("h", h), column("v", v), column("z", z)),
  list(features = list(list(name = "w"), list(name = "h", type = "categorical"),
                       list(name = "v", transform = "standardize"), list(name = "z")),
       missing = list(strategy = "median", indicators = TRUE), intercept = TRUE, interactions = list()),
  mm, seq_len(nrow(d)), list(matrix = 1e-14),
  "standardize: R accumulates mean and sd in long double as carta does; 1e-14 allows a last-bit difference")

## 7. Transforms: log2, standardize, clip, clip then log.
a <- c(12.5, 300, 41, 7.75, 1024, 96, 18, 250.5, 64, 5)
b <- c(0.2, 1.9, -0.4, 3.3, 0.05, 2.2, 1.1, -1.5, 0.9, 4.4)
cc <- c(0.001, 0.5, 2, 8, 0.02, 30, 4, 0.3, 16, 1)
bc <- pmin(pmax(b, -1), 2)
ccl <- pmin(pmax(cc, 0.01), 10)
d <- data.frame(a, b = bc, cc = ccl, e = b)
mm <- model.matrix(~ log2(a) + b + log(cc) + standardize(e), d)
write_case("transforms", "log2; clip to [-1, 2]; clip to [0.01, 10] then log; standardize",
  list(column("a", a), column("b", b), column("cc", cc), column("e", b)),
  list(features = list(list(name = "a", transform = "log2"), list(name = "b", clip = c(-1, 2)),
                       list(name = "cc", clip = c(0.01, 10), transform = "log"),
                       list(name = "e", transform = "standardize")),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = TRUE, interactions = list()),
  mm, seq_len(nrow(d)), list(matrix = 1e-14),
  "standardize: R accumulates mean and sd in long double as carta does; 1e-14 allows a last-bit difference")

## 8. Rare levels pooled into "other": by count (< 3) and by fraction (< 0.15), the reference kept.
p1 <- c("axi-cel", "tisa-cel", "axi-cel", "liso-cel", "axi-cel", "tisa-cel", "brexu-cel", "axi-cel",
        "tisa-cel", "cilta-cel", "axi-cel", "tisa-cel", "liso-cel", "axi-cel", "tisa-cel", "ide-cel")
p2 <- c(3L, 1L, 1L, 2L, 3L, 1L, 1L, 4L, 1L, 3L, 1L, 2L, 3L, 1L, 5L, 3L)
y <- c(0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5)
d <- data.frame(y, p1 = pool(factor(p1), min_count = 3), p2 = relevel(pool(factor(p2), min_fraction = 0.15), "3"))
mm <- model.matrix(~ y + p1 + p2, d)
write_case("pooling", "levels seen < 3 times pooled (strings); levels < 15% pooled, reference 3 (integers)",
  list(column("y", y), column("p1", p1), column("p2", p2)),
  list(features = list(list(name = "y"), list(name = "p1", type = "categorical", pool_rare = list(min_count = 3)),
                       list(name = "p2", type = "categorical", reference = "3", pool_rare = list(min_fraction = 0.15))),
       missing = list(strategy = "complete_case", indicators = FALSE), intercept = TRUE, interactions = list()),
  mm, seq_len(nrow(d)), exact, exact_reason)

## 9. The CDISC pilot ADSL (read from ../shared, named in the JSON, not copied): arm with
##    placebo as reference, age standardized, sex, race with rare levels pooled, age group in a
##    declared order, baseline BMI (one missing value: complete case), and age:arm.
adsl_path <- "../../../../shared/data/cdisc-pilot/adam/adsl.xpt"
if (file.exists(adsl_path)) {
  suppressPackageStartupMessages(library(foreign))
  a <- read.xport(adsl_path)
  vars <- c("AGE", "TRT01A", "SEX", "RACE", "AGEGR1", "BMIBL")
  rows <- which(complete.cases(a[, vars]))
  a <- a[rows, ]
  d <- data.frame(AGE = a$AGE, TRT01A = relevel(factor(a$TRT01A), "Placebo"), SEX = factor(a$SEX),
                  RACE = pool(factor(a$RACE), min_count = 5), AGEGR1 = factor(a$AGEGR1, levels = c("<65", "65-80", ">80")),
                  BMIBL = a$BMIBL)
  mm <- model.matrix(~ standardize(AGE) + TRT01A + SEX + RACE + AGEGR1 + BMIBL + standardize(AGE):TRT01A, d)
  out <- list(case = "cdisc_adsl", description = "CDISC pilot ADSL: arm, age, sex, pooled race, age group, BMI; age:arm",
              data = list(shared = "data/cdisc-pilot/adam/adsl.xpt"),
              spec = list(features = list(list(name = "AGE", transform = "standardize"),
                                          list(name = "TRT01A", type = "categorical", reference = "Placebo"),
                                          list(name = "SEX", type = "categorical"),
                                          list(name = "RACE", type = "categorical", pool_rare = list(min_count = 5)),
                                          list(name = "AGEGR1", type = "categorical", levels = c("<65", "65-80", ">80")),
                                          list(name = "BMIBL")),
                          missing = list(strategy = "complete_case", indicators = FALSE), intercept = TRUE,
                          interactions = list(c("TRT01A", "AGE"))),
              expected = list(names = colnames(mm), n = nrow(mm), p = ncol(mm), rows = rows - 1L,
                              matrix = num(as.vector(unname(mm)))),
              tol = list(matrix = 1e-14),
              tol_reason = "standardize: R accumulates mean and sd in long double as carta does; 1e-14 allows a last-bit difference")
  writeLines(toJSON(out, auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE, null = "null"), "cdisc_adsl.json")
}

## 10. Constant and collinear columns: the coefficients R's lm leaves NA (aliased), in column
##    order, and lm's rank without the intercept. Constant columns are aliased with the intercept.
set.seed(20231207)
n <- 40
x1 <- round(rnorm(n), 3)
x2 <- round(runif(n), 3)
k <- rep(2.5, n)
x3 <- x1 + 2 * x2
x4 <- round(rnorm(n), 3)
x5 <- 0.5 * x4 - x1
x6 <- round(rexp(n), 3)
y <- round(rnorm(n), 3)
X <- cbind(x1 = x1, x2 = x2, k = k, x3 = x3, x4 = x4, x5 = x5, x6 = x6)
fit <- lm(y ~ X)
aliased <- sub("^X", "", names(coef(fit))[is.na(coef(fit))])
out <- list(case = "collinear", description = "lm(y ~ X): aliased columns and rank (intercept excluded)",
            data = list(columns = lapply(colnames(X), function(j) column(j, X[, j]))),
            expected = list(aliased = aliased, rank = fit$rank - 1L),
            tol = list(rank = 0), tol_reason = "a rank and a set of names are exact")
writeLines(toJSON(out, auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE), "collinear.json")

writeLines(c(R.version.string, paste("jsonlite", packageVersion("jsonlite")), paste("foreign", packageVersion("foreign")), "LC_COLLATE=C"), "VERSIONS")
