#!/usr/bin/env bash
# The generalist's double-pendulum stage (issue 36; experiments/diary.md, "A double-pendulum stage
# from the fourth round's soup"): the fourth round's soup keeps 5 of 20 double-pendulum episodes
# falling in 44-93 steps (7178.9, 0.89 of today's README row). The soup plays 60 labelled episodes
# from seed 7000; then 200 steps from the soup with the double pendulum's sets doubled and the new
# set added (14% of the windows, against 6.5%; experiments/generalist-idp.json); then the soup of
# that stage and the soup it started from, scored on the 74 tasks. From the repository root; a rerun
# resumes:
#   bash experiments/generalist-idp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 7000 --policy checkpoint:runs/generalist-soup7/checkpoint \
    --label expert --env InvertedDoublePendulum-v5 --episodes 60 --out data/generalist7/inverteddoublependulum-dagger
resume=()
[ -e runs/generalist-idp/latest ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist-idp.json --threads 2 --no-progress "${resume[@]}"
bash experiments/generalist-soup.sh runs/generalist-soup7/checkpoint runs/generalist-idp/step-0000200 runs/generalist-soup7i
