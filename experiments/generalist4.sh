#!/usr/bin/env bash
# The generalist, a DAgger round (issue 36; experiments/diary.md, "The generalist with normalized
# action errors"): the third attempt's weights (experiments/generalist3.sh, step 2000) trained 700
# more steps, lr 2e-4, on its 74 datasets plus one DAgger round of its own: its episodes on
# Walker2d (30), Hopper (20), Ant (20) and HalfCheetah (8), seeds from 3000, labelled by the
# demonstrators (the collect lines below). From the repository root; a rerun resumes:
#   bash experiments/generalist4.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
for spec in "Walker2d-v5 30 walker2d" "Hopper-v5 20 hopper" "Ant-v5 20 ant" "HalfCheetah-v5 8 halfcheetah"; do
  set -- $spec
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 3000 --policy checkpoint:runs/generalist3/step-0002000 \
      --label expert --env "$1" --episodes "$2" --out "data/generalist3/$3-dagger"
done
bash experiments/generalist-run.sh experiments/generalist4.json 700
