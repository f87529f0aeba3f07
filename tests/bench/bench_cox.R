# Fits coxph (Efron) to the binary file written by bench_cox.c and prints one line:
#   seconds cpu_seconds peak_MB loglik coef1
# The file holds n, p, then time[n], status[n], x[n*p] (column-major), all doubles.
suppressPackageStartupMessages(library(survival))
path <- commandArgs(trailingOnly = TRUE)[1]
con <- file(path, "rb")
hdr <- readBin(con, "double", 2); n <- hdr[1]; p <- hdr[2]
time <- readBin(con, "double", n); status <- readBin(con, "double", n)
x <- matrix(readBin(con, "double", n * p), n, p)
close(con)
invisible(gc(reset = TRUE))
st <- system.time(fit <- coxph(Surv(time, status) ~ x, ties = "efron"))
t <- st[["elapsed"]]; tc <- st[["user.self"]] + st[["sys.self"]]
hwm <- as.numeric(sub("kB", "", sub("VmHWM:", "", grep("VmHWM", readLines("/proc/self/status"), value = TRUE)))) / 1024
cat(sprintf("%.3f %.3f %.0f %.12g %.12f\n", t, tc, hwm, fit$loglik[2], coef(fit)[1]))
