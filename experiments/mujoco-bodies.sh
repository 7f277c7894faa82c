#!/usr/bin/env bash
# Walker2d and Ant, the two MuJoCo bodies the first generalist lost at once (issue 36), in one small
# Gato with the regression head for continuous actions and, as the control, with the paper's bins
# (experiments/diary.md, "Walker2d and Ant with the regression head"). Data: the generalist's
# demonstrations (experiments/generalist.sh: 40 ARS episodes each). From the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
DATA="--dataset data/generalist/walker2d --dataset data/generalist/ant"
MODEL="--config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear
  max_vector_size 128 vector_values decoded"
COMMON="--steps 3000 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 1000 --keep-checkpoints 20
  --history-noise 1.0 --threads $OMP_NUM_THREADS --workers 1 --seed 41 --no-progress"
for head in regression bins; do
  run=runs/mujoco-bodies-$head
  [ -e "$run/step-0003000" ] || "$BIN/gato-train" $DATA $MODEL continuous_actions $head $COMMON --out "$run"
  [ -e "$run/eval-3000" ] || "$BIN/gato-eval" --checkpoint "$run/step-0003000" --env Walker2d-v5 --env Ant-v5 \
      --episodes 20 --num-envs 10 --no-video --no-progress --out "$run/eval-3000"
done
run=runs/mujoco-bodies-regression  # other seeds
[ -e "$run/eval-3000-seed100" ] || "$BIN/gato-eval" --checkpoint "$run/step-0003000" --env Walker2d-v5 --env Ant-v5 \
    --episodes 20 --num-envs 10 --seed 100 --no-video --no-progress --out "$run/eval-3000-seed100"
# Hopper and HalfCheetah (two of the nine shipped tasks) from their stage-1 demonstrations, with the head
run=runs/mujoco-hopper-cheetah-regression
[ -e "$run/step-0003000" ] || "$BIN/gato-train" --dataset data/default/hopper --dataset data/default/halfcheetah $MODEL \
    continuous_actions regression $COMMON --out "$run"
[ -e "$run/eval-3000" ] || "$BIN/gato-eval" --checkpoint "$run/step-0003000" --env Hopper-v5 --env HalfCheetah-v5 \
    --episodes 20 --num-envs 10 --no-video --no-progress --out "$run/eval-3000"
