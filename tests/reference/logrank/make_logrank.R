# Writes the log-rank (G-rho) reference cases for carta's tests (tests/unit/test_logrank.c).
# Run from this folder: Rscript make_logrank.R   (or `make references` from the repository root).
# Each case JSON holds its inputs (time, status, group, strata) and R survival's survdiff output.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })

tol <- list(observed = 1e-8, expected = 1e-8, var = 1e-6, chisq = 1e-6, p = 1e-6)
tol_reason <- paste("Issue 5: observed and expected are sums of (weighted) counts, 1e-8 relative;",
  "the variance matrix, chi-square and p-value 1e-6.")
num <- function(v) { v <- as.numeric(v); v[!is.finite(v)] <- NA; v }

write_case <- function(name, note, time, status, group, labels, strata = NULL, slabels = NULL, rho = 0) {
  df <- data.frame(time = time, status = status, g = factor(labels[group + 1], levels = labels))
  if (!is.null(strata)) {
    df$s <- factor(slabels[strata + 1], levels = slabels)
    fit <- survdiff(Surv(time, status) ~ g + strata(s), data = df, rho = rho)
  } else fit <- survdiff(Surv(time, status) ~ g, data = df, rho = rho)
  obs <- fit$obs; ex <- fit$exp
  if (is.matrix(obs)) { obs_s <- obs; ex_s <- ex; obs <- rowSums(obs); ex <- rowSums(ex) }
  df_ <- sum(ex > 0) - 1
  out <- list(case = name, note = note, survival = as.character(packageVersion("survival")),
              n = length(time), time = num(time), status = as.integer(status), group = as.integer(group),
              group_labels = labels, rho = rho,
              group_n = as.integer(table(df$g)), observed = num(obs), expected = num(ex),
              var = num(fit$var), chisq = num(fit$chisq), df = df_,
              p = num(pchisq(fit$chisq, df_, lower.tail = FALSE)))
  if (!is.null(strata)) { out$strata <- as.integer(strata); out$strata_labels <- slabels
    out$observed_strata <- num(obs_s); out$expected_strata <- num(ex_s) }  # stratum-major (row = stratum)
  out$tol <- tol; out$tol_reason <- tol_reason
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), paste0(name, ".json"))
}
lung2 <- lung[!is.na(lung$status), ]
write_case("lung_sex", "lung by sex, log-rank", lung2$time, lung2$status - 1, lung2$sex - 1, c("sex=1", "sex=2"))
write_case("lung_sex_rho1", "lung by sex, rho = 1 (Peto-Peto)", lung2$time, lung2$status - 1, lung2$sex - 1, c("sex=1", "sex=2"), rho = 1)
l3 <- lung2[!is.na(lung2$ph.ecog) & lung2$ph.ecog < 3, ]
write_case("lung_ecog_strat_sex", "lung by ph.ecog (3 groups), stratified by sex", l3$time, l3$status - 1,
           l3$ph.ecog, paste0("ph.ecog=", 0:2), l3$sex - 1, c("sex=1", "sex=2"))
write_case("lung_ecog_strat_sex_rho05", "as lung_ecog_strat_sex with rho = 0.5", l3$time, l3$status - 1,
           l3$ph.ecog, paste0("ph.ecog=", 0:2), l3$sex - 1, c("sex=1", "sex=2"), rho = 0.5)
vet <- veteran
write_case("veteran_celltype", "veteran by celltype (4 groups), stratified by trt, rho = 1", vet$time, vet$status,
           as.integer(vet$celltype) - 1, paste0("celltype=", levels(vet$celltype)), vet$trt - 1, c("trt=1", "trt=2"), rho = 1)
write_case("aml_x", "aml by x", aml$time, aml$status, as.integer(aml$x) - 1, c("x=Maintained", "x=Nonmaintained"))
set.seed(5)
base <- round(runif(60, 1, 100), 2)
nt <- c(base, base[1:25] * (1 + 5e-9), base[26:30] + 1e-9)
write_case("near_ties", "near-tied times merged by survdiff's timefix (aeqSurv)", nt,
           rbinom(length(nt), 1, 0.7), rep(0:1, length.out = length(nt)), c("g=0", "g=1"))
adtte <- fromJSON("../../../../shared/data/cdisc-pilot/adam/adtte.json")
dd <- as.data.frame(adtte$rows, stringsAsFactors = FALSE); names(dd) <- adtte$columns$name
arms <- sort(unique(dd$TRTA))
write_case("adtte_trta", "CDISC pilot ADTTE (TTDE) by TRTA", as.numeric(dd$AVAL), 1L - as.integer(dd$CNSR),
           match(dd$TRTA, arms) - 1L, paste0("TRTA=", arms))
writeLines(c(paste("R", getRversion()), paste("survival", packageVersion("survival")),
             paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")
