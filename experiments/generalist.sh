#!/usr/bin/env bash
# The generalist, first attempt (issue 36; experiments/diary.md, "The generalist"): data for 74 tasks
# and one gato-train run from the shipped weights. Not shipped: the nine tasks' MuJoCo locomotion
# collapsed. Needs the build's stages 1, 4 and 12 first (their data and runs/atari-trunks/step-0000300,
# the shipped weights). From the repository root, after .ci/setup and those stages; a rerun resumes:
#   bash experiments/generalist.sh
#
# Demonstrations of 65 more tasks: the 50 Meta-World tasks (30 scripted-expert episodes each), four
# MuJoCo bodies, eight BabyAI levels (3000 bot episodes each) and three Atari games (RAM-read
# demonstrators), the noise executed and the clean action recorded (DART); a DAgger round of the
# shipped weights on the tasks its chain trained with DAgger; then one run over every dataset, the
# nine tasks' stage-1/4 data included, with continuous vectors of 24 floats or more as one token
# (Meta-World's 39, Ant's 105) and smaller ones in the paper's layout (docs/design.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
collect() { "$BIN/gato-collect" --no-progress "$@"; }
train() {  # train RECIPE [GATO-TRAIN OPTIONS]: the recipe's run, resumed if one was started
  local recipe=$1 out
  shift
  out=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["out"])' "$recipe")
  local resume=()
  [ -e "$out/latest" ] && resume=(--resume)
  OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe "$recipe" --no-progress "${resume[@]}" "$@"
}
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/assembly-v3 --episodes 30 --out data/generalist/mw-assembly
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/basketball-v3 --episodes 30 --out data/generalist/mw-basketball
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/bin-picking-v3 --episodes 30 --out data/generalist/mw-bin-picking
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/box-close-v3 --episodes 30 --out data/generalist/mw-box-close
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/button-press-topdown-v3 --episodes 30 --out data/generalist/mw-button-press-topdown
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/button-press-topdown-wall-v3 --episodes 30 --out data/generalist/mw-button-press-topdown-wall
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/button-press-v3 --episodes 30 --out data/generalist/mw-button-press
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/button-press-wall-v3 --episodes 30 --out data/generalist/mw-button-press-wall
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/coffee-button-v3 --episodes 30 --out data/generalist/mw-coffee-button
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/coffee-pull-v3 --episodes 30 --out data/generalist/mw-coffee-pull
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/coffee-push-v3 --episodes 30 --out data/generalist/mw-coffee-push
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/dial-turn-v3 --episodes 30 --out data/generalist/mw-dial-turn
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/disassemble-v3 --episodes 30 --out data/generalist/mw-disassemble
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/door-close-v3 --episodes 30 --out data/generalist/mw-door-close
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/door-lock-v3 --episodes 30 --out data/generalist/mw-door-lock
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/door-open-v3 --episodes 30 --out data/generalist/mw-door-open
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/door-unlock-v3 --episodes 30 --out data/generalist/mw-door-unlock
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/hand-insert-v3 --episodes 30 --out data/generalist/mw-hand-insert
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/drawer-close-v3 --episodes 30 --out data/generalist/mw-drawer-close
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/drawer-open-v3 --episodes 30 --out data/generalist/mw-drawer-open
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/faucet-open-v3 --episodes 30 --out data/generalist/mw-faucet-open
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/faucet-close-v3 --episodes 30 --out data/generalist/mw-faucet-close
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/hammer-v3 --episodes 30 --out data/generalist/mw-hammer
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/handle-press-side-v3 --episodes 30 --out data/generalist/mw-handle-press-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/handle-press-v3 --episodes 30 --out data/generalist/mw-handle-press
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/handle-pull-side-v3 --episodes 30 --out data/generalist/mw-handle-pull-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/handle-pull-v3 --episodes 30 --out data/generalist/mw-handle-pull
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/lever-pull-v3 --episodes 30 --out data/generalist/mw-lever-pull
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/pick-place-wall-v3 --episodes 30 --out data/generalist/mw-pick-place-wall
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/pick-out-of-hole-v3 --episodes 30 --out data/generalist/mw-pick-out-of-hole
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/pick-place-v3 --episodes 30 --out data/generalist/mw-pick-place
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/plate-slide-v3 --episodes 30 --out data/generalist/mw-plate-slide
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/plate-slide-side-v3 --episodes 30 --out data/generalist/mw-plate-slide-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/plate-slide-back-v3 --episodes 30 --out data/generalist/mw-plate-slide-back
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/plate-slide-back-side-v3 --episodes 30 --out data/generalist/mw-plate-slide-back-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/peg-insert-side-v3 --episodes 30 --out data/generalist/mw-peg-insert-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/peg-unplug-side-v3 --episodes 30 --out data/generalist/mw-peg-unplug-side
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/soccer-v3 --episodes 30 --out data/generalist/mw-soccer
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/stick-push-v3 --episodes 30 --out data/generalist/mw-stick-push
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/stick-pull-v3 --episodes 30 --out data/generalist/mw-stick-pull
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/push-v3 --episodes 30 --out data/generalist/mw-push
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/push-wall-v3 --episodes 30 --out data/generalist/mw-push-wall
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/push-back-v3 --episodes 30 --out data/generalist/mw-push-back
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/reach-v3 --episodes 30 --out data/generalist/mw-reach
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/reach-wall-v3 --episodes 30 --out data/generalist/mw-reach-wall
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/shelf-place-v3 --episodes 30 --out data/generalist/mw-shelf-place
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/sweep-into-v3 --episodes 30 --out data/generalist/mw-sweep-into
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/sweep-v3 --episodes 30 --out data/generalist/mw-sweep
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/window-open-v3 --episodes 30 --out data/generalist/mw-window-open
collect --seed 0 --action-noise 0.1 \
    --env Meta-World/window-close-v3 --episodes 30 --out data/generalist/mw-window-close
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env Swimmer-v5 --episodes 20 --out data/generalist/swimmer
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env Pusher-v5 --episodes 200 --out data/generalist/pusher
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env Ant-v5 --episodes 40 --out data/generalist/ant
collect --seed 0 --min-return-fraction 0.5 --action-noise 0.05 \
    --env Walker2d-v5 --episodes 40 --out data/generalist/walker2d
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToRedBallGrey-v0 --episodes 3000 --out data/generalist/gotoredballgrey-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToRedBallNoDists-v0 --episodes 3000 --out data/generalist/gotoredballnodists-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToObj-v0 --episodes 3000 --out data/generalist/gotoobj-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToObjDoor-v0 --episodes 3000 --out data/generalist/gotoobjdoor-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToRedBlueBall-v0 --episodes 3000 --out data/generalist/gotoredblueball-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToDoor-v0 --episodes 3000 --out data/generalist/gotodoor-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-OpenRedDoor-v0 --episodes 3000 --out data/generalist/openreddoor-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-OneRoomS8-v0 --episodes 3000 --out data/generalist/onerooms8-v0
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.05 \
    --env ALE/Boxing-v5 --episodes 12 --out data/generalist/boxing
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.05 \
    --env ALE/Freeway-v5 --episodes 8 --out data/generalist/freeway
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.05 \
    --env ALE/Bowling-v5 --episodes 16 --out data/generalist/bowling
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/generalist/inverteddoublependulum-dagger
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert \
    --env Hopper-v5 --episodes 20 --out data/generalist/hopper-dagger
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/generalist/halfcheetah-dagger
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert \
    --env BabyAI-GoToLocal-v0 --episodes 500 --out data/generalist/gotolocal-v0-dagger
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert --max-episode-steps 2000 \
    --env ALE/Breakout-v5 --episodes 8 --out data/generalist/breakout-dagger
collect --seed 7000 --policy checkpoint:runs/atari-trunks/step-0000300 --label expert --max-episode-steps 2000 \
    --env ALE/Pong-v5 --episodes 4 --out data/generalist/pong-dagger
train experiments/generalist.json --threads 2

# Its evaluation, greedy and prompted, in two processes (the Atari games were stopped, see the diary):
RUN=runs/generalist
CKPT=$RUN/step-0001000
evaluate() {  # evaluate OUT GATO-EVAL ARGS
  local out=$1
  shift
  [ -e "$out/results.json" ] && return 0
  "$BIN/gato-eval" "$@" --num-envs 50 --no-video --no-progress --out "$out"
}
evaluate $RUN/eval-babyai --checkpoint $CKPT --episodes 100 --env BabyAI-GoToRedBall-v0 --env BabyAI-GoToLocal-v0 \
    --env BabyAI-GoToRedBallGrey-v0 --env BabyAI-GoToRedBallNoDists-v0 --env BabyAI-GoToObj-v0 --env BabyAI-GoToObjDoor-v0 \
    --env BabyAI-GoToRedBlueBall-v0 --env BabyAI-GoToDoor-v0 --env BabyAI-OpenRedDoor-v0 --env BabyAI-OneRoomS8-v0 &
evaluate $RUN/eval-mujoco --checkpoint $CKPT --episodes 50 --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5 \
    --env Reacher-v5 --env Hopper-v5 --env HalfCheetah-v5 --env Walker2d-v5 --env Ant-v5 --env Swimmer-v5 --env Pusher-v5
evaluate $RUN/eval-metaworld --checkpoint $CKPT --episodes 10 --suite metaworld
wait
"$BIN/python" -m rollouts.report $RUN/eval-mujoco/results.json $RUN/eval-babyai/results.json \
    $RUN/eval-metaworld/results.json | tee $RUN/table.md
