#!/usr/bin/env bash
# Meta-World after the generalist's 0%: five tasks' expert episodes cut 10 steps after their first
# success, and three small models trained on them alone (one-hot targets, Gaussian targets), each
# scored closed-loop. Figures: experiments/diary.md, "Meta-World episodes cut after success".
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
TASKS="reach push door-open drawer-close button-press-topdown"
DATA=""
for t in $TASKS; do
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --env "Meta-World/$t-v3" --out "data/mw-sas/mw-$t" --episodes 100 --seed 0 \
      --action-noise 0.1 --steps-after-success 10 --no-progress
  DATA="$DATA --dataset data/mw-sas/mw-$t"
done
MODEL="--config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear"
COMMON="--steps 3000 --stop-after 1500 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 250 --keep-checkpoints 20 --threads 2 --workers 1 --seed 41 --no-progress"
"$BIN/gato-train" $DATA $MODEL $COMMON --out runs/mw-sas-small
"$BIN/gato-train" $DATA $MODEL $COMMON --label-sigma 0.05 --out runs/mw-sas-ls
for run in runs/mw-sas-small runs/mw-sas-ls; do
  ENVS=""
  for t in $TASKS; do ENVS="$ENVS --env Meta-World/$t-v3"; done
  "$BIN/gato-eval" --checkpoint $run/step-0001500 $ENVS --episodes 10 --num-envs 10 --no-video --no-progress --out $run/eval-1500
done
