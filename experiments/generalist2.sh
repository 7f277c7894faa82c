#!/usr/bin/env bash
# The generalist, second attempt (issue 36; experiments/diary.md, "The generalist with the regression
# head"): the first attempt's 74 tasks (experiments/generalist.sh) with the two changes that its
# successors measured: the regression head for continuous actions (`continuous_actions
# "regression"`, a fresh head under --init) and Meta-World's expert episodes cut 10 steps after
# success (data/mw-cut50, 100 a task, from experiments/metaworld50.sh). History noise 1.0 on every
# task but BabyAI's. Needs the data of both scripts' gato-collect lines and the shipped weights
# (build stage 12, runs/atari-trunks/step-0000300). From the repository root; a rerun resumes:
#   bash experiments/generalist2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/generalist-run.sh experiments/generalist2.json 2400
