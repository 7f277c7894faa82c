#!/usr/bin/env bash
# The generalist's BabyAI-weighted stage (issue 36; experiments/diary.md, "A BabyAI-weighted stage
# from the fourth round's soup"): GoToLocal and GoToObjDoor stay near 0.56 and 0.63 mean return
# through three DAgger rounds, and the shipped build lifted GoToLocal only with stages where it
# filled most windows (recipes/build.sh, stage 6). From the soup of the fourth round
# (experiments/generalist7.sh): 300 steps with the two levels in 45% of the windows, the other
# BabyAI levels in 15% and every other task in 40% (experiments/generalist-babyai.json:
# generalist7.json's weights so rescaled); then the soup of that stage and the soup it started from,
# scored on the 74 tasks. From the repository root; a rerun resumes:
#   bash experiments/generalist-babyai.sh
set -euo pipefail
cd "$(dirname "$0")/.."
resume=()
[ -e runs/generalist-babyai/latest ] && resume=(--resume)
OMP_NUM_THREADS=2 .venv/bin/gato-train --recipe experiments/generalist-babyai.json --threads 2 --no-progress "${resume[@]}"
bash experiments/generalist-soup.sh runs/generalist-soup7/checkpoint runs/generalist-babyai/step-0000300 runs/generalist-soup7b
