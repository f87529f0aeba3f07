# Runs cv.glmnet (family "cox", elastic net) on the binary file written by bench_glmnet.c and
# prints one line: seconds nlambda lambda_min lambda_1se cvm_at_min
# The file holds n, p, alpha, then time[n], status[n], foldid[n], x[n*p] (column-major), doubles.
suppressPackageStartupMessages({ library(glmnet); library(survival) })
path <- commandArgs(trailingOnly = TRUE)[1]
con <- file(path, "rb")
hdr <- readBin(con, "double", 3); n <- hdr[1]; p <- hdr[2]; alpha <- hdr[3]
time <- readBin(con, "double", n); status <- readBin(con, "double", n)
foldid <- as.integer(readBin(con, "double", n))
x <- matrix(readBin(con, "double", n * p), n, p)
close(con)
st <- system.time(cv <- cv.glmnet(x, Surv(time, status), family = "cox", alpha = alpha, foldid = foldid))
cat(sprintf("%.3f %d %.12g %.12g %.12g %.15g %.15g\n", st[["elapsed"]], length(cv$lambda), cv$lambda.min, cv$lambda.1se,
            cv$cvm[cv$index[1]], cv$lambda[1], cv$lambda[2]))
