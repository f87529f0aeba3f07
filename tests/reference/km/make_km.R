# Writes the Kaplan-Meier reference cases for carta's tests (tests/unit/test_km.c).
# Run from this folder: Rscript make_km.R   (or `make references` from the repository root).
# Each case JSON holds its inputs (time, status, group, weights, start) so the C tests need no R,
# the options, and the expected values from R survival's survfit (defaults unless the case says),
# quantile.survfit, summary.survfit(times =) and summary(fit, rmean = tau)$table.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })

tol <- list(surv = 1e-8, cumhaz = 1e-8, count = 1e-12, std_err = 1e-6, limit = 1e-6,
            quantile = 1e-6, rmst = 1e-8, rmst_se = 1e-6)
tol_reason <- paste("Issue 5: survival and hazard estimates 1e-8 relative; standard errors,",
  "confidence limits and quantile limits 1e-6; counts are sums of weights (exact up to rounding);",
  "quantiles 1e-6 (they are times; a midpoint of two times on a flat stretch); RMST 1e-8, its SE 1e-6.")

num <- function(v) { v <- as.numeric(v); v[!is.finite(v)] <- NA; v }

# fit: survfit; inputs as given; opts: list(conf_type, conf_level, ctype, probs, tau, times)
write_case <- function(name, note, time, status, group = NULL, labels = NULL, weights = NULL,
                       start = NULL, conf_type = "log", conf_level = 0.95, ctype = 1,
                       probs = c(0.25, 0.5, 0.75), tau = NULL, times = NULL, robust = NULL,
                       skip = NULL, skip_reason = NULL, id = NULL) {
  df <- data.frame(time = time, status = status)
  if (!is.null(start)) df$start <- start
  df$g <- if (is.null(group)) factor(rep(1, length(time))) else factor(labels[group + 1], levels = labels)
  df$w <- if (is.null(weights)) rep(1, length(time)) else weights
  form <- if (is.null(start)) Surv(time, status) ~ g else Surv(start, time, status) ~ g
  if (is.null(group)) form <- update(form, . ~ 1)
  args <- list(formula = form, data = df, conf.type = conf_type, conf.int = conf_level, ctype = ctype)
  if (!is.null(weights)) args$weights <- df$w
  if (!is.null(robust)) args$robust <- robust
  if (!is.null(id)) { df$id <- id; args$data <- df; args$id <- df$id }
  fit <- do.call(survfit, args)
  if (is.null(tau)) tau_used <- max(time) else tau_used <- tau
  out <- list(case = name, note = note, survival = as.character(packageVersion("survival")),
              n = length(time), time = num(time), status = as.integer(status),
              conf_type = conf_type, conf_level = conf_level, ctype = ctype, probs = num(probs),
              tau = if (is.null(tau)) NA else tau, tau_used = tau_used)
  if (!is.null(group)) { out$group <- as.integer(group); out$group_labels <- labels }
  if (!is.null(weights)) out$weights <- num(weights)
  if (!is.null(start)) out$start <- num(start)
  if (!is.null(robust)) out$robust <- robust
  if (!is.null(id)) out$id <- as.integer(id)
  if (!is.null(times)) out$times <- num(times)
  ng <- if (is.null(group)) 1 else length(labels)
  q <- quantile(fit, probs = probs, conf.int = TRUE)
  med <- quantile(fit, probs = 0.5, conf.int = TRUE)
  tb <- summary(fit, rmean = tau_used)$table
  if (!is.matrix(tb)) tb <- matrix(tb, nrow = 1, dimnames = list(NULL, names(tb)))
  if (!is.null(times)) st <- summary(fit, times = times)
  curves <- list()
  sizes <- if (is.null(fit$strata)) length(fit$time) else fit$strata
  beg <- cumsum(c(0, sizes))
  for (h in seq_len(ng)) {
    ix <- if (sizes[h] > 0) (beg[h] + 1):beg[h + 1] else integer(0)
    qm <- function(m) if (is.matrix(m)) m[h, ] else m
    cv <- list(label = if (is.null(group)) "1" else labels[h],
               n = if (is.null(group)) fit$n else fit$n[h],
               time = num(fit$time[ix]), n_risk = num(fit$n.risk[ix]), n_event = num(fit$n.event[ix]),
               n_censor = num(fit$n.censor[ix]), surv = num(fit$surv[ix]),
               # R's std.err is that of -log S (logse = TRUE), or of S itself for the robust (IJ) variance
               std_err = num(if (isTRUE(fit$logse)) fit$std.err[ix] * fit$surv[ix] else fit$std.err[ix]),
               std_err_r = num(fit$std.err[ix]),
               lower = num(fit$lower[ix]), upper = num(fit$upper[ix]),
               cumhaz = num(fit$cumhaz[ix]), cumhaz_se = num(fit$std.chaz[ix]),
               q_time = num(qm(q$quantile)), q_lower = num(qm(q$lower)), q_upper = num(qm(q$upper)),
               median = num(qm(med$quantile)), median_lower = num(qm(med$lower)), median_upper = num(qm(med$upper)),
               events = num(tb[h, "events"]), rmst = num(tb[h, "rmean"]), rmst_se = num(tb[h, "se(rmean)"]))
    if (!is.null(times)) {
      sel <- if (is.null(st$strata)) rep(TRUE, length(st$time)) else as.integer(st$strata) == h
      cv$sum_time <- num(st$time[sel]); cv$sum_n_risk <- num(st$n.risk[sel])
      cv$sum_n_event <- num(st$n.event[sel]); cv$sum_n_censor <- num(st$n.censor[sel])
      cv$sum_surv <- num(st$surv[sel]); cv$sum_std_err <- num(st$std.err[sel])
      cv$sum_lower <- num(st$lower[sel]); cv$sum_upper <- num(st$upper[sel])
    }
    curves[[h]] <- cv
  }
  out$curves <- curves
  if (!is.null(skip)) { out$skip <- I(skip); out$skip_reason <- skip_reason }
  out$tol <- tol
  out$tol_reason <- tol_reason
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE), paste0(name, ".json"))
}

lung2 <- lung[!is.na(lung$status), ]
sexlab <- c("sex=1", "sex=2")
for (ct in c("log", "log-log", "plain", "logit", "arcsin")) {
  write_case(paste0("lung_sex_", gsub("-", "", ct)), paste("lung by sex, conf.type", ct),
             lung2$time, lung2$status - 1, lung2$sex - 1, sexlab, conf_type = ct,
             times = c(0, 100, 365.25, 500, 1000, 2000))
}
write_case("lung_overall", "lung, one curve, defaults", lung2$time, lung2$status - 1)
write_case("lung_loglog_90", "lung by sex, log-log, conf.int 0.9, quantiles 0.1 0.5 0.9, tau 500",
           lung2$time, lung2$status - 1, lung2$sex - 1, sexlab, conf_type = "log-log",
           conf_level = 0.9, probs = c(0.1, 0.5, 0.9), tau = 500)
aml2 <- aml
write_case("aml_ctype2", "aml by x, ctype 2 (Fleming-Harrington hazard)", aml2$time, aml2$status,
           as.integer(aml2$x) - 1, c("x=Maintained", "x=Nonmaintained"), ctype = 2)
write_case("ovarian_rx", "ovarian by rx: unreached medians and limits", ovarian$futime, ovarian$fustat,
           ovarian$rx - 1, c("rx=1", "rx=2"), times = c(100, 400, 800, 1200))
vet <- veteran
w_int <- 1 + (seq_len(nrow(vet)) %% 3)
write_case("veteran_weights", "veteran by trt with integer case weights 1..3 (Greenwood)", vet$time,
           vet$status, vet$trt - 1, c("trt=1", "trt=2"), weights = w_int, times = c(30, 90, 180, 365))
w_frac <- 0.5 + (seq_len(nrow(vet)) %% 4) / 4
write_case("veteran_fracweights", "veteran by celltype with fractional weights; robust = FALSE (R's default for non-integer weights is the IJ variance)",
           vet$time, vet$status, as.integer(vet$celltype) - 1, paste0("celltype=", levels(vet$celltype)),
           weights = w_frac, robust = FALSE, conf_type = "log-log")
write_case("veteran_fracweights_ij", "veteran by celltype with fractional weights, R's default (robust: infinitesimal jackknife)",
           vet$time, vet$status, as.integer(vet$celltype) - 1, paste0("celltype=", levels(vet$celltype)),
           weights = w_frac, times = c(30, 90, 180))
write_case("veteran_fracweights_ij_ctype2", "fractional weights, IJ, ctype 2, logit limits",
           vet$time, vet$status, vet$trt - 1, c("trt=1", "trt=2"), weights = w_frac, ctype = 2,
           conf_type = "logit",
           skip = c("std_err", "lower", "upper", "q_lower", "q_upper", "median_lower", "median_upper",
                    "sum_std_err", "sum_lower", "sum_upper"),
           skip_reason = paste("survival 3.5-3 survfitKM sets logse = TRUE for ctype = 2 (type 2) even",
             "with the robust variance, whose std.err is that of S itself (survfitkm.c inf1), so R",
             "multiplies it by S once more and builds the limits on the wrong scale. carta reports the",
             "IJ standard error of S; surv, cumhaz and cumhaz_se (the FH influence) are checked."))
write_case("aml_robust", "aml, unweighted, robust = TRUE (IJ with each row its own cluster)",
           aml$time, aml$status, as.integer(aml$x) - 1, c("x=Maintained", "x=Nonmaintained"), robust = TRUE)
hj <- heart
write_case("heart_counting", "heart (start, stop] data: delayed entry, one curve", hj$stop, hj$event,
           start = hj$start, times = c(10, 50, 100, 500))
write_case("heart_counting_tx", "heart (start, stop] by transplant, plain limits", hj$stop, hj$event,
           as.integer(as.character(hj$transplant)), c("transplant=0", "transplant=1"), start = hj$start,
           conf_type = "plain")
# (start, stop] data with non-integer weights: survfit's default is then the robust (IJ) variance,
# each row its own cluster (no id); the standard errors are those of S and H (logse = FALSE)
w_hfrac <- 0.5 + (seq_len(nrow(hj)) %% 4) / 4
write_case("heart_counting_fracweights", "heart (start, stop] by transplant, fractional weights: R's default IJ variance",
           hj$stop, hj$event, as.integer(as.character(hj$transplant)), c("transplant=0", "transplant=1"),
           start = hj$start, weights = w_hfrac, conf_type = "log-log", times = c(10, 50, 100, 500))
write_case("heart_counting_fracweights_one", "heart (start, stop], one curve, fractional weights (IJ), tau 1000",
           hj$stop, hj$event, start = hj$start, weights = w_hfrac, tau = 1000)
# with id, R clusters the IJ by subject (several rows per patient in heart) and counts as censored
# only the last row of a run of contiguous rows (survflag)
write_case("heart_counting_fracweights_id", "heart (start, stop] by transplant, fractional weights, id: IJ clustered by patient",
           hj$stop, hj$event, as.integer(as.character(hj$transplant)), c("transplant=0", "transplant=1"),
           start = hj$start, weights = w_hfrac, id = hj$id, times = c(10, 50, 100, 500),
           skip = c("n_censor", "sum_n_censor"),
           skip_reason = paste("survival 3.5-3 survfitKM computes survflag's position for all rows but passes it",
             "unsubset (position, not position[keep]) to each group's Csurvfitkm, so with groups and an id its",
             "censoring counts are misaligned. carta counts a row continued by the same id in the same group",
             "as no censoring (heart_counting_id checks the rule on one curve)."))
write_case("heart_counting_id", "heart (start, stop], one curve, unweighted, id: Greenwood; continued rows are not censorings",
           hj$stop, hj$event, start = hj$start, id = hj$id, times = c(10, 50, 100, 500))
# recurrent events: an id with two events makes R's default the IJ clustered by id
write_case("recurrent_id", "(start, stop] with an id that has two events (R's default: robust, by id)",
           c(3, 5, 4, 6, 8, 2, 7, 9), c(1, 1, 0, 1, 0, 1, 1, 0), start = c(0, 3, 0, 2, 1, 0, 2, 0),
           id = c(1, 1, 2, 3, 4, 5, 5, 6))
# right-censored data with an id shared by several rows: R clusters the IJ by id (default robust
# when an id has two events, or with non-integer weights)
write_case("aml_id_pairs", "aml by x, id shared by pairs of rows (some with two events): IJ by id",
           aml$time, aml$status, as.integer(aml$x) - 1, c("x=Maintained", "x=Nonmaintained"),
           id = (seq_len(nrow(aml)) + 1) %/% 2)
write_case("veteran_fracweights_id", "veteran by trt, fractional weights, id shared by 3 rows: IJ by id",
           vet$time, vet$status, vet$trt - 1, c("trt=1", "trt=2"), weights = w_frac,
           id = (seq_len(nrow(vet)) + 2) %/% 3, times = c(30, 90, 180))
# the risk set empties (every row at risk dies at 2) and fills again by later entries: S stays 0
write_case("entry_after_empty_ij", "(start, stop], fractional weights: all at risk die at t = 2, later rows enter",
           c(2, 2, 1.5, 4, 5, 6, 6, 7), c(1, 1, 0, 1, 0, 1, 1, 0), start = c(0, 0.5, 0, 3, 3, 2, 4.5, 5),
           weights = c(0.5, 1.5, 1.25, 0.75, 1, 2.5, 0.5, 1), times = c(1, 3, 6))
# flat stretch: S = 0.5 exactly between times 2 and 3, and 0.25 at the end (last point rule)
write_case("flat_stretch", "S equals p over a flat stretch (midpoint rule) and at the last time",
           c(1, 2, 3, 5, 5, 6, 7, 8), c(1, 1, 1, 0, 1, 1, 0, 0), probs = c(0.25, 0.5, 0.75, 0.8),
           times = c(-1, 0, 2, 2.5, 6, 8))
write_case("negative_times", "negative and zero times (R keeps them; survfit0 starts at the minimum)",
           c(-3, -1, 0, 0, 2, 4, 4, 7), c(1, 0, 1, 1, 0, 1, 1, 0), tau = 5, times = c(-5, -1, 0, 3))
# near-ties: times that differ by a relative 5e-9 are one time for R (timefix = TRUE, aeqSurv)
set.seed(5)
base <- round(runif(60, 1, 100), 2)
nt <- c(base, base[1:25] * (1 + 5e-9), base[26:30] + 1e-9)
write_case("near_ties", "times differing by a relative 5e-9 or 1e-9 absolutely merge (R's timefix)",
           nt, rbinom(length(nt), 1, 0.7), rep(0:1, length.out = length(nt)), c("g=0", "g=1"))
# CDISC pilot ADTTE (time to first dermatologic event) by arm
adtte <- fromJSON("../../../../shared/data/cdisc-pilot/adam/adtte.json")
cn <- adtte$columns$name
dd <- as.data.frame(adtte$rows, stringsAsFactors = FALSE); names(dd) <- cn
aval <- as.numeric(dd$AVAL); cnsr <- as.integer(dd$CNSR); arm <- dd$TRTA
arms <- sort(unique(arm))
write_case("adtte_trta", "CDISC pilot ADTTE (TTDE) by TRTA, log-log", aval, 1L - cnsr,
           match(arm, arms) - 1L, paste0("TRTA=", arms), conf_type = "log-log", times = c(30, 60, 90, 180))

v <- c(paste("R", getRversion()), paste("survival", packageVersion("survival")),
       paste("jsonlite", packageVersion("jsonlite")))
writeLines(v, "VERSIONS")
