#!/usr/bin/env bash
# Walker2d and the history (issue 36; experiments/diary.md, "Walker2d on one-step windows"): the
# small Gato of experiments/walker-layout.sh (Walker2d's 17 floats in the paper's layout, Ant's 105
# as one token, seed 41), trained as the generalist trains its MuJoCo tasks since stage 15.9, on
# their real action history (--history-noise 0), once on 10 timesteps of history (VARIANT "history")
# and once with Walker2d on windows of its last timestep alone (VARIANT "steps1":
# --task-context-steps Walker2d-v5 1; Ant keeps its history). One thread. From the repository root:
#   bash experiments/walker-context.sh history|steps1
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
case "${1:-}" in
  history) STEPS="" ;;
  steps1) STEPS="--task-context-steps Walker2d-v5 1" ;;
  *) echo "usage: bash experiments/walker-context.sh history|steps1" >&2; exit 2 ;;
esac
run=runs/walker-context-$1
[ -e "$run/step-0003000" ] || "$BIN/gato-train" --dataset data/generalist/walker2d --dataset data/generalist/ant \
    --config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear \
    max_vector_size 128 min_vector_size 24 vector_values decoded continuous_actions regression $STEPS \
    --steps 3000 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 1000 --keep-checkpoints 20 \
    --history-noise 0 --threads 1 --workers 1 --seed 41 --no-progress --out "$run"
[ -e "$run/eval-3000/results.json" ] || "$BIN/gato-eval" --checkpoint "$run/step-0003000" --env Walker2d-v5 --env Ant-v5 \
    --episodes 20 --num-envs 10 --no-video --no-progress --out "$run/eval-3000"
