#!/usr/bin/env bash
# Meta-World's 50 tasks in one small Gato, with the regression head for continuous actions (issue 36;
# experiments/diary.md, "The 50 Meta-World tasks in one model"): 100 scripted-expert episodes a task,
# cut 10 steps after success; one run from scratch over all of them; gato-eval over the suite. From
# the repository root, after .ci/setup (and pip install 'gato-agent[metaworld]'); a rerun resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
DATA=()
for id in $("$BIN/gato-eval" --suite metaworld --list); do
  task=${id#Meta-World/}
  out=data/mw-cut50/mw-${task%-v3}
  [ -e "$out/collect.json" ] || "$BIN/gato-collect" --env "$id" --out "$out" --episodes 100 --seed 0 --action-noise 0.1 \
      --steps-after-success 10 --no-progress
  DATA+=(--dataset "$out")
done
RUN=runs/mw50-reg
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
"$BIN/gato-train" "${DATA[@]}" --config tiny --context-length 256 \
    --model-overrides vector_encoding linear vector_values decoded continuous_actions regression \
    --steps "${STEPS:-3000}" --batch-size 16 --lr 1e-3 --warmup-steps 50 --checkpoint-every 500 --keep-checkpoints 20 \
    --history-noise 1.0 --threads "$OMP_NUM_THREADS" --workers 1 --seed 41 --no-progress --out "$RUN" "${resume[@]}"
step=$(sed 's/step-0*//' "$RUN/latest")
[ -e "$RUN/eval-$step" ] || "$BIN/gato-eval" --checkpoint "$RUN" --suite metaworld --episodes 10 --num-envs 10 --no-video \
    --no-progress --out "$RUN/eval-$step"
