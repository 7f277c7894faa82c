#!/usr/bin/env bash
# The thirteenth DAgger round and the soup (issue 36; experiments/diary.md, "The thirteenth DAgger
# round"), scored beside the build. Stages 15.20 and 15.21 of recipes/generalist.sh make both
# (round 12's weights play the 74 tasks from seed 20000, labelled by the demonstrators; 750 steps
# of recipes/generalist-round13.json from round 12's weights, in bf16; then the mean of rounds 12
# and 13's bf16 weights), and stage 16 scores the soup and ships it. This script scores round 13
# alone as stage 16 scores (experiments/generalist-eval.sh), and both checkpoints on Pong's 60
# games (seeds 0-59), which decide Pong's goal. From the repository root, after the build's stage
# 15.21; a rerun skips what a previous run finished:
#   bash experiments/generalist-round13.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1  # evaluation: one thread a process
pong60() {  # pong60 CHECKPOINT OUT: Pong's 60 greedy games, seeds 0-59, in two processes
  [ -e "$2/pong60-a/results.json" ] && [ -e "$2/pong60-b/results.json" ] && return 0
  "$BIN/gato-eval" --checkpoint "$1" --env ALE/Pong-v5 --episodes 30 --num-envs 15 --seed 0 --no-video --no-progress --out "$2/pong60-a" &
  "$BIN/gato-eval" --checkpoint "$1" --env ALE/Pong-v5 --episodes 30 --num-envs 15 --seed 30 --no-video --no-progress --out "$2/pong60-b"
  wait
}
pong60 recipes/weights/generalist-round13 runs/generalist-r13-eval
bash experiments/generalist-eval.sh recipes/weights/generalist-round13 runs/generalist-r13-eval
pong60 recipes/weights/generalist-soup-r12-r13 runs/generalist-ship
