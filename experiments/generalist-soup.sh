#!/usr/bin/env bash
# The mean of the second and third DAgger rounds' weights (issue 36; experiments/diary.md, "A third
# DAgger round"): the rounds move Meta-World tasks in opposite directions (the third gives back the
# return after success that the second lost, and loses others), so a soup of the two
# (rollouts.soup, as the build's stage 5 joins two stages) is scored on the 74 tasks like a run.
# From the repository root, after experiments/generalist6.sh:
#   bash experiments/generalist-soup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/generalist-soup56
[ -e $OUT/checkpoint/config.json ] || .venv/bin/python -m rollouts.soup runs/generalist5/step-0001000 \
    runs/generalist6/step-0001000 --weight 0.5 0.5 --out $OUT/checkpoint
bash experiments/generalist-eval.sh $OUT/checkpoint $OUT
