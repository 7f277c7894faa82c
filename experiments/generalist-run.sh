#!/usr/bin/env bash
# One generalist run of issue 36 and its evaluation, shared by experiments/generalist2.sh and its
# successors: trains RECIPE (resumed if its run was started), then scores the checkpoint at STEP
# with experiments/generalist-eval.sh (the 74 tasks; the run's table.md). From the repository root:
#   bash experiments/generalist-run.sh RECIPE STEP
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RECIPE=$1
RUN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["out"])' "$RECIPE")
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe "$RECIPE" --threads 2 --no-progress "${resume[@]}"
bash experiments/generalist-eval.sh "$RUN/step-$(printf %07d "$2")" "$RUN"
