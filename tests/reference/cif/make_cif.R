# Writes the competing-risks reference cases for carta's tests (tests/unit/test_cif.c).
# Run from this folder: Rscript make_cif.R   (or `make references` from the repository root).
# Each case JSON holds its inputs (time, status 0 = censored / 1..K = cause, group, strata,
# weights), the Aalen-Johansen curves from R survival's multi-state survfit (its std.err, the
# infinitesimal jackknife, and its limits) and Gray's test from cmprsk::cuminc.
suppressPackageStartupMessages({ library(survival); library(cmprsk); library(jsonlite) })

tol <- list(cif = 1e-8, std_err = 1e-6, limit = 1e-6, gray = 1e-6, p = 1e-6)
tol_reason <- paste("Issue 5: incidence estimates 1e-8 relative; standard errors, limits, Gray's",
  "statistic and p-value 1e-6.")
num <- function(v) { v <- as.numeric(v); v[!is.finite(v)] <- NA; v }

write_case <- function(name, note, time, status, group = NULL, labels = NULL, strata = NULL,
                       weights = NULL, conf_type = "log", conf_level = 0.95, rho = 0, start = NULL,
                       id = NULL) {
  K <- max(status)
  df <- data.frame(time = time, status = factor(status, levels = 0:K))
  df$g <- if (is.null(group)) factor(rep("1", length(time))) else factor(labels[group + 1], levels = labels)
  args <- list(formula = if (is.null(group)) Surv(time, status) ~ 1 else Surv(time, status) ~ g,
               data = df, conf.type = conf_type, conf.int = conf_level)
  if (!is.null(start)) {
    # (start, stop] data: survfit needs an id for multi-state counting data; one row per subject
    df$start <- start; df$id <- if (is.null(id)) seq_along(time) else id; args$data <- df; args$id <- df$id
    args$formula <- if (is.null(group)) Surv(start, time, status) ~ 1 else Surv(start, time, status) ~ g
  }
  if (!is.null(weights)) { df$w <- weights; args$data <- df; args$weights <- df$w }
  fit <- do.call(survfit, args)
  out <- list(case = name, note = note, survival = as.character(packageVersion("survival")),
              cmprsk = as.character(packageVersion("cmprsk")), n = length(time), n_causes = K,
              time = num(time), status = as.integer(status), conf_type = conf_type,
              conf_level = conf_level, rho = rho)
  if (!is.null(group)) { out$group <- as.integer(group); out$group_labels <- labels }
  if (!is.null(strata)) { out$strata <- as.integer(strata); out$n_strata <- max(strata) + 1L }
  if (!is.null(weights)) out$weights <- num(weights)
  if (!is.null(start)) out$start <- num(start)
  if (!is.null(id)) out$id <- as.integer(id)
  ng <- if (is.null(group)) 1 else length(labels)
  causes <- list()
  for (k in 1:K) {
    curves <- list()
    for (h in 1:ng) {
      f <- if (ng == 1) fit else fit[h, ]
      if (is.null(f$time) || length(f$time) == 0) { curves[[h]] <- list(time = list(), cif = list()); next }
      curves[[h]] <- list(time = num(f$time), cif = num(f$pstate[, k + 1]), std_err = num(f$std.err[, k + 1]),
                          lower = num(f$lower[, k + 1]), upper = num(f$upper[, k + 1]))
    }
    causes[[k]] <- list(cause = as.character(k), curves = curves)
  }
  if (ng > 1 && is.null(weights) && is.null(start)) {
    ci <- if (is.null(strata)) cuminc(time, status, group, rho = rho) else cuminc(time, status, group, strata, rho = rho)
    tt <- ci$Tests
    for (k in 1:K) {
      row <- match(as.character(k), rownames(tt))
      if (!is.na(row)) causes[[k]]$gray <- list(stat = num(tt[row, "stat"]), pv = num(tt[row, "pv"]), df = num(tt[row, "df"]))
    }
  }
  out$causes <- causes
  out$tol <- tol; out$tol_reason <- tol_reason
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), paste0(name, ".json"))
}

# mgus2: progression (1) competing with death (2), in months; heavy ties
m <- mgus2
etime <- with(m, ifelse(pstat == 1, ptime, futime))
event <- with(m, ifelse(pstat == 1, 1L, 2L * death))
write_case("mgus2_sex", "mgus2: progression vs death by sex, Gray's test", etime, event,
           as.integer(m$sex == "M"), c("sex=F", "sex=M"))
write_case("mgus2_overall_loglog", "mgus2 one curve, log-log limits, conf 0.9", etime, event,
           conf_type = "log-log", conf_level = 0.9)
# simulated, cmprsk-example style: 3 causes, 3 groups, 2 strata, integer times (ties), rho = 1
set.seed(2)
n <- 300
grp <- sample(0:2, n, replace = TRUE)
st <- sample(0:1, n, replace = TRUE)
tt <- ceiling(rexp(n, 0.05 * (1 + 0.4 * grp)))
cs <- sample(0:3, n, replace = TRUE, prob = c(0.25, 0.35, 0.25, 0.15))
write_case("sim3_strata_rho1", "simulated: 3 causes, 3 groups, 2 strata, tied integer times, Gray rho = 1",
           tt, cs, grp, c("g=a", "g=b", "g=c"), strata = st, rho = 1)
write_case("sim3", "simulated as sim3_strata_rho1, unstratified, rho = 0, plain limits",
           tt, cs, grp, c("g=a", "g=b", "g=c"), conf_type = "plain")
w <- 1 + (seq_len(n) %% 3)
write_case("sim3_weights", "simulated, integer case weights 1..3 (survfit only; cuminc has no weights)",
           tt, cs, grp, c("g=a", "g=b", "g=c"), weights = w)
# delayed entry ((start, stop] data, one row per subject): Aalen-Johansen with the risk set
# start < t <= stop; cmprsk::cuminc has no delayed entry, so there is no Gray test here
set.seed(11)
n <- 240
grp <- sample(0:1, n, replace = TRUE)
entry <- pmax(0, round(runif(n, -4, 12)))
tt <- entry + ceiling(rexp(n, 0.06 * (1 + 0.5 * grp)))
cs <- sample(0:2, n, replace = TRUE, prob = c(0.3, 0.45, 0.25))
write_case("sim_entry", "simulated delayed entry, 2 causes, 2 groups, tied integer times, log limits",
           tt, cs, grp, c("g=a", "g=b"), start = entry)
we <- 0.5 + (seq_len(n) %% 4) / 4
write_case("sim_entry_weights_loglog", "simulated delayed entry, one curve, fractional weights, log-log limits",
           tt, cs, weights = we, start = entry, conf_type = "log-log")
# several rows per subject: sim_entry's subjects split at a point inside their interval (the first
# row censored, the second with the subject's status); the IJ clusters by id (survfit refuses
# gaps within an id for multi-state data: survcheck)
sp <- which(tt - entry >= 2)[1:60]
cut <- entry[sp] + floor((tt[sp] - entry[sp]) / 2)
s1 <- c(entry, cut)
s2 <- c(ifelse(seq_len(n) %in% sp, cut[match(seq_len(n), sp)], tt), tt[sp])
st1 <- c(ifelse(seq_len(n) %in% sp, 0L, cs), cs[sp])
ids <- c(seq_len(n), sp)
write_case("sim_entry_id", "sim_entry with 60 subjects in two contiguous rows: IJ clustered by id",
           s2, st1, c(grp, grp[sp]), c("g=a", "g=b"), start = s1, id = ids)
# every row at risk has an event at t = 2 (S = 0), then later rows enter: the incidence is frozen
write_case("entry_after_empty", "(start, stop], fractional weights: all at risk fail at t = 2, later rows enter",
           c(2, 2, 1.5, 4, 5, 6, 6, 7), c(1, 2, 0, 1, 0, 2, 1, 0), start = c(0, 0.5, 0, 3, 3, 2, 4.5, 5),
           weights = c(0.5, 1.5, 1.25, 0.75, 1, 2.5, 0.5, 1))
writeLines(c(paste("R", getRversion()), paste("survival", packageVersion("survival")),
             paste("cmprsk", packageVersion("cmprsk")), paste("jsonlite", packageVersion("jsonlite"))), "VERSIONS")
