#!/usr/bin/env bash
# Why the generalist's Walker2d falls where a small Gato of Walker2d and Ant alone walks (issue 36;
# experiments/diary.md, "Walker2d: a fragile demonstrator"): the regression run of
# experiments/mujoco-bodies.sh (Walker2d 629.2, 0.66 of its demonstrator) again with one change,
# the generalist's min_vector_size 24, so that Walker2d's 17 floats keep the paper's token per
# float as they do in the generalist (Ant's 105 stay one token). One thread. From the repository
# root:
#   bash experiments/walker-layout.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
run=runs/walker-layout-tokens
[ -e "$run/step-0003000" ] || "$BIN/gato-train" --dataset data/generalist/walker2d --dataset data/generalist/ant \
    --config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear \
    max_vector_size 128 min_vector_size 24 vector_values decoded continuous_actions regression \
    --steps 3000 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 1000 --keep-checkpoints 20 \
    --history-noise 1.0 --threads 1 --workers 1 --seed 41 --no-progress --out "$run"
[ -e "$run/eval-3000" ] || "$BIN/gato-eval" --checkpoint "$run/step-0003000" --env Walker2d-v5 --env Ant-v5 \
    --episodes 20 --num-envs 10 --no-video --no-progress --out "$run/eval-3000"
