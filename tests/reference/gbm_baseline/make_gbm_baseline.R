# Writes the reference cases for the baseline cumulative hazard carta saves beside an xgboost
# survival:cox model, and for the survival function of an xgboost survival:aft model
# (tests/unit/test_survpred.c); and Breslow's baseline per stratum for a stratified elastic-net
# Cox model's split baselines in runs (tests/unit/test_metrics_scoring.c).
# Run from this folder: Rscript make_gbm_baseline.R   (or `make references` from the repository root).
#
# Baseline: the boosted model's margins m_i enter R as a fixed offset with no covariates,
# coxph(Surv(time, status) ~ offset(m), ties = ...), and survfit(fit, newdata = data.frame(m = 0))
# gives the baseline cumulative hazard H0(t) at lp = 0 (Breslow's estimator for ties = "breslow",
# Efron's for ties = "efron"), with n.risk and n.event, at every distinct time (event or censoring).
#
# AFT: xgboost's survival:aft models log T = margin + sigma Z, so S(t) = 1 - F((log t - margin) / sigma)
# with F the standard normal, standard logistic or (xgboost's "extreme") minimum extreme-value cdf
# F(z) = 1 - exp(-exp(z)); computed here with pnorm, plogis and exp, independently of GSL.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })

tol <- list(cumhaz = 1e-8, count = 1e-12, surv = 1e-12)
tol_reason <- paste("Issue 8: cumulative hazards are estimates (1e-8 relative, as every estimator);",
  "risk-set and event counts are exact; AFT survival values are closed-form cdfs of the same",
  "doubles (pnorm/plogis against GSL: 1e-12 relative).")

num <- function(v) { v <- as.numeric(v); v[!is.finite(v)] <- NA; v }

baseline_case <- function(name, note, time, status, m) {
  df <- data.frame(time = time, status = status, m = m)
  out <- list(case = name, note = note, survival = as.character(packageVersion("survival")),
              n = length(time), time = num(time), status = as.integer(status), lp = num(m))
  for (ties in c("breslow", "efron")) {
    fit <- coxph(Surv(time, status) ~ offset(m), data = df, ties = ties)
    sf <- survfit(fit, newdata = data.frame(m = 0))
    out[[ties]] <- list(time = num(sf$time), n_risk = num(sf$n.risk), n_event = num(sf$n.event),
                        cumhaz = num(sf$cumhaz))
  }
  out$tol <- tol
  out$tol_reason <- tol_reason
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE), paste0(name, ".json"))
}

# 1. Ten rows by hand: ties among events (t = 4: two events and a censoring), a tie of an event
#    and a censoring (t = 2), trailing censorings.
baseline_case("hand_ties", "ten rows with tied event and censoring times; margins in quarters",
              time = c(1, 2, 2, 3, 4, 4, 4, 6, 7, 9), status = c(1, 1, 0, 1, 1, 1, 0, 0, 1, 0),
              m = c(0.5, -0.25, 1, 0, 0.75, -1, 0.25, 0.5, -0.5, 0))

# 2. R's lung data (228 rows, many tied times) with margins from a fixed formula of age, sex and
#    ECOG score (a stand-in for a boosted model's margins; missing ECOG counts as 1).
lung2 <- survival::lung
ecog <- ifelse(is.na(lung2$ph.ecog), 1, lung2$ph.ecog)
baseline_case("lung_margins", "survival::lung, status 2 = event; m = 0.03 (age - 62) - 0.5 (sex - 1) + 0.4 ecog",
              time = lung2$time, status = as.integer(lung2$status == 2),
              m = 0.03 * (lung2$age - 62) - 0.5 * (lung2$sex - 1) + 0.4 * ecog)

# 2b. Per stratum: the same lung margins, strata by sex, Breslow's ties, as carta's run takes
#     the baseline of a stratified elastic-net Cox model from its training rows' linear
#     predictors. With only an offset there is nothing the strata share, so the baseline of
#     coxph(Surv(time, status) ~ offset(m) + strata(sex)) in stratum k is that of the fit on
#     stratum k's rows (survfit.coxph 3.5-3 stops on newdata for an offset-only stratified fit).
{
  df <- data.frame(time = lung2$time, status = as.integer(lung2$status == 2),
                   m = 0.03 * (lung2$age - 62) - 0.5 * (lung2$sex - 1) + 0.4 * ecog, sex = lung2$sex)
  strata <- lapply(1:2, function(k) {
    fit <- coxph(Surv(time, status) ~ offset(m), data = df[df$sex == k, ], ties = "breslow")
    sf <- survfit(fit, newdata = data.frame(m = 0))
    list(label = paste0("sex=", k), time = num(sf$time), n_risk = num(sf$n.risk),
         n_event = num(sf$n.event), cumhaz = num(sf$cumhaz))
  })
  out <- list(case = "lung_strata", note = "survival::lung; m as lung_margins; strata by sex, labels sex=1, sex=2",
              survival = as.character(packageVersion("survival")), n = nrow(df), time = num(df$time),
              status = df$status, lp = num(df$m), stratum = as.integer(df$sex - 1),
              strata = strata, tol = tol, tol_reason = tol_reason)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE), "lung_strata.json")
}

# 3. AFT survival: each distribution at several margins, scales and times, z from -6 to 4.
aft <- list()
k <- 0
for (dist in c("normal", "logistic", "extreme")) {
  for (sigma in c(0.5, 1, 1.7)) {
    margin <- c(-1.25, 0, 2.5, 5.75)
    t <- c(0.1, 1, 30, 365.25)
    g <- expand.grid(margin = margin, t = t)
    z <- (log(g$t) - g$margin) / sigma
    keep <- z >= -6 & z <= 4
    g <- g[keep, ]
    z <- z[keep]
    s <- switch(dist, normal = pnorm(z, lower.tail = FALSE), logistic = plogis(z, lower.tail = FALSE),
                extreme = exp(-exp(z)))
    k <- k + 1
    aft[[k]] <- list(distribution = dist, sigma = sigma, margin = num(g$margin), t = num(g$t), surv = num(s))
  }
}
writeLines(toJSON(list(case = "aft_survival", note = "S(t) = 1 - F((log t - margin) / sigma)",
                       r = R.version.string, cases = aft, tol = tol, tol_reason = tol_reason),
                  auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE), "aft_survival.json")

writeLines(c(R.version.string, paste("survival", packageVersion("survival")),
             paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")
