# Reference values for carta's binary metrics: pROC's AUC with its DeLong interval, the Brier
# score, and logistic recalibration (calibration slope and calibration-in-the-large) from glm.
# Run from this folder: Rscript make_metrics.R
library(jsonlite)
library(pROC)

set.seed(20231207)
n <- 300
x <- rnorm(n)
y <- rbinom(n, 1, plogis(-0.7 + 1.1 * x))
# Predicted probabilities from a deliberately miscalibrated model, rounded so that scores tie.
p <- round(plogis(-0.4 + 0.8 * x), 2)
p <- pmin(pmax(p, 0.01), 0.99)

r <- roc(y, p, direction = "<", levels = c(0, 1), quiet = TRUE)
ci <- ci.auc(r, method = "delong", conf.level = 0.95)
lp <- qlogis(p)
slope <- glm(y ~ lp, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
citl <- glm(y ~ 1 + offset(lp), family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
out <- list(
  case = "miscalibrated", y = y, p = p,
  expected = list(
    auc = as.numeric(ci[2]), auc_lower = as.numeric(ci[1]), auc_upper = as.numeric(ci[3]),
    auc_se = sqrt(var(r, method = "delong")),
    brier = mean((p - y)^2),
    slope = unname(coef(slope)[2]), slope_se = unname(sqrt(diag(vcov(slope)))[2]),
    citl = unname(coef(citl)[1]), citl_se = unname(sqrt(diag(vcov(citl)))[1]),
    oe = sum(y) / sum(p)),
  tol = list(auc = 1e-12, auc_ci = 1e-9, brier = 1e-12, slope = 1e-8, se = 1e-6, oe = 1e-12),
  tol_reason = "AUC, Brier and O/E are sums computed exactly in both; DeLong limits and recalibration fits agree to rounding (R refitted with epsilon 1e-14)")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "binary.json")
writeLines(c(R.version.string, paste("pROC", packageVersion("pROC")), paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")
