#!/usr/bin/env bash
# Meta-World's grasping tasks and the history of observations (issue 36; experiments/diary.md,
# "Meta-World's grasping tasks: the copycat through observations"): the small Gato of
# experiments/mw-grasp-encoder.sh (vector_encoding mlp, seed 41), trained on windows of each task's
# last timestep alone (--task-context-steps, packed 42 windows a sequence) instead of 42 timesteps
# of history, and scored closed-loop as before. From the repository root, after
# experiments/metaworld50.sh has collected data/mw-cut50.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
FIVE="assembly basketball hammer pick-place-wall shelf-place"
DATA=""
ENVS=""
STEPS="--task-context-steps"
for t in $FIVE; do
  DATA="$DATA --dataset data/mw-cut50/mw-$t"
  ENVS="$ENVS --env Meta-World/$t-v3"
  STEPS="$STEPS Meta-World/$t-v3 ${1:-1}"
done
RUN=runs/mw-grasp-mlp-steps${1:-1}
MODEL="--config tiny --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_values decoded continuous_actions regression vector_encoding mlp"
[ -e "$RUN/step-0003000" ] || "$BIN/gato-train" $DATA $MODEL $STEPS --steps 3000 --batch-size 16 --lr 1e-3 --warmup-steps 50 \
    --checkpoint-every 1500 --history-noise 1.0 --threads 1 --workers 0 --no-progress --seed 41 --context-length 256 --out $RUN
for step in 1500 3000; do
  [ -e "$RUN/eval-$step/results.json" ] || "$BIN/gato-eval" --checkpoint $RUN/step-$(printf %07d $step) $ENVS --episodes 10 \
      --num-envs 10 --no-video --no-progress --out $RUN/eval-$step
done
