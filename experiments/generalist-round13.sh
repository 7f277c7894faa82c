#!/usr/bin/env bash
# The thirteenth DAgger round (issue 36; experiments/diary.md, "The thirteenth DAgger round"): the
# build's next round, run and not shipped. Round 12's committed weights (stage 15.19 of
# recipes/generalist.sh) play every one of the 74 tasks from seed 20000 with 15.17's counts,
# labelled by the demonstrators, into data/generalist-r13; then 750 steps from those weights
# (experiments/generalist-round13.json: round 12's recipe one round on, the round-13 and round-12
# sets split 2:1, Pong's three sets a fifth of the samples, seed 47), in bf16; then scored as stage
# 16 scores (experiments/generalist-eval.sh), with Pong's 60 games (seeds 0-59); and the mean of
# rounds 12 and 13's bf16 weights, scored the same way and on stage 16's sample of 20 tasks from
# seed 100. From the repository root; a rerun resumes
# or skips what a previous run finished:
#   bash experiments/generalist-round13.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1  # collection and evaluation: one thread a process
collect() { "$BIN/gato-collect" --no-progress --seed 20000 --policy checkpoint:recipes/weights/generalist-round12 --label expert "$@"; }
eval "$(sed -n '/^MW_TASKS="/,/"$/p' recipes/generalist.sh)"  # the build's 50 Meta-World tasks
for task in $MW_TASKS; do
    collect --num-envs 10 --steps-after-success 200 \
        --env Meta-World/$task-v3 --episodes 10 --out data/generalist-r13/mw-$task-dagger
done
collect --num-envs 10 --env InvertedPendulum-v5 --episodes 20 --out data/generalist-r13/invertedpendulum-dagger
collect --num-envs 10 --env InvertedDoublePendulum-v5 --episodes 60 --out data/generalist-r13/inverteddoublependulum-dagger
collect --num-envs 50 --env Reacher-v5 --episodes 100 --out data/generalist-r13/reacher-dagger
collect --num-envs 10 --env Hopper-v5 --episodes 60 --out data/generalist-r13/hopper-dagger
collect --num-envs 8 --env HalfCheetah-v5 --episodes 8 --out data/generalist-r13/halfcheetah-dagger
collect --num-envs 10 --env Walker2d-v5 --episodes 60 --out data/generalist-r13/walker2d-dagger
collect --num-envs 10 --env Ant-v5 --episodes 10 --out data/generalist-r13/ant-dagger
collect --num-envs 8 --env Swimmer-v5 --episodes 8 --out data/generalist-r13/swimmer-dagger
collect --num-envs 50 --env Pusher-v5 --episodes 50 --out data/generalist-r13/pusher-dagger
collect --num-envs 50 --env BabyAI-GoToRedBall-v0 --episodes 300 --out data/generalist-r13/gotoredball-v0-dagger
collect --num-envs 50 --env BabyAI-GoToLocal-v0 --episodes 500 --out data/generalist-r13/gotolocal-v0-dagger
collect --num-envs 50 --env BabyAI-GoToRedBallGrey-v0 --episodes 300 --out data/generalist-r13/gotoredballgrey-v0-dagger
collect --num-envs 50 --env BabyAI-GoToRedBallNoDists-v0 --episodes 300 --out data/generalist-r13/gotoredballnodists-v0-dagger
collect --num-envs 50 --env BabyAI-GoToObj-v0 --episodes 300 --out data/generalist-r13/gotoobj-v0-dagger
collect --num-envs 50 --env BabyAI-GoToObjDoor-v0 --episodes 300 --out data/generalist-r13/gotoobjdoor-v0-dagger
collect --num-envs 50 --env BabyAI-GoToRedBlueBall-v0 --episodes 300 --out data/generalist-r13/gotoredblueball-v0-dagger
collect --num-envs 50 --env BabyAI-GoToDoor-v0 --episodes 300 --out data/generalist-r13/gotodoor-v0-dagger
collect --num-envs 50 --env BabyAI-OpenRedDoor-v0 --episodes 300 --out data/generalist-r13/openreddoor-v0-dagger
collect --num-envs 50 --env BabyAI-OneRoomS8-v0 --episodes 300 --out data/generalist-r13/onerooms8-v0-dagger
collect --num-envs 12 --max-episode-steps 3000 --env ALE/Breakout-v5 --episodes 24 --out data/generalist-r13/breakout-dagger
collect --num-envs 12 --max-episode-steps 2000 --env ALE/Pong-v5 --episodes 24 --out data/generalist-r13/pong-dagger
collect --num-envs 4 --max-episode-steps 3000 --env ALE/Boxing-v5 --episodes 4 --out data/generalist-r13/boxing-dagger
collect --num-envs 4 --max-episode-steps 3000 --env ALE/Freeway-v5 --episodes 4 --out data/generalist-r13/freeway-dagger
collect --num-envs 4 --max-episode-steps 3000 --env ALE/Bowling-v5 --episodes 4 --out data/generalist-r13/bowling-dagger
RUN=runs/generalist-round13
resume=()
[ -e $RUN/latest ] && resume=(--resume)
[ -e $RUN/step-0000750 ] || OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe experiments/generalist-round13.json --threads 2 \
    --no-progress "${resume[@]}"
[ -e $RUN/bf16/model.safetensors ] || "$BIN/python" -m gato_agent.surgery bf16 $RUN/step-0000750 $RUN/bf16
pong60() {  # pong60 CHECKPOINT OUT: Pong's 60 greedy games, seeds 0-59, in two processes
  "$BIN/gato-eval" --checkpoint "$1" --env ALE/Pong-v5 --episodes 30 --num-envs 15 --seed 0 --no-video --no-progress --out "$2/pong60-a" &
  "$BIN/gato-eval" --checkpoint "$1" --env ALE/Pong-v5 --episodes 30 --num-envs 15 --seed 30 --no-video --no-progress --out "$2/pong60-b"
  wait
}
pong60 $RUN/bf16 runs/generalist-r13-eval
bash experiments/generalist-eval.sh $RUN/bf16 runs/generalist-r13-eval
SOUP=runs/soup-r12-r13
"$BIN/python" -m rollouts.soup $RUN/bf16 recipes/weights/generalist-round12 --weight 0.5 0.5 --out $SOUP/fp32
"$BIN/python" -m gato_agent.surgery bf16 $SOUP/fp32 $SOUP/bf16
pong60 $SOUP/bf16 $SOUP
bash experiments/generalist-eval.sh $SOUP/bf16 $SOUP
sample100() {  # sample100 FAMILY GATO-EVAL ARGS: stage 16's seed-100 sample of the soup, one family
  local out=$SOUP/seed100-$1
  shift
  [ -e "$out/results.json" ] || "$BIN/gato-eval" --checkpoint $SOUP/bf16 --seed 100 "$@" --no-video --no-progress --out "$out"
}
sample100 mujoco --episodes 20 --num-envs 20 --env HalfCheetah-v5 --env Walker2d-v5 --env Ant-v5 --env Swimmer-v5 --env Pusher-v5
sample100 babyai --episodes 50 --num-envs 50 --env BabyAI-GoToLocal-v0 --env BabyAI-GoToDoor-v0 --env BabyAI-OpenRedDoor-v0
sample100 atari --episodes 10 --num-envs 10 --env ALE/Breakout-v5 --env ALE/Boxing-v5
sample100 metaworld --episodes 10 --num-envs 10 --env Meta-World/assembly-v3 --env Meta-World/button-press-topdown-wall-v3 \
    --env Meta-World/coffee-push-v3 --env Meta-World/door-open-v3 --env Meta-World/faucet-open-v3 \
    --env Meta-World/handle-pull-side-v3 --env Meta-World/pick-place-v3 --env Meta-World/peg-insert-side-v3 \
    --env Meta-World/push-v3 --env Meta-World/shelf-place-v3
"$BIN/python" -m rollouts.report $SOUP/seed100-{atari,mujoco,babyai,metaworld}/results.json | tee $SOUP/table-seed100.md
