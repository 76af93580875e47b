#!/usr/bin/env bash
# Reference implementations the metric tests compare against, installed without their declared
# dependencies: prts pins numpy<2, vus declares tensorflow, tsb-ad pulls torch and transformers, yet
# the metric code we compare with needs only numpy, pandas, scikit-learn, statsmodels, arch and
# matplotlib (the first three are the project's own dependencies; the rest are in the `test` extra).
set -euo pipefail
python -m pip install --quiet --no-deps prts==1.0.0.3 vus==0.0.6 tsb-ad==1.5
