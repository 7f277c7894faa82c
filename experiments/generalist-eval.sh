#!/usr/bin/env bash
# The evaluation of one generalist checkpoint of issue 36 (experiments/generalist-run.sh and the
# soups): the 74 tasks, greedy, prompted, episode k of a task reset with seed SEED + k (SEED 0
# unless given; 20 episodes a MuJoCo task, 50 a BabyAI level, 10 a Meta-World task or an Atari game;
# two processes on one thread each), into OUT/eval-*, and OUT/table.md by rollouts.report. A rerun
# skips the families already scored. From the repository root:
#   bash experiments/generalist-eval.sh CHECKPOINT OUT [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
CKPT=$1
OUT=$2
SEED=${3:-0}
export OMP_NUM_THREADS=1
evaluate() {  # evaluate DIR GATO-EVAL ARGS
  local dir=$1
  shift
  [ -e "$dir/results.json" ] && [ ! -e "$dir.partial" ] && return 0
  rm -rf "$dir" && mkdir -p "$OUT" && touch "$dir.partial"
  "$BIN/gato-eval" --policy "gato:$CKPT" "$@" --seed "$SEED" --no-video --no-progress --out "$dir"
  rm "$dir.partial"
}
{
  evaluate $OUT/eval-mujoco --episodes 20 --num-envs 20 --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5 \
      --env Reacher-v5 --env Hopper-v5 --env HalfCheetah-v5 --env Walker2d-v5 --env Ant-v5 --env Swimmer-v5 --env Pusher-v5
  evaluate $OUT/eval-babyai --episodes 50 --num-envs 50 --env BabyAI-GoToRedBall-v0 --env BabyAI-GoToLocal-v0 \
      --env BabyAI-GoToRedBallGrey-v0 --env BabyAI-GoToRedBallNoDists-v0 --env BabyAI-GoToObj-v0 --env BabyAI-GoToObjDoor-v0 \
      --env BabyAI-GoToRedBlueBall-v0 --env BabyAI-GoToDoor-v0 --env BabyAI-OpenRedDoor-v0 --env BabyAI-OneRoomS8-v0
  evaluate $OUT/eval-atari --episodes 10 --num-envs 10 --env ALE/Breakout-v5 --env ALE/Pong-v5 --env ALE/Boxing-v5 \
      --env ALE/Freeway-v5 --env ALE/Bowling-v5
} &
evaluate $OUT/eval-metaworld --episodes 10 --num-envs 10 --suite metaworld
wait
"$BIN/python" -m rollouts.report $OUT/eval-*/results.json | tee $OUT/table.md
