#!/usr/bin/env bash
# The generalist, third attempt (issue 36; experiments/diary.md, "The generalist with normalized
# action errors"): the second attempt's weights (experiments/generalist2.sh, step 2400) trained 2000
# more steps on the same 74 datasets with two changes that experiments/pendulum-mix.sh measured:
# --normalize-actions (each task's squared action error divided by its action variance) and every
# MuJoCo dataset's weight times 2.5 (MuJoCo 39% of the windows, Meta-World 41%, BabyAI 10%,
# Atari 10%), at lr 3e-4. Needs the second attempt's run. From the repository root; a rerun resumes:
#   bash experiments/generalist3.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RUN=runs/generalist3
resume=()
[ -e "$RUN/latest" ] && resume=(--resume)
OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist3.json --threads 2 --no-progress "${resume[@]}"

# Its evaluation, greedy and prompted, two processes on one thread each.
export OMP_NUM_THREADS=1
CKPT=$RUN/step-0002000
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
