#!/usr/bin/env bash
# Why the generalist with the regression head drops the pendulums (issue 36; experiments/diary.md,
# "The generalist with the regression head"): one small Gato (2 layers, width 128, regression head),
# 1000 steps, on the two pendulums alone, then beside five Meta-World tasks at equal weights, then
# the same mixture with --normalize-actions; each scored on the pendulums (10 episodes) and the
# mixtures on the five tasks. About 4 minutes a run on two threads. Needs data/default (build stage
# 1) and data/mw-sas (experiments/metaworld-cut.sh). From the repository root; a rerun skips what exists.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
PENDULUMS="--dataset data/default/invertedpendulum --dataset data/default/inverteddoublependulum"
MW=""
for task in reach push door-open drawer-close button-press-topdown; do MW="$MW --dataset data/mw-sas/mw-$task"; done
MODEL="--config tiny --context-length 256 --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_encoding linear
  max_vector_size 128 vector_values decoded continuous_actions regression"
COMMON="--steps 1000 --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 500 --history-noise 1.0
  --threads $OMP_NUM_THREADS --workers 1 --seed 41 --no-progress"
evaluate() {  # evaluate RUN OUT GATO-EVAL ARGS
  local run=$1 out=$2
  shift 2
  [ -e "$run/$out/results.json" ] || "$BIN/gato-eval" --policy "gato:$run/step-0001000" "$@" --episodes 10 --num-envs 10 \
      --no-video --no-progress --out "$run/$out"
}
for variant in alone mix mix-normalized; do
  run=runs/pendulum-$variant
  data=$PENDULUMS
  flags=""
  [ "$variant" = alone ] || data="$PENDULUMS $MW"
  [ "$variant" = mix-normalized ] && flags="--normalize-actions"
  [ -e "$run/step-0001000" ] || "$BIN/gato-train" $data $MODEL $COMMON $flags --out "$run"
  evaluate "$run" eval-pendulums --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5
  [ "$variant" = alone ] || evaluate "$run" eval-mw --env Meta-World/reach-v3 --env Meta-World/push-v3 \
      --env Meta-World/door-open-v3 --env Meta-World/drawer-close-v3 --env Meta-World/button-press-topdown-v3
done
