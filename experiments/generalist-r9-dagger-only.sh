#!/usr/bin/env bash
# The ninth DAgger round without the demonstrations (issue 36; experiments/diary.md, "The ninth
# DAgger round, shipped"): 600 steps from round 8's committed weights on the 74 sets that
# recipes/generalist.sh's stage 15.16 collects into data/generalist-r9 (run that stage first), with
# stage 15.16's weights and learning rate, no demonstrations and no older DAgger set; then the
# 74 tasks scored (experiments/generalist-eval.sh). From the repository root; a rerun resumes:
#   bash experiments/generalist-r9-dagger-only.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/generalist-run.sh experiments/generalist-r9-dagger-only.json 600
