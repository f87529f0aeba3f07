# Reference values for carta's logistic regression, from R's glm (maximum likelihood) and
# brglm2's brglmFit with type = "AS_mean" (for the canonical logit link this is Firth's
# penalized likelihood). Run from this folder: Rscript make_logistic.R
# Writes one JSON file per case with the inputs, the expected values and the tolerances.
library(jsonlite)
library(brglm2)

tol <- list(coef = 1e-8, loglik = 1e-10, se = 1e-6, z = 1e-6, p = 1e-6, deviance = 1e-10,
            lr = 1e-6, wald = 1e-6)
tol_reason <- paste("coefficients and log-likelihoods at the optimum (R refitted with epsilon 1e-14)",
                    "agree to rounding; standard errors, tests and p-values within 1e-6 relative")

write_case <- function(name, X, y, fit, firth = FALSE, weights = NULL, offset = NULL, null_fit) {
  s <- summary(fit)$coefficients
  V <- vcov(fit)
  b <- coef(fit)
  q <- length(b) - 1
  wald <- NA
  if (q > 0) {
    bb <- b[-1]
    wald <- as.numeric(t(bb) %*% solve(V[-1, -1, drop = FALSE]) %*% bb)
  }
  # The ordinary log-likelihood at the estimate (for Firth fits too), from its definition.
  eta <- as.vector(cbind(1, X) %*% b) + (if (is.null(offset)) 0 else offset)
  pr <- plogis(eta)
  wt <- if (is.null(weights)) rep(1, length(y)) else weights
  ll <- sum(wt * (y * log(pr) + (1 - y) * log(1 - pr)))
  eta0 <- rep(coef(null_fit)[1], length(y)) + (if (is.null(offset)) 0 else offset)
  ll0 <- sum(wt * (y * log(plogis(eta0)) + (1 - y) * log(1 - plogis(eta0))))
  out <- list(
    case = name, firth = firth,
    x = lapply(seq_len(ncol(X)), function(j) X[, j]), names = colnames(X), y = y,
    weights = if (is.null(weights)) NULL else weights,
    offset = if (is.null(offset)) NULL else offset,
    expected = list(
      terms = c("(Intercept)", colnames(X)), coef = unname(b), se = unname(s[, 2]),
      z = unname(s[, 3]), p = unname(s[, 4]), vcov = as.vector(V),
      loglik = ll, deviance = -2 * ll,
      loglik_null = ll0,
      wald = wald, wald_df = q,
      lr = if (!firth) 2 * (ll - ll0) else NA),
    tol = tol, tol_reason = tol_reason)
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
             paste0(name, ".json"))
}

ctl <- glm.control(epsilon = 1e-14, maxit = 100)

# 1. infert: a matched case-control study shipped with R (datasets).
X <- as.matrix(infert[, c("spontaneous", "induced", "age", "parity")])
y <- infert$case
fit <- glm(y ~ X, family = binomial, control = ctl)
names(fit$coefficients) <- c("(Intercept)", colnames(X))
write_case("infert_ml", X, y, fit, null_fit = glm(y ~ 1, family = binomial, control = ctl))

# 2. infert with case weights 1, 2, 3 by row and an offset.
w <- rep(c(1, 2, 3), length.out = nrow(X))
off <- 0.1 * ((seq_len(nrow(X)) %% 5) - 2)
fit <- glm(y ~ X, family = binomial, weights = w, offset = off, control = ctl)
write_case("infert_weights_offset", X, y, fit, weights = w, offset = off,
           null_fit = glm(y ~ 1, family = binomial, weights = w, offset = off, control = ctl))

# 3. Firth on endometrial (Heinze & Schemper 2002): NV separates the outcome, so the maximum
#    likelihood estimate does not exist; Firth's does.
data(endometrial, package = "brglm2")
X <- as.matrix(endometrial[, c("NV", "PI", "EH")])
y <- endometrial$HG
fit <- glm(y ~ X, family = binomial, method = "brglmFit", type = "AS_mean",
           control = brglmControl(epsilon = 1e-14, maxit = 200))
write_case("endometrial_firth", X, y, fit, firth = TRUE,
           null_fit = glm(y ~ 1, family = binomial, method = "brglmFit", type = "AS_mean",
                          control = brglmControl(epsilon = 1e-14, maxit = 200)))

# 4. Firth on infert (no separation: Firth and ML are close but differ).
X <- as.matrix(infert[, c("spontaneous", "induced", "age")])
y <- infert$case
fit <- glm(y ~ X, family = binomial, method = "brglmFit", type = "AS_mean",
           control = brglmControl(epsilon = 1e-14, maxit = 200))
write_case("infert_firth", X, y, fit, firth = TRUE,
           null_fit = glm(y ~ 1, family = binomial, method = "brglmFit", type = "AS_mean",
                          control = brglmControl(epsilon = 1e-14, maxit = 200)))

writeLines(c(R.version.string,
             paste("stats (glm)", packageVersion("stats")),
             paste("brglm2", packageVersion("brglm2")),
             paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")
