#!/usr/bin/env bash
# The generalist, a fourth DAgger round (issue 36; experiments/diary.md, "A third DAgger round"):
# the soup of the second and third rounds' weights (experiments/generalist-soup.sh) plays what the
# third round played, with the same counts (every Meta-World task 8 episodes to 200 steps after
# success; Hopper, the double pendulum, HalfCheetah and Ant; Breakout's waiting states; the three
# BabyAI levels under 0.6 of their demonstrator) and 4 Pong games, from seed 6000, labelled by the
# demonstrators; then 1000 steps from the soup on everything: every Meta-World task weighted 2 in
# all (its demonstrations 1, its DAgger sets 1 between them), each other task's new set at its
# third-round set's weight, and that set halved (each family's share of the windows about as in the
# third round); then the soup of that run's step 1000 and the soup it started from, scored the same
# way.
# From the repository root; a rerun resumes (gato-collect and gato-train both pick up where they
# stopped):
#   bash experiments/generalist7.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/generalist-dagger.sh checkpoint:runs/generalist-soup56/checkpoint 6000 data/generalist6
OMP_NUM_THREADS=1 .venv/bin/gato-collect --no-progress --seed 6000 --policy checkpoint:runs/generalist-soup56/checkpoint \
    --label expert --env ALE/Pong-v5 --episodes 4 --max-episode-steps 2000 --out data/generalist6/pong-dagger
bash experiments/generalist-run.sh experiments/generalist7.json 1000
bash experiments/generalist-soup.sh runs/generalist-soup56/checkpoint runs/generalist7/step-0001000 runs/generalist-soup7
