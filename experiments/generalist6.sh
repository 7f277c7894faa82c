#!/usr/bin/env bash
# The generalist, a third DAgger round (issue 36; experiments/diary.md, "A second DAgger round,
# on Meta-World too"): the second round's weights (experiments/generalist5.sh, step 1000)
# play every Meta-World task (8 episodes each, to 200 steps after success: the second round gave
# the long tail to 29 tasks and the other 21 lost return after their success) and the locomotion
# tasks but Walker2d, and Breakout (where the second round's model waits without pressing FIRE
# in 8 of 10 games), and the three BabyAI levels under 0.6 of their demonstrator (GoToLocal fell
# from 0.64 to 0.57 in the second round), from seed 5000, labelled by the demonstrators; then 1000
# more steps on everything, every Meta-World task weighted 2 in all (its demonstrations 1, its DAgger
# rounds 1), BabyAI and Atari x1.2 (their share of the windows as in the second round), the BabyAI
# DAgger sets on top (BabyAI 9.7% of the windows).
# From the repository root; a rerun resumes (gato-collect and gato-train both pick up where they
# stopped):
#   bash experiments/generalist6.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/generalist-dagger.sh checkpoint:runs/generalist5/step-0001000 5000 data/generalist5
bash experiments/generalist-run.sh experiments/generalist6.json 1000
