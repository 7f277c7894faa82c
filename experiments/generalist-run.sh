#!/usr/bin/env bash
# One generalist run of issue 36 and its evaluation, shared by experiments/generalist2.sh and its
# successors: trains RECIPE (resumed if its run was started), then scores the checkpoint at STEP on
# the 74 tasks (greedy, prompted, seeds from 0: 20 episodes a MuJoCo task, 50 a BabyAI level, 10 a
# Meta-World task or an Atari game; two processes on one thread each) and writes the run's
# table.md with rollouts.report. From the repository root:
#   bash experiments/generalist-run.sh RECIPE STEP
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RECIPE=$1
RUN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["out"])' "$RECIPE")
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe "$RECIPE" --threads 2 --no-progress "${resume[@]}"

export OMP_NUM_THREADS=1
CKPT=$RUN/step-$(printf %07d "$2")
evaluate() {  # evaluate OUT GATO-EVAL ARGS
  local out=$1
  shift
  [ -e "$out/results.json" ] && return 0
  "$BIN/gato-eval" --policy "gato:$CKPT" "$@" --no-video --no-progress --out "$out"
}
{
  evaluate $RUN/eval-mujoco --episodes 20 --num-envs 20 --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5 \
      --env Reacher-v5 --env Hopper-v5 --env HalfCheetah-v5 --env Walker2d-v5 --env Ant-v5 --env Swimmer-v5 --env Pusher-v5
  evaluate $RUN/eval-babyai --episodes 50 --num-envs 50 --env BabyAI-GoToRedBall-v0 --env BabyAI-GoToLocal-v0 \
      --env BabyAI-GoToRedBallGrey-v0 --env BabyAI-GoToRedBallNoDists-v0 --env BabyAI-GoToObj-v0 --env BabyAI-GoToObjDoor-v0 \
      --env BabyAI-GoToRedBlueBall-v0 --env BabyAI-GoToDoor-v0 --env BabyAI-OpenRedDoor-v0 --env BabyAI-OneRoomS8-v0
  evaluate $RUN/eval-atari --episodes 10 --num-envs 10 --env ALE/Breakout-v5 --env ALE/Pong-v5 --env ALE/Boxing-v5 \
      --env ALE/Freeway-v5 --env ALE/Bowling-v5
} &
evaluate $RUN/eval-metaworld --episodes 10 --num-envs 10 --suite metaworld
wait
"$BIN/python" -m rollouts.report $RUN/eval-*/results.json | tee $RUN/table.md
