#!/usr/bin/env bash
# The generalist, second attempt (issue 36; experiments/diary.md, "The generalist with the regression
# head"): the first attempt's 74 tasks (experiments/generalist.sh) with the two changes that its
# successors measured: the regression head for continuous actions (`continuous_actions
# "regression"`, a fresh head under --init) and Meta-World's expert episodes cut 10 steps after
# success (data/mw-cut50, 100 a task, from experiments/metaworld50.sh). History noise 1.0 on every
# task but BabyAI's. Needs the data of both scripts' gato-collect lines and the shipped weights
# (build stage 12, runs/atari-trunks/step-0000300). From the repository root; a rerun resumes:
#   bash experiments/generalist2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RUN=runs/generalist2
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist2.json --threads 2 --no-progress "${resume[@]}"

# Its evaluation, greedy and prompted, two processes on one thread each.
export OMP_NUM_THREADS=1
CKPT=$RUN/step-0002400
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
