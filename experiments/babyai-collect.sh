#!/usr/bin/env bash
# BabyAI demonstrations for the two levels meant for the default suite (docs/design.md, "Text
# observations and BabyAI"): BabyAI's bot with 10% random actions executed and its clean action
# recorded (DART); every episode is kept (the bot succeeds in all of them). A rerun resumes. From
# the repository root, after .ci/setup:
#   bash experiments/babyai-collect.sh             # data/babyai/{gotoredball,gotolocal}-v0
#   .venv/bin/gato-train --recipe experiments/babyai.json
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
DATA=${DATA:-data/babyai}
EPISODES=${EPISODES:-1000}
export OMP_NUM_THREADS=1
for level in GoToRedBall GoToLocal; do
    "$BIN/python" -m rollouts.collect --no-progress --seed 0 --env "BabyAI-${level}-v0" --policy expert \
        --action-noise 0.1 --episodes "$EPISODES" --out "$DATA/$(echo "$level" | tr 'A-Z' 'a-z')-v0"
done
