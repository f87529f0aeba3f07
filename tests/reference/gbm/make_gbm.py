#!/usr/bin/python3
"""Reference predictions for carta's xgboost module from Python's xgboost (Debian's
python3-xgboost, which wraps the same libxgboost). Run from this folder with /usr/bin/python3.
The data are generated here with numpy from a fixed seed and written into each case file, so
the C test needs neither Python nor numpy."""
import json
import numpy as np
import xgboost as xgb


def write(name, X, labels, params, rounds, preds, extra=None):
    case = {
        "case": name,
        "x": [[None if np.isnan(v) else float(v) for v in X[:, j]] for j in range(X.shape[1])],
        "names": [f"x{j}" for j in range(X.shape[1])],
        "params": params,
        "rounds": rounds,
        "expected": {"pred": [float(v) for v in preds]},
        "tol": {"pred": 1e-7},
        "tol_reason": "the same libxgboost trains both; float32 predictions widened to double agree "
                      "to float32 rounding",
    }
    case.update(labels)
    if extra:
        case["expected"].update(extra)
    with open(name + ".json", "w") as f:
        json.dump(case, f, indent=1)


rng = np.random.default_rng(20231207)
n, p = 600, 5
X = rng.normal(size=(n, p))
X[rng.random(n) < 0.08, 3] = np.nan  # native missing values
logit = 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] * (X[:, 2] > 0)
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)

params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.1, "subsample": 0.8,
          "tree_method": "hist", "seed": 7, "nthread": 1, "validate_parameters": 1}
d = xgb.DMatrix(X, label=y, missing=np.nan, feature_names=[f"x{j}" for j in range(p)])
b = xgb.train(params, d, num_boost_round=40)
gain = b.get_score(importance_type="gain")
write("binary_hist", X, {"y": y.tolist()}, {k: v for k, v in params.items() if k not in ("seed", "nthread", "objective", "validate_parameters")},
      40, b.predict(d), {"gain": [gain.get(f"x{j}", 0.0) for j in range(p)]})

# survival:cox: times > 0, censored as negative labels.
t = rng.exponential(scale=np.exp(-(0.8 * X[:, 0] - 0.6 * X[:, 1])) * 10)
c = rng.exponential(scale=15, size=n)
time = np.minimum(t, c) + 0.01
status = (t <= c).astype(int)
params = {"objective": "survival:cox", "max_depth": 2, "eta": 0.05, "tree_method": "hist", "seed": 7,
          "nthread": 1, "validate_parameters": 1}
d = xgb.DMatrix(X, label=np.where(status == 1, time, -time), missing=np.nan)
b = xgb.train(params, d, num_boost_round=30)
write("cox_hist", X, {"time": time.tolist(), "status": status.tolist()},
      {"max_depth": 2, "eta": 0.05, "tree_method": "hist"}, 30, b.predict(d))

# survival:aft with right-censored rows (upper = +inf is written as null).
lower = time
upper = np.where(status == 1, time, np.inf)
params = {"objective": "survival:aft", "max_depth": 3, "eta": 0.05, "tree_method": "hist", "seed": 7,
          "nthread": 1, "aft_loss_distribution": "normal", "aft_loss_distribution_scale": 1.0,
          "validate_parameters": 1}
d = xgb.DMatrix(X, missing=np.nan)
d.set_float_info("label_lower_bound", lower)
d.set_float_info("label_upper_bound", upper)
b = xgb.train(params, d, num_boost_round=30)
write("aft_hist", X, {"lower": lower.tolist(), "upper": [None if np.isinf(u) else u for u in upper]},
      {"max_depth": 3, "eta": 0.05, "tree_method": "hist", "aft_loss_distribution": "normal",
       "aft_loss_distribution_scale": 1.0}, 30, b.predict(d))

import sys
with open("VERSIONS", "w") as f:
    f.write(f"python {sys.version.split()[0]}\nxgboost {xgb.__version__}\nnumpy {np.__version__}\n")
