# Reference values for carta's IPCW survival metrics (survmetrics.h) and the binary ICI / net
# benefit, from independent implementations:
#   censoring distribution G: prodlim(reverse = TRUE) (events leave the risk set first)
#   Uno's C: survival::concordance(reverse = TRUE, timewt = "n/G2", ymax = tau)
#   cumulative/dynamic AUC and IPCW Brier: riskRegression::Score(cens.model = "km")
#   integrated Brier score (pec's definition): pec::pec + pec::crps
#   calibration at a horizon: survival::survfit within dplyr::ntile-style groups
#   lowess / ICI / E50 / E90: stats::lowess; net benefit: the Vickers & Elkin formula in R;
#   rms::val.prob's Eavg (lowess with iter = 0).
# Run from this folder: Rscript make_survmetrics.R
suppressPackageStartupMessages({
  library(jsonlite); library(survival); library(prodlim); library(riskRegression); library(pec); library(rms)
})

surv_cases <- list()

# S1 and S2 of metrics.md; S3 in closed form; "random": continuous times with a few ties.
s1 <- list(time = c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10), status = c(1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0),
           risk = c(.9, .8, .8, .7, .5, .6, .5, .3, .4, .2, .1, .1), times = c(2, 4, 6, 8),
           surv = matrix(c(.7175, .5148, .3693, .2650, .7820, .6115, .4781, .3739, .7820, .6115, .4781, .3739, .8334, .6946, .5789, .4825,
                           .9048, .8187, .7408, .6703, .8737, .7634, .6670, .5828, .9048, .8187, .7408, .6703, .9466, .8960, .8482, .8029,
                           .9286, .8623, .8007, .7435, .9602, .9219, .8852, .8499, .9703, .9415, .9136, .8865, .9703, .9415, .9136, .8865),
                         ncol = 4, byrow = TRUE), tau = 8)
s2 <- list(time = c(2, 3, 5, 7, 11, 13, 17, 19), status = c(1, 0, 1, 1, 0, 1, 0, 1),
           risk = c(.8, .3, .6, .7, .2, .4, .1, .5), times = c(5, 11, 17), tau = 11)
s2$surv <- sapply(s2$times, function(t) exp(-t / 20 * exp(2 * (s2$risk - 0.5))))
i <- 0:199
s3 <- list(time = as.numeric(1 + ((i * 73) %% 200) %/% 2), status = as.integer(((i * 29) %% 7) != 0))
s3$risk <- (((i * 53) %% 50) + (100 - (s3$time - 1)) %/% 2) / 100
s3$times <- c(20, 50, 80); s3$tau <- 50
s3$surv <- sapply(s3$times, function(t) exp(-t / 50 * exp(2 * (s3$risk - 0.5))))
set.seed(20261129)
n <- 150
x <- rnorm(n)
et <- rexp(n, 0.1 * exp(0.8 * x)); ct <- runif(n, 2, 25)
rnd <- list(time = round(pmin(et, ct), 1), status = as.integer(et <= ct), risk = round(0.8 * x + rnorm(n, 0, 0.5), 1),
            times = c(3, 6, 9, 12), tau = 10)
rnd$surv <- sapply(rnd$times, function(t) exp(-0.1 * t * exp(rnd$risk)))
surv_cases <- list(S1 = s1, S2 = s2, S3 = s3, random = rnd)

make_surv <- function(name, cs) {
  d <- data.frame(time = cs$time, status = cs$status, risk = cs$risk)
  # Censoring distribution at every distinct time and just before it.
  rk <- prodlim(Hist(time, status) ~ 1, data = d, reverse = TRUE)
  ut <- sort(unique(d$time))
  g_at <- predict(rk, times = ut)
  g_before <- c(1, g_at[-length(g_at)])
  # Uno's C, untruncated and truncated at tau (R keeps T <= tau).
  uno <- concordance(Surv(time, status) ~ risk, data = d, reverse = TRUE, timewt = "n/G2")$concordance
  uno_tau <- concordance(Surv(time, status) ~ risk, data = d, reverse = TRUE, timewt = "n/G2", ymax = cs$tau)$concordance
  # riskRegression: the score as a time-constant "risk" (AUC only ranks) and 1 - S as risks.
  const <- matrix(cs$risk, nrow = nrow(d), ncol = length(cs$times))
  sc <- Score(list(const = const, model = 1 - cs$surv), formula = Hist(time, status) ~ 1, data = d, times = cs$times,
              metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE, conf.int = FALSE, split.method = "none")
  auc <- sc$AUC$score; bri <- sc$Brier$score
  # pec's integrated Brier score over its grid {0, times} (exact = FALSE) up to the last time.
  pm <- pec(list(model = cbind(1, cs$surv)), formula = Surv(time, status) ~ 1, data = d, times = c(0, cs$times), exact = FALSE,
            cens.model = "marginal", reference = FALSE, start = 0, verbose = FALSE)
  ibs_pec <- unname(as.numeric(crps(pm, times = max(cs$times), start = 0))[1])
  brier_pec <- pm$AppErr$model        # at {0, times}
  # Calibration at the middle horizon in 4 groups (ntile on 1 - S).
  h <- 2
  pr <- 1 - cs$surv[, h]
  G <- 4
  grp <- floor(G * (rank(pr, ties.method = "first") - 1) / nrow(d))
  cal <- lapply(0:(G - 1), function(g) {
    sel <- grp == g
    f <- survfit(Surv(time, status) ~ 1, data = d[sel, ])
    s <- summary(f, times = cs$times[h], extend = TRUE)
    list(n = sum(sel), events = sum(d$status[sel] == 1 & d$time[sel] <= cs$times[h]), predicted = mean(pr[sel]),
         observed = 1 - s$surv, se = s$std.err, lower = 1 - s$upper, upper = 1 - s$lower)
  })
  out <- list(case = name, time = cs$time, status = cs$status, risk = cs$risk, times = cs$times, tau = cs$tau,
              surv = as.vector(cs$surv),
              expected = list(
                g_times = ut, g_at = g_at, g_before = g_before,
                uno = uno, uno_tau = uno_tau,
                auc_const = auc[model == "const"]$AUC, auc_model = auc[model == "model"]$AUC,
                brier = bri[model == "model"]$Brier, brier_pec = brier_pec, ibs_pec = ibs_pec,
                calib_horizon = cs$times[h], calib_groups = G,
                calib_n = sapply(cal, `[[`, "n"), calib_events = sapply(cal, `[[`, "events"),
                calib_predicted = sapply(cal, `[[`, "predicted"), calib_observed = sapply(cal, `[[`, "observed"),
                calib_se = sapply(cal, `[[`, "se"), calib_lower = sapply(cal, `[[`, "lower"),
                calib_upper = sapply(cal, `[[`, "upper")))
  out$tol <- list(g = 1e-12, uno = 1e-12, auc = 1e-12, brier = 1e-12, ibs = 1e-12, calib = 1e-12, calib_se = 1e-8)
  out$tol_reason <- paste("G, Uno's C, AUC, Brier, IBS and KM risks are finite sums and products computed the same way",
                          "up to summation order; Greenwood SEs and log intervals go through sqrt/exp")
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), paste0(name, ".json"))
}
for (nm in names(surv_cases)) make_surv(nm, surv_cases[[nm]])

# Binary: lowess, ICI/E50/E90/Emax, net benefit.
make_binary <- function(name, y, p, thresholds) {
  o <- order(p)
  sm <- lowess(p, y)                   # f = 2/3, iter = 3
  fitted <- numeric(length(p)); fitted[o] <- sm$y
  e <- abs(fitted - p)
  sm0 <- lowess(p, y, iter = 0)
  f0 <- numeric(length(p)); f0[o] <- sm0$y
  e0 <- abs(f0 - p)
  nb <- sapply(thresholds, function(pt) { tr <- p >= pt; sum(tr & y == 1) / length(y) - sum(tr & y == 0) / length(y) * pt / (1 - pt) })
  prev <- mean(y)
  vp <- val.prob(p, y, pl = FALSE)
  out <- list(case = name, y = y, p = p, thresholds = thresholds,
              expected = list(lowess = fitted, ici = mean(e), e50 = median(e), e90 = unname(quantile(e, 0.9)), emax = max(e),
                              lowess_iter0 = f0, ici_iter0 = mean(e0), valprob_eavg = unname(vp["Eavg"]),
                              net_benefit = nb, treat_all = prev - (1 - prev) * thresholds / (1 - thresholds)),
              tol = list(lowess = 1e-12, ici = 1e-12, nb = 1e-12, valprob = 1e-12),
              tol_reason = "lowess follows R's clowess operation for operation; net benefit is a finite sum; val.prob's Eavg interpolates the same lowess (iter = 0) at the data points")
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), paste0(name, ".json"))
}
make_binary("B1", c(0, 0, 1, 1, 0, 1, 0, 1, 1, 0), c(0.10, 0.40, 0.35, 0.80, 0.40, 0.90, 0.20, 0.40, 0.65, 0.05), c(0.1, 0.3, 0.4, 0.5))
set.seed(7)
n <- 300
x <- rnorm(n)
yb <- rbinom(n, 1, plogis(-0.5 + 1.2 * x))
pb <- round(plogis(-0.3 + 0.9 * x), 2)
make_binary("binary_random", yb, pb, c(0.05, 0.1, 0.2, 0.35, 0.5))

writeLines(c(R.version.string, sapply(c("survival", "prodlim", "riskRegression", "pec", "rms", "jsonlite"),
                                      function(p) paste(p, packageVersion(p)))), "VERSIONS")
