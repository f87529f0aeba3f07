#!/usr/bin/python3
"""Trains the same booster as tests/bench/bench_gbm_xgb.c through Debian's python3-xgboost (the
same libxgboost 1.7.4) on the data that benchmark wrote, and prints its timings (wall and process CPU) as one JSON line.
Usage: /usr/bin/python3 bench_gbm_xgb.py DATA_FILE N P ROUNDS NTHREAD PRED_OUT
DATA_FILE: N*P float32 row-major features, then N float32 labels. PRED_OUT: the first 1000
predicted probabilities as float64, for the C side to compare with its own."""
import json, sys, time
import numpy as np
import xgboost as xgb

path, n, p, rounds, nthread, pred_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
raw = np.fromfile(path, dtype=np.float32)
X = raw[: n * p].reshape(n, p)
y = raw[n * p : n * p + n]
params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3,
          "nthread": nthread, "seed": 1, "verbosity": 0}
t0, c0 = time.perf_counter(), time.process_time()
d = xgb.DMatrix(X, label=y, missing=np.nan, nthread=nthread)
t1, c1 = time.perf_counter(), time.process_time()
bst = xgb.train(params, d, num_boost_round=rounds)
t2, c2 = time.perf_counter(), time.process_time()
k = min(n, 1000)
pred = bst.predict(xgb.DMatrix(X[:k], missing=np.nan))
pred.astype(np.float64).tofile(pred_out)
print(json.dumps({"dmatrix_s": t1 - t0, "train_s": t2 - t1, "dmatrix_cpu_s": c1 - c0, "train_cpu_s": c2 - c1,
                  "xgboost": xgb.__version__}))
