#!/usr/bin/env bash
# Meta-World after the generalist's 0%: five tasks' expert episodes cut 10 steps after their first
# success; plain MLPs on them (the calibration), and small Gatos trained on them alone with the
# choices the MLPs single out, each scored closed-loop. Figures: experiments/diary.md, "Meta-World
# episodes cut after success", and docs/design.md (the MLP table).
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
for flags in "" "--inputs companded" "--inputs decoded" "--head bins" "--head bins --label-sigma 0.05" \
    "--head bins --decode mean" "--inputs companded --head bins" "--joint"; do
  OMP_NUM_THREADS=1 "$BIN/python" experiments/mw_mlp_baseline.py --data data/mw-sas --tasks $TASKS --steps 2000 --episodes 10 $flags
done
MODEL="--config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear"
COMMON="--steps 3000 --stop-after 1500 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 250 --keep-checkpoints 20 --threads 2 --workers 1 --seed 41 --no-progress"
ENVS=""
for t in $TASKS; do ENVS="$ENVS --env Meta-World/$t-v3"; done
evaluate() {  # RUN STEP
  "$BIN/gato-eval" --checkpoint "$1/step-$(printf %07d "$2")" $ENVS --episodes 10 --num-envs 10 --no-video --no-progress --out "$1/eval-$2"
}
"$BIN/gato-train" $DATA $MODEL $COMMON --out runs/mw-sas-small
evaluate runs/mw-sas-small 1500
"$BIN/gato-train" $DATA $MODEL $COMMON --label-sigma 0.05 --out runs/mw-sas-ls
evaluate runs/mw-sas-ls 1500
"$BIN/gato-train" $DATA $MODEL vector_values decoded $COMMON --out runs/mw-sas-dec
evaluate runs/mw-sas-dec 1500
"$BIN/gato-train" $DATA $MODEL ${COMMON/--stop-after 1500/--stop-after 1250} --history-noise 1.0 --out runs/mw-sas-hn-linear
evaluate runs/mw-sas-hn-linear 1250
for run in runs/mw-sas-small runs/mw-sas-dec; do  # on to step 3000
  "$BIN/gato-train" $DATA $MODEL $([ $run = runs/mw-sas-dec ] && echo vector_values decoded) ${COMMON/--stop-after 1500/} --resume --out $run
  evaluate $run 3000
done
"$BIN/gato-train" $DATA $MODEL vector_values decoded ${COMMON/--steps 3000 --stop-after 1500/--steps 2000} --label-sigma 0.05 \
    --history-noise 1.0 --out runs/mw-sas-dec-ls-hn
evaluate runs/mw-sas-dec-ls-hn 2000
"$BIN/gato-train" --dataset data/mw-sas/mw-reach $MODEL vector_values decoded ${COMMON/--steps 3000/--steps 2000} \
    --label-sigma 0.05 --history-noise 1.0 --out runs/mw-sas-reach
"$BIN/gato-eval" --checkpoint runs/mw-sas-reach/step-0001500 --env Meta-World/reach-v3 --episodes 10 --num-envs 10 \
    --no-video --no-progress --out runs/mw-sas-reach/eval-1500
LONG=${COMMON/--steps 3000 --stop-after 1500/--steps 5000}
"$BIN/gato-train" --dataset data/mw-sas/mw-reach $MODEL vector_values decoded ${LONG/--checkpoint-every 250/--checkpoint-every 1000} \
    --label-sigma 0.05 --history-noise 1.0 --out runs/mw-sas-reach-long
for step in 1000 2000 3000 4000 5000; do
  "$BIN/gato-eval" --checkpoint runs/mw-sas-reach-long/step-$(printf %07d $step) --env Meta-World/reach-v3 --episodes 10 \
      --num-envs 10 --no-video --no-progress --out runs/mw-sas-reach-long/eval-$step
done
# The regression head for continuous actions (GatoConfig.continuous_actions "regression"): reach alone, then the five tasks
REG="$MODEL vector_values decoded continuous_actions regression"
REACH=${COMMON/--steps 3000 --stop-after 1500/--steps 2000}
"$BIN/gato-train" --dataset data/mw-sas/mw-reach $REG ${REACH/--checkpoint-every 250/--checkpoint-every 500} --threads 1 \
    --history-noise 1.0 --out runs/mw-sas-reach-reg
for step in 1000 1500 2000; do
  "$BIN/gato-eval" --checkpoint runs/mw-sas-reach-reg/step-$(printf %07d $step) --env Meta-World/reach-v3 --episodes 10 \
      --num-envs 10 --no-video --no-progress --out runs/mw-sas-reach-reg/eval-$step
done
FIVE=${LONG/--steps 5000/--steps 4000}
"$BIN/gato-train" $DATA $REG ${FIVE/--checkpoint-every 250/--checkpoint-every 1000} --history-noise 1.0 --out runs/mw-sas-reg
evaluate runs/mw-sas-reg 2000
evaluate runs/mw-sas-reg 4000
"$BIN/gato-eval" --checkpoint runs/mw-sas-reg/step-0004000 $ENVS --episodes 10 --num-envs 10 --seed 100 --no-video --no-progress \
    --out runs/mw-sas-reg/eval-4000-seed100
