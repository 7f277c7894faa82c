#!/usr/bin/env bash
# Meta-World's grasping tasks, the ten every generalist leaves at 0% (issue 36; experiments/diary.md,
# "Meta-World's grasping tasks and the vector encoder"): one MLP a task on the same data (the
# calibration), then five of them in a small Gato alone, with the one-token vector encoder as the
# generalist has it ("linear") and with a residual MLP beside it ("mlp"), side by side on one
# thread each, scored closed-loop. From the repository root, after experiments/metaworld50.sh has
# collected data/mw-cut50 (100 expert episodes a task, cut 10 steps after success).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
GRASP="assembly basketball bin-picking box-close disassemble hammer pick-place-wall peg-insert-side shelf-place sweep"
"$BIN/python" experiments/mw_mlp_baseline.py --data data/mw-cut50 --tasks $GRASP --steps 2000 --episodes 10 --inputs decoded
FIVE="assembly basketball hammer pick-place-wall shelf-place"
DATA=""
ENVS=""
for t in $FIVE; do
  DATA="$DATA --dataset data/mw-cut50/mw-$t"
  ENVS="$ENVS --env Meta-World/$t-v3"
done
MODEL="--config tiny --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_values decoded continuous_actions regression"
COMMON="--steps 3000 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 1500 --history-noise 1.0 --threads 1 --workers 0 --no-progress"
train() {  # RUN ENCODING SEED CONTEXT
  [ -e "runs/$1/step-0003000" ] || "$BIN/gato-train" $DATA $MODEL vector_encoding $2 $COMMON --seed $3 --context-length $4 --out runs/$1
}
evaluate() {  # RUN STEP
  [ -e "runs/$1/eval-$2/results.json" ] || "$BIN/gato-eval" --checkpoint runs/$1/step-$(printf %07d $2) $ENVS --episodes 10 \
      --num-envs 10 --no-video --no-progress --out runs/$1/eval-$2
}
train mw-grasp-linear linear 41 256 &
train mw-grasp-mlp mlp 41 256 &
wait
for run in mw-grasp-linear mw-grasp-mlp; do
  evaluate $run 1500 &
  evaluate $run 3000 &
  wait
done
# a second seed of each, and the linear encoder with 6 timesteps of context instead of 42
train mw-grasp-linear-s42 linear 42 256 &
train mw-grasp-mlp-s42 mlp 42 256 &
train mw-grasp-linear-ctx36 linear 41 36 &
wait
evaluate mw-grasp-linear-s42 3000 &
evaluate mw-grasp-mlp-s42 3000 &
wait
evaluate mw-grasp-linear-ctx36 3000
