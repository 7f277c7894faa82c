#!/usr/bin/env bash
# Meta-World's twins and the prompt (issue 36; experiments/diary.md, "Meta-World's twins"): the
# small Gato of experiments/mw-grasp-context.sh (vector_encoding mlp, seed 41, one-step windows)
# on the four pairs of tasks that start from the same states (experiments/mw_twins.py) and whose
# demonstrators act apart, without a prompt (`none`) or with every sequence prompted by a stretch
# of one of the task's demonstrations (`prompt`: --window-prompts --prompt-prob 1.0, and the agent
# acts after the end of the task's best demonstration), scored closed-loop. From the repository
# root, after experiments/metaworld50.sh has collected data/mw-cut50:
#   bash experiments/mw-twins.sh none|prompt
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
MODE=${1:?give none or prompt}
case $MODE in
  none) PROMPT="" ;;
  prompt) PROMPT="--window-prompts --prompt-prob 1.0" ;;
  *) echo "mw-twins.sh: give none or prompt, not $MODE" >&2; exit 2 ;;
esac
TWINS="button-press-topdown button-press-topdown-wall button-press button-press-wall pick-place reach push push-wall"
DATA=""
ENVS=""
STEPS="--task-context-steps"
for t in $TWINS; do
  DATA="$DATA --dataset data/mw-cut50/mw-$t"
  ENVS="$ENVS --env Meta-World/$t-v3"
  STEPS="$STEPS Meta-World/$t-v3 1"
done
RUN=runs/mw-twins-$MODE
MODEL="--config tiny --model-overrides num_layers 2 embed_dim 128 ff_dim 512 vector_values decoded continuous_actions regression vector_encoding mlp"
[ -e "$RUN/step-0003000" ] || "$BIN/gato-train" $DATA $MODEL $STEPS $PROMPT --steps 3000 --batch-size 16 --lr 1e-3 \
    --warmup-steps 50 --checkpoint-every 1500 --history-noise 1.0 --threads 1 --workers 0 --no-progress --seed 41 \
    --context-length 256 --out $RUN
[ -e "$RUN/eval/results.json" ] || "$BIN/gato-eval" --checkpoint $RUN/step-0003000 $ENVS --episodes 10 --num-envs 10 \
    --no-video --no-progress --out $RUN/eval
