# Reference values for the scoring of out-of-fold predictions in `carta run` (src/run/scoring.c)
# and the pooling / bootstrap helpers (src/evaluate/pool.c), from independent implementations:
#   DerSimonian-Laird random effects: metafor::rma(yi, sei, method = "DL") (estimate, se, ci,
#     Q, Q p-value, I^2 in percent, tau^2)
#   percentile interval: stats::quantile(type = 7)
#   survival scoring: Uno's C survival::concordance(reverse = TRUE, timewt = "n/G2");
#     AUC(t) and IPCW Brier riskRegression::Score(cens.model = "km"); IBS the trapezoid over
#     Score's Brier on the grid, divided by its range (scikit-survival's definition); O/E and
#     calibration at the horizon survival::survfit (KM, log interval) within ntile groups.
# Run from this folder: Rscript make_scoring.R
suppressPackageStartupMessages({ library(jsonlite); library(metafor); library(survival); library(riskRegression) })

# ---- Random-effects pooling ----
meta_case <- function(name, yi, sei) {
  r <- rma(yi = yi, sei = sei, method = "DL")
  list(case = name, est = yi, se = sei,
       expected = list(estimate = as.numeric(r$beta), se = r$se, lower = r$ci.lb, upper = r$ci.ub,
                       q = r$QE, q_p = r$QEp, i2 = r$I2, tau2 = r$tau2),
       tol = list(estimate = 1e-10, se = 1e-10, q = 1e-10, q_p = 1e-9, i2 = 1e-9, tau2 = 1e-10),
       tol_reason = "closed-form sums in both; the chi-square tail from GSL vs R's pchisq agree to ~1e-12 relative")
}
meta <- list(
  # AUCs of five studies with DeLong SEs: heterogeneous (tau^2 > 0)
  meta_case("auc5", c(0.71, 0.78, 0.66, 0.83, 0.74), c(0.040, 0.035, 0.050, 0.030, 0.045)),
  # Harrell's C of four studies that agree (Q < df: tau^2 truncated at 0, I^2 = 0)
  meta_case("c4_homogeneous", c(0.700, 0.705, 0.698, 0.702), c(0.03, 0.04, 0.025, 0.05)),
  # two studies
  meta_case("two", c(0.60, 0.80), c(0.05, 0.04)))
writeLines(toJSON(meta, digits = NA, auto_unbox = TRUE, pretty = TRUE), "meta.json")

# ---- Percentile interval ----
set.seed(7)
v <- round(rnorm(37, 0.7, 0.05), 3)
pct <- list(values = v, conf_level = 0.95,
            expected = list(lower = unname(quantile(v, 0.025, type = 7)), upper = unname(quantile(v, 0.975, type = 7))),
            tol = list(limits = 1e-12), tol_reason = "interpolation between two order statistics in both")
writeLines(toJSON(pct, digits = NA, auto_unbox = TRUE, pretty = TRUE), "percentile.json")

# ---- Survival scoring of out-of-fold predictions ----
set.seed(20261129)
n <- 240
x <- rnorm(n)
et <- rexp(n, 0.08 * exp(0.7 * x)); ct <- runif(n, 1, 30)
time <- round(pmin(et, ct), 1) + 0.1                 # no time 0, ties kept
status <- as.integer(et <= ct)
lp <- round(0.7 * x + rnorm(n, 0, 0.4), 2)          # the out-of-fold linear predictor
ev <- sort(unique(time[status == 1]))
base_time <- ev
base_cumhaz <- 0.06 * ev + 0.002 * seq_along(ev)      # a baseline cumulative hazard (steps)
H0 <- function(t) { k <- findInterval(t, base_time); ifelse(k == 0, 0, base_cumhaz[pmax(k, 1)]) }
S <- function(t) exp(-H0(t) * exp(lp))
# Horizons and grid as carta: 0-based quartile indices of the sorted event times.
ets <- sort(time[status == 1]); ne <- length(ets)
h <- ets[c(ne %/% 4, ne %/% 2, (3 * ne) %/% 4) + 1]
grid <- ets[1] + (h[3] - ets[1]) * (0:19) / 19
d <- data.frame(time = time, status = status, lp = lp)
uno <- concordance(Surv(time, status) ~ lp, data = d, reverse = TRUE, timewt = "n/G2")$concordance
const <- matrix(lp, nrow = n, ncol = 3)
sc <- Score(list(const = const), formula = Hist(time, status) ~ 1, data = d, times = h, metrics = "auc",
            cens.model = "km", null.model = FALSE, conf.int = FALSE, split.method = "none")
Sh <- sapply(h, S)
sb <- Score(list(model = 1 - Sh), formula = Hist(time, status) ~ 1, data = d, times = h, metrics = "brier",
            cens.model = "km", null.model = FALSE, conf.int = FALSE, split.method = "none")
Sg <- sapply(grid, S)
sg <- Score(list(model = 1 - Sg), formula = Hist(time, status) ~ 1, data = d, times = grid, metrics = "brier",
            cens.model = "km", null.model = FALSE, conf.int = FALSE, split.method = "none")
bg <- sg$Brier$score$Brier
ibs <- sum(diff(grid) * (head(bg, -1) + tail(bg, -1)) / 2) / (grid[20] - grid[1])
km <- survfit(Surv(time, status) ~ 1, data = d)
obs <- 1 - summary(km, times = h[2], extend = TRUE)$surv
pr <- 1 - Sh[, 2]
oe <- obs / mean(pr)
G <- 10
grp <- floor(G * (rank(pr, ties.method = "first") - 1) / n)
cal <- lapply(0:(G - 1), function(g) {
  sel <- grp == g
  s <- summary(survfit(Surv(time, status) ~ 1, data = d[sel, ]), times = h[2], extend = TRUE)
  list(n = sum(sel), predicted = mean(pr[sel]), observed = 1 - s$surv, lower = 1 - s$upper, upper = 1 - s$lower)
})
out <- list(case = "oof_cox", time = time, status = status, lp = lp, base_time = base_time, base_cumhaz = base_cumhaz,
            expected = list(horizons = h, grid = grid, c_uno = uno, auc_t = sc$AUC$score$AUC, brier_t = sb$Brier$score$Brier,
                            ibs = ibs, oe = oe,
                            cal_predicted = sapply(cal, `[[`, "predicted"), cal_observed = sapply(cal, `[[`, "observed"),
                            cal_lower = sapply(cal, `[[`, "lower"), cal_upper = sapply(cal, `[[`, "upper"),
                            cal_n = sapply(cal, `[[`, "n")),
            tol = list(c = 1e-10, auc = 1e-10, brier = 1e-10, ibs = 1e-10, oe = 1e-10, calibration = 1e-9),
            tol_reason = "sums of exp() of the same inputs; KM/Greenwood products and survfit's log interval agree to rounding")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survival_oof.json")

writeLines(c(R.version.string, paste("metafor", packageVersion("metafor")), paste("survival", packageVersion("survival")),
             paste("riskRegression", packageVersion("riskRegression")), paste("jsonlite", packageVersion("jsonlite"))),
           "VERSIONS")
