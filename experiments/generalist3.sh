#!/usr/bin/env bash
# The generalist, third attempt (issue 36; experiments/diary.md, "The generalist with normalized
# action errors"): the second attempt's weights (experiments/generalist2.sh, step 2400) trained 2000
# more steps on the same 74 datasets with two changes that experiments/pendulum-mix.sh measured:
# --normalize-actions (each task's squared action error divided by its action variance) and every
# MuJoCo dataset's weight times 2.5 (MuJoCo 39% of the windows, Meta-World 41%, BabyAI 10%,
# Atari 10%), at lr 3e-4. Needs the second attempt's run. From the repository root; a rerun resumes:
#   bash experiments/generalist3.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/generalist-run.sh experiments/generalist3.json 2000
