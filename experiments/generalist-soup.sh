#!/usr/bin/env bash
# The mean of two generalist checkpoints' weights, 0.5 each, scored on the 74 tasks like a run
# (issue 36; experiments/diary.md, "The soup of the second and third rounds"): successive DAgger
# rounds move Meta-World tasks in opposite directions, and a soup of two (rollouts.soup, as the
# build's stage 5 joins two stages) keeps most of both. From the repository root:
#   bash experiments/generalist-soup.sh CHECKPOINT_A CHECKPOINT_B OUT
# (the third round's soup: runs/generalist5/step-0001000 runs/generalist6/step-0001000
# runs/generalist-soup56)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1
B=$2
OUT=$3
[ -e "$OUT/checkpoint/config.json" ] || .venv/bin/python -m rollouts.soup "$A" "$B" --weight 0.5 0.5 --out "$OUT/checkpoint"
bash experiments/generalist-eval.sh "$OUT/checkpoint" "$OUT"
