# Writes the Cox reference cases for carta's tests (tests/unit/test_cox_ref.c).
# Run from this folder: Rscript make_cox.R   (or `make references` from the repository root).
# Every case JSON holds its inputs (design columns, time, status, start, weights, strata,
# cluster, offset, newdata) so the C tests need no R, and the expected values from R survival's
# coxph refitted with a tight control so that the reference is the optimum.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })

ctl <- coxph.control(eps = 1e-14, iter.max = 200, toler.inf = 1e-6)
tol <- list(coef = 1e-8, loglik = 1e-8, se = 1e-6, vcov = 1e-6, test = 1e-6, p = 1e-6,
            concordance = 1e-8, concordance_se = 1e-6, resid = 1e-6, zph = 1e-6,
            basehaz = 1e-6, curve = 1e-6)
tol_reason <- paste("Issue 6: coefficients and log-likelihoods 1e-8 relative (R refitted with",
  "eps = 1e-14, so both sides sit at the optimum); standard errors, tests, p-values, residuals,",
  "curves 1e-6 (second-order quantities, evaluated at coefficients that agree to ~1e-10).")

num <- function(v) { v <- as.numeric(v); v[!is.finite(v)] <- NA; v }
cols <- function(m) lapply(seq_len(ncol(m)), function(j) num(m[, j]))

# One case: fit (already refitted) plus its design and options.
write_case <- function(name, fit, X, y, ties, strata = NULL, weights = NULL, cluster = NULL,
                       offset = NULL, robust = FALSE, newdata = NULL, zph = "km",
                       resid = TRUE, basehaz = TRUE, note = "") {
  cs <- coef(fit)
  out <- list(case = name, note = note, survival = as.character(packageVersion("survival")),
              n = nrow(X), p = ncol(X), names = colnames(X), x = cols(X), ties = ties)
  if (ncol(y) == 3) { out$start <- num(y[, 1]); out$time <- num(y[, 2]); out$status <- as.integer(y[, 3]) }
  else { out$time <- num(y[, 1]); out$status <- as.integer(y[, 2]) }
  if (!is.null(strata)) { out$strata <- as.integer(as.factor(strata)) - 1L; out$strata_labels <- levels(as.factor(strata)) }
  if (!is.null(weights)) out$weights <- num(weights)
  if (!is.null(cluster)) out$cluster <- as.integer(as.factor(cluster)) - 1L
  if (!is.null(offset)) out$offset <- num(offset)
  out$robust <- robust
  s <- summary(fit)
  nv <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  full <- function(m) { if (nrow(m) == length(cs)) m <- m[!is.na(cs), !is.na(cs), drop = FALSE]; m }
  nv <- full(nv)
  out$coef <- num(cs)
  out$aliased <- is.na(cs)
  ok <- !is.na(cs)
  se <- rep(NA, length(cs)); se[ok] <- sqrt(diag(nv))
  out$se <- num(se)
  V <- matrix(NA, length(cs), length(cs)); V[ok, ok] <- nv
  out$vcov <- num(V)
  if (robust) {
    rse <- rep(NA, length(cs)); rse[ok] <- sqrt(diag(full(fit$var))); out$robust_se <- num(rse)
    RV <- matrix(NA, length(cs), length(cs)); RV[ok, ok] <- full(fit$var); out$robust_vcov <- num(RV)
  }
  ci <- matrix(NA, length(cs), 2); ci[ok, ] <- s$conf.int[ok, 3:4, drop = FALSE]
  out$hr_lower <- num(ci[, 1]); out$hr_upper <- num(ci[, 2])
  zz <- rep(NA, length(cs)); pz <- zz
  zz[ok] <- s$coefficients[ok, "z"]; pz[ok] <- s$coefficients[ok, "Pr(>|z|)"]
  out$z <- num(zz); out$pz <- num(pz)
  out$loglik <- num(fit$loglik)
  out$iter <- fit$iter
  df <- sum(ok)
  out$lr <- num(c(s$logtest[1], df, s$logtest[3]))
  out$score <- num(c(fit$score, df, pchisq(fit$score, df, lower.tail = FALSE)))
  out$wald <- num(c(fit$wald.test, df, pchisq(fit$wald.test, df, lower.tail = FALSE)))
  if (robust) out$robust_score <- num(c(fit$rscore, df, pchisq(fit$rscore, df, lower.tail = FALSE)))
  cc <- fit$concordance
  out$concordance <- num(c(cc["concordance"], cc["std"]))
  out$concordance_counts <- num(cc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")])
  if (!isFALSE(resid)) {
    out$martingale <- num(residuals(fit, type = "martingale"))
    out$deviance <- num(residuals(fit, type = "deviance"))
  }
  if (isTRUE(resid)) { # resid = "martingale": those two only (R has no others for exact ties)
    sc <- residuals(fit, type = "score"); if (!is.matrix(sc)) sc <- matrix(sc)
    out$score_resid <- cols(sc)
    fit_nv <- fit; if (!is.null(fit$naive.var)) { fit_nv$var <- fit$naive.var; fit_nv$naive.var <- NULL }
    db <- residuals(fit_nv, type = "dfbeta"); if (!is.matrix(db)) db <- matrix(db)
    out$dfbeta <- cols(db)
    # Schoenfeld: R returns one row per event in its own (stratum, time) order. Within a tie
    # group every event has x_i - (the same mean), so xbar = x - resid identifies the mean of
    # each (stratum, time); the rows are written here for the events in input order.
    sch <- residuals(fit, type = "schoenfeld"); if (!is.matrix(sch)) sch <- matrix(sch)
    ssch <- residuals(fit_nv, type = "scaledsch"); if (!is.matrix(ssch)) ssch <- matrix(ssch)
    ev <- which(y[, ncol(y)] == 1)
    st <- if (is.null(strata)) rep(1L, nrow(X)) else as.integer(as.factor(strata))
    tt <- y[, ncol(y) - 1]
    ordr <- ev[order(st[ev], tt[ev])]
    Xk <- X[, ok, drop = FALSE]
    key <- paste(st[ordr], tt[ordr])
    xbar <- Xk[ordr, , drop = FALSE] - sch
    # the ordering of events within a tie group in R may differ from ours: use the group mean
    gm <- apply(xbar, 2, function(v) ave(v, key))
    if (!is.matrix(gm)) gm <- matrix(gm, nrow = length(ordr))
    ukey <- paste(st[ev], tt[ev])
    gmean <- gm[match(ukey, key), , drop = FALSE]
    schin <- Xk[ev, , drop = FALSE] - gmean
    nd <- length(ev)
    Vk <- nv
    scaled <- schin %*% Vk * nd + matrix(cs[ok], nrow = nd, ncol = sum(ok), byrow = TRUE)
    out$schoenfeld_rows <- ev - 1L
    out$schoenfeld <- cols(schin)
    out$scaled_schoenfeld <- cols(scaled)
    # check of the remapping: R's own scaled rows sorted must equal ours sorted
    stopifnot(max(abs(sort(as.numeric(ssch)) - sort(as.numeric(scaled)))) < 1e-8)
  }
  if (!is.null(zph)) {
    z <- cox.zph(fit, transform = zph, terms = FALSE)
    out$zph_transform <- zph
    out$zph <- lapply(seq_len(nrow(z$table)), function(i) num(z$table[i, ]))
    # per term (R's default terms = TRUE): a factor's columns give one test; term_of is the
    # 0-based term of each design column (model.matrix's "assign")
    asg <- attr(X, "assign")
    if (!is.null(asg) && length(asg) == ncol(X) && !any(is.na(cs))) {
      out$term_of <- as.integer(asg) - 1L
      zt <- cox.zph(fit, transform = zph, terms = TRUE)
      out$zph_by_term <- lapply(seq_len(nrow(zt$table)), function(i) num(zt$table[i, ]))
    }
  }
  if (basehaz && is.null(offset)) {
    bh <- basehaz(fit, centered = FALSE)
    if (is.null(bh$strata)) out$basehaz <- list(list(time = num(bh$time), cumhaz = num(bh$hazard)))
    else out$basehaz <- lapply(levels(factor(bh$strata, levels = unique(bh$strata))), function(l)
      list(label = l, time = num(bh$time[bh$strata == l]), cumhaz = num(bh$hazard[bh$strata == l])))
  }
  if (!is.null(newdata)) {
    sf <- survfit(fit, newdata = newdata$frame)
    out$newdata <- cols(newdata$X)
    nr <- nrow(newdata$X)
    sm <- function(v) if (is.matrix(v)) v else matrix(v, ncol = 1)
    S <- sm(sf$surv); E <- sm(sf$std.err); L <- sm(sf$lower); U <- sm(sf$upper)
    nst <- if (is.null(sf$strata)) 1 else length(sf$strata)
    sizes <- if (is.null(sf$strata)) length(sf$time) else sf$strata
    beg <- cumsum(c(0, sizes))
    curves <- list()
    for (k in seq_len(nr)) for (h in seq_len(nst)) {
      ix <- (beg[h] + 1):beg[h + 1]
      curves[[length(curves) + 1]] <- list(row = k - 1L, stratum = h - 1L, time = num(sf$time[ix]),
        surv = num(S[ix, k]), std_err = num(S[ix, k] * E[ix, k]), lower = num(L[ix, k]),
        upper = num(U[ix, k]))
    }
    out$curves <- curves
  }
  out$tol <- tol
  out$tol_reason <- tol_reason
  writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, na = "null", null = "null"),
             paste0(name, ".json"))
  cat("wrote", name, "\n")
}

refit <- function(formula, data, ...) coxph(formula, data = data, control = ctl, x = TRUE, ...)

# --- lung: age, factor sex, factor ph.ecog (Efron and Breslow) ---
lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")])
lung2$sex <- factor(lung2$sex, labels = c("M", "F"))
lung2$ph.ecog <- factor(lung2$ph.ecog)
lung2$status <- lung2$status - 1
nd_lung <- data.frame(age = c(50, 70), sex = factor(c("M", "F"), levels = c("M", "F")),
                      ph.ecog = factor(c("0", "2"), levels = levels(lung2$ph.ecog)))
for (ties in c("efron", "breslow")) {
  f <- refit(Surv(time, status) ~ age + sex + ph.ecog, lung2, ties = ties)
  X <- f$x
  nX <- model.matrix(delete.response(terms(f)), nd_lung)[, -1, drop = FALSE]
  write_case(paste0("lung_", ties), f, X, f$y, ties,
             newdata = list(frame = nd_lung, X = nX))
}
# identity-transform zph and rank on the same data
f <- refit(Surv(time, status) ~ age + wt.loss, lung2)
write_case("lung_zph_rank", f, f$x, f$y, "efron", zph = "rank", resid = FALSE)
write_case("lung_zph_identity", f, f$x, f$y, "efron", zph = "identity", resid = FALSE)
write_case("lung_zph_log", f, f$x, f$y, "efron", zph = "log", resid = FALSE)

# --- robust without cluster (per-row dfbeta) ---
f <- refit(Surv(time, status) ~ age + sex, lung2, robust = TRUE)
write_case("lung_robust", f, f$x, f$y, "efron", robust = TRUE)

# --- aliased term: x2 = 2 * age ---
la <- lung2; la$age2 <- 2 * la$age
f <- refit(Surv(time, status) ~ age + age2 + sex, la)
write_case("lung_aliased", f, f$x, f$y, "efron", resid = FALSE, zph = NULL, basehaz = FALSE,
           note = "age2 = 2 * age is aliased: R gives NA")

# --- integer case weights (robust stays off) ---
wts <- 1 + (seq_len(nrow(lung2)) %% 3)
lw <- lung2; lw$wts <- wts
f <- coxph(Surv(time, status) ~ age + sex, lw, weights = wts, control = ctl, x = TRUE, robust = FALSE)
write_case("lung_weights", f, f$x, f$y, "efron", weights = wts)

# --- ovarian (Efron, Breslow), offset ---
f <- refit(Surv(futime, fustat) ~ age + ecog.ps + rx, ovarian)
write_case("ovarian_efron", f, f$x, f$y, "efron")
off <- 0.3 * ovarian$resid.ds
ov <- ovarian; ov$off <- off
f <- refit(Surv(futime, fustat) ~ age + ecog.ps + rx + offset(off), ov)
write_case("ovarian_offset", f, f$x, f$y, "efron", offset = off, zph = NULL, resid = FALSE)

# --- veteran: celltype factor ---
f <- refit(Surv(time, status) ~ trt + karno + celltype, veteran)
write_case("veteran_efron", f, f$x, f$y, "efron")
f <- refit(Surv(time, status) ~ trt + karno + celltype, veteran, ties = "breslow")
write_case("veteran_breslow", f, f$x, f$y, "breslow", zph = NULL, resid = FALSE)

# --- pbc with strata ---
pbc2 <- pbc[!is.na(pbc$trt), ]
pbc2$death <- as.integer(pbc2$status == 2)
f <- refit(Surv(time, death) ~ age + log(bili) + log(albumin) + edema + strata(trt), pbc2)
nd_pbc <- data.frame(age = c(45, 60), bili = c(1, 3), albumin = c(3.5, 3), edema = c(0, 0.5))
nX <- model.matrix(~ age + log(bili) + log(albumin) + edema, nd_pbc)[, -1, drop = FALSE]
write_case("pbc_strata", f, f$x, f$y, "efron", strata = pbc2$trt,
           newdata = list(frame = nd_pbc, X = nX))

# --- pbc: strata with a robust (per-row) variance and Breslow ties ---
f <- refit(Surv(time, death) ~ age + log(bili) + log(albumin) + edema + strata(trt), pbc2,
           robust = TRUE, ties = "breslow")
write_case("pbc_strata_robust_breslow", f, f$x, f$y, "breslow", strata = pbc2$trt, robust = TRUE,
           newdata = list(frame = nd_pbc, X = model.matrix(~ age + log(bili) + log(albumin) + edema, nd_pbc)[, -1, drop = FALSE]))

# --- heart: (start, stop] data, and cluster(id) robust ---
f <- refit(Surv(start, stop, event) ~ age + year + surgery + transplant, heart)
nd_heart <- data.frame(age = c(-5, 10), year = c(2, 4), surgery = c(0, 1), transplant = factor(c(0, 1), levels = c(0, 1)))
nX <- model.matrix(~ age + year + surgery + transplant, nd_heart)[, -1, drop = FALSE]
write_case("heart_counting", f, f$x, f$y, "efron", newdata = list(frame = nd_heart, X = nX))
f <- refit(Surv(start, stop, event) ~ age + year + surgery + transplant, heart, ties = "breslow")
write_case("heart_breslow", f, f$x, f$y, "breslow", zph = NULL)
f <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, heart, cluster = id, control = ctl, x = TRUE)
write_case("heart_cluster", f, f$x, f$y, "efron", cluster = heart$id, robust = TRUE, zph = NULL)

# --- rats: cluster(litter), robust ---
f <- coxph(Surv(time, status) ~ rx + sex, rats, cluster = litter, control = ctl, x = TRUE)
write_case("rats_cluster", f, f$x, f$y, "efron", cluster = rats$litter, robust = TRUE)

# --- exact ties: 80 lung rows with time in months (many ties), with strata ---
le <- lung2[1:80, ]; le$mon <- le$time %/% 30
# R gives martingale and deviance residuals, cox.zph, basehaz and survfit curves for an exact fit
# (in the Breslow forms at its coefficients), but no score, Schoenfeld or dfbeta residuals.
f <- refit(Surv(mon, status) ~ age + ph.ecog + strata(sex), le, ties = "exact")
nd_le <- data.frame(age = c(55, 68), ph.ecog = factor(c("0", "2"), levels = levels(le$ph.ecog)))
nX <- model.matrix(~ age + ph.ecog, nd_le)[, -1, drop = FALSE]
write_case("lung_exact", f, f$x, f$y, "exact", strata = le$sex, resid = "martingale",
           newdata = list(frame = nd_le, X = nX))
f <- refit(Surv(mon, status) ~ age + wt.loss, le, ties = "exact")
nd_le <- data.frame(age = c(55, 68), wt.loss = c(0, 10))
write_case("lung_exact_nostrata", f, f$x, f$y, "exact", resid = "martingale",
           newdata = list(frame = nd_le, X = as.matrix(nd_le)))

# --- continuous times, many distinct event times: the case carta's sorted path serves (its
# design reordered in place: carta_cox_fit_reorder, as `carta run` fits); with strata, case
# weights (whole numbers: R makes non-integer weights robust; stored as doubles, as cox.zph
# needs), an offset and a few tied times
# (rounded to 0.001), Efron ---
set.seed(20261129)
nc <- 1500
sc <- data.frame(x1 = rbinom(nc, 1, 0.4), x2 = rnorm(nc), x3 = runif(nc, -1, 1),
                 s = sample(c("a", "b"), nc, TRUE, prob = c(0.7, 0.3)), w = as.numeric(sample(1:3, nc, TRUE)),
                 off = 0.1 * runif(nc))
tt <- rexp(nc, 0.05 * exp(0.5 * sc$x1 - 0.3 * sc$x2 + 0.2 * sc$x3 + sc$off)); cc <- runif(nc, 0, 40)
sc$time <- round(pmin(tt, cc), 3); sc$status <- as.integer(tt <= cc)
sc$time[sc$time == 0] <- 0.001
f <- coxph(Surv(time, status) ~ x1 + x2 + x3 + strata(s) + offset(off), data = sc, weights = w,
           ties = "efron", control = ctl, x = TRUE)
write_case("sorted_continuous", f, f$x, f$y, "efron", strata = sc$s, weights = sc$w, offset = sc$off,
           resid = "martingale", note = "many distinct event times: carta's sorted path")

# --- CDISC pilot ADTTE (../../../../shared/data/cdisc-pilot/adam/adtte.json) ---
p <- "../../../../shared/data/cdisc-pilot/adam/adtte.json"
if (file.exists(p)) {
  j <- fromJSON(p, simplifyVector = TRUE)
  d <- as.data.frame(j$rows, stringsAsFactors = FALSE)
  names(d) <- j$columns$name
  d$AVAL <- as.numeric(d$AVAL); d$CNSR <- as.numeric(d$CNSR); d$AGE <- as.numeric(d$AGE)
  d$event <- 1 - d$CNSR
  d$TRTA <- factor(d$TRTA, levels = c("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"))
  for (ties in c("efron", "breslow")) {
    f <- refit(Surv(AVAL, event) ~ TRTA + AGE + SEX, d, ties = ties)
    write_case(paste0("adtte_", ties), f, f$x, f$y, ties,
               note = "CDISC pilot ADTTE (TTDE), event = 1 - CNSR; README: Efron Low 1.498281, High 1.634899, AGE -0.014817, SEXM 0.381026, C 0.6779")
  }
}

writeLines(c(R.version.string, paste("survival", packageVersion("survival")),
             paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")

# --- concordance alone (carta_concordance), R's concordance(reverse = TRUE) ---
write_conc <- function(name, y, score, strata = NULL, weights = NULL, cluster = NULL, note = "") {
  cf <- if (is.null(strata)) { if (is.null(weights)) concordancefit(y, score, reverse = TRUE, timefix = FALSE, cluster = cluster)
                               else concordancefit(y, score, weights = weights, reverse = TRUE, timefix = FALSE, cluster = cluster) }
        else { if (is.null(weights)) concordancefit(y, score, strata = strata, reverse = TRUE, timefix = FALSE, cluster = cluster)
               else concordancefit(y, score, strata = strata, weights = weights, reverse = TRUE, timefix = FALSE, cluster = cluster) }
  cnt <- if (is.matrix(cf$count)) colSums(cf$count) else cf$count
  out <- list(case = name, note = note, n = length(score), score = num(score))
  if (ncol(y) == 3) { out$start <- num(y[, 1]); out$time <- num(y[, 2]); out$status <- as.integer(y[, 3]) }
  else { out$time <- num(y[, 1]); out$status <- as.integer(y[, 2]) }
  if (!is.null(strata)) out$strata <- as.integer(as.factor(strata)) - 1L
  if (!is.null(weights)) out$weights <- num(weights)
  if (!is.null(cluster)) out$cluster <- as.integer(as.factor(cluster)) - 1L
  out$concordance <- num(c(cf$concordance, sqrt(cf$var)))
  out$counts <- num(cnt[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")])
  out$tol <- list(concordance = 1e-12, concordance_se = 1e-10, counts = 1e-12)
  out$tol_reason <- "Exact pair counts (sums of weights) and their ratio; the jackknife SE sums n squared terms (1e-10)."
  writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, na = "null", null = "null"), paste0(name, ".json"))
  cat("wrote", name, "\n")
}
s1 <- data.frame(time = c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10), event = c(1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0),
                 risk = c(.9, .8, .8, .7, .5, .6, .5, .3, .4, .2, .1, .1))
write_conc("concordance_s1", Surv(s1$time, s1$event), s1$risk, note = "metrics.md S1: C = (39 + 3/2)/44")
lc <- lung2; lc$score <- lc$age + 10 * as.numeric(lc$ph.ecog) # integers: ties survive the JSON text exactly
write_conc("concordance_lung_weighted", Surv(lc$time, lc$status), lc$score, strata = lc$sex,
           weights = 1 + (seq_len(nrow(lc)) %% 3), cluster = seq_len(nrow(lc)) %% 17,
           note = "strata, integer weights, clusters; tied scores")
write_conc("concordance_heart", Surv(heart$start, heart$stop, heart$event), heart$age + 0.1 * heart$surgery,
           note = "(start, stop] data")
