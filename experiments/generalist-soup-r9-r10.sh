#!/usr/bin/env bash
# The mean of the ninth and tenth DAgger rounds' weights (issue 36; experiments/diary.md, "The
# tenth DAgger round, shipped"): round 9 kept Pong, Breakout and HalfCheetah, round 10 BabyAI,
# Walker2d and Meta-World. Needs both rounds' fp32 runs (recipes/generalist.sh, stages 15.16 and
# 15.17); scores the rows that differ most between them, greedy, in bf16 as stage 16 would: Pong's
# 60 games (seeds 0-59), Breakout's 10, three MuJoCo bodies and two BabyAI levels. Then the mean
# of the two rounds' committed bf16 weights (what a stage of the build can remake from them),
# scored on all 74 tasks as stage 16 scores (experiments/generalist-eval.sh). From the
# repository root:
#   bash experiments/generalist-soup-r9-r10.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
OUT=runs/soup-r9-r10
.venv/bin/python -m rollouts.soup runs/generalist-round10/step-0000600 runs/generalist-round9/step-0000600 \
    --weight 0.5 0.5 --out $OUT/fp32
.venv/bin/python -m gato_agent.surgery bf16 $OUT/fp32 $OUT/bf16
score() { .venv/bin/gato-eval --checkpoint $OUT/bf16 --no-video --no-progress "$@"; }
score --seed 0 --episodes 30 --num-envs 15 --env ALE/Pong-v5 --out $OUT/pong-a &
score --seed 30 --episodes 30 --num-envs 15 --env ALE/Pong-v5 --out $OUT/pong-b &
score --episodes 20 --num-envs 20 --env HalfCheetah-v5 --env Walker2d-v5 --env Hopper-v5 --out $OUT/mujoco
score --episodes 50 --num-envs 50 --env BabyAI-GoToLocal-v0 --env BabyAI-GoToDoor-v0 --out $OUT/babyai
score --episodes 10 --num-envs 10 --env ALE/Breakout-v5 --out $OUT/breakout
wait
.venv/bin/python -m rollouts.report $OUT/{breakout,mujoco,babyai}/results.json
.venv/bin/python -m rollouts.soup recipes/weights/generalist-round10 recipes/weights/generalist-round9 \
    --weight 0.5 0.5 --out $OUT/from-bf16
bash experiments/generalist-eval.sh $OUT/from-bf16 $OUT/from-bf16-all
