#!/usr/bin/env bash
# The generalist, a DAgger round (issue 36; experiments/diary.md, "The generalist with normalized
# action errors"): the third attempt's weights (experiments/generalist3.sh, step 2000) trained 700
# more steps, lr 2e-4, on its 74 datasets plus one DAgger round of its own: its episodes on
# Walker2d (30), Hopper (20), Ant (20) and HalfCheetah (8), seeds from 3000, labelled by the
# demonstrators (the collect lines below). From the repository root; a rerun resumes:
#   bash experiments/generalist4.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
for spec in "Walker2d-v5 30 walker2d" "Hopper-v5 20 hopper" "Ant-v5 20 ant" "HalfCheetah-v5 8 halfcheetah"; do
  set -- $spec
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 3000 --policy checkpoint:runs/generalist3/step-0002000 \
      --label expert --env "$1" --episodes "$2" --out "data/generalist3/$3-dagger"
done
RUN=runs/generalist4
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist4.json --threads 2 --no-progress "${resume[@]}"

# Its evaluation, greedy and prompted, two processes on one thread each.
export OMP_NUM_THREADS=1
CKPT=$RUN/step-0000700
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
