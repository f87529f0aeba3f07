# Called by tests/bench/bench_km.c: times R survival's survfit (log-log limits, by group) and
# survdiff (4 groups) on the data the C benchmark wrote (binary: n doubles time, n ints status,
# n ints group). Prints "<survfit seconds> <survdiff seconds> <chisq> <last surv of group 1>".
args <- commandArgs(TRUE)
n <- as.integer(args[2])
con <- file(args[1], "rb")
t <- readBin(con, "double", n); s <- readBin(con, "integer", n); g <- readBin(con, "integer", n)
close(con)
suppressPackageStartupMessages(library(survival))
t1 <- system.time(fit <- survfit(Surv(t, s) ~ g, conf.type = "log-log"))[["elapsed"]]
t2 <- system.time(sd <- survdiff(Surv(t, s) ~ g))[["elapsed"]]
cat(sprintf("%.4f %.4f %.12g %.12g\n", t1, t2, sd$chisq, fit[1]$surv[length(fit[1]$surv)]))
