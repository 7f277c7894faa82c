#!/usr/bin/env bash
# The MuJoCo action history in the generalist (issue 36; experiments/diary.md, "The first DAgger
# round of stage 15"): every generalist so far trained with --history-noise 1.0 on every task but
# BabyAI, so that the model never reads a real past action; the shipped weights' MuJoCo stages read
# the executed actions (recipes/default-finetune4.json on). After stage 15.8, Hopper and Walker2d
# fall within 17 steps. 300 steps from 15.8's run with the nine MuJoCo tasks' history noise at 0
# (experiments/generalist-r1-history.json; everything else as recipes/generalist-round1.json, lr
# 1e-4), then the MuJoCo family scored as experiments/generalist-eval.sh does. From the repository
# root, after stage 15.8; a rerun resumes:
#   bash experiments/generalist-r1-history.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
resume=()
[ -e runs/generalist-r1-history/latest ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist-r1-history.json --threads 2 --no-progress "${resume[@]}"
[ -e runs/generalist-r1-history/eval-mujoco/results.json ] || OMP_NUM_THREADS=2 "$BIN/gato-eval" \
    --policy gato:runs/generalist-r1-history/step-0000300 --episodes 20 --num-envs 20 --seed 0 --no-video --no-progress \
    --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5 --env Reacher-v5 --env Hopper-v5 --env HalfCheetah-v5 \
    --env Walker2d-v5 --env Ant-v5 --env Swimmer-v5 --env Pusher-v5 --out runs/generalist-r1-history/eval-mujoco
