#!/usr/bin/env bash
# The generalist, a fourth DAgger round (issue 36; experiments/diary.md, "A third DAgger round"):
# the soup of the second and third rounds' weights (experiments/generalist-soup.sh) plays what the
# third round played, with the same counts (every Meta-World task 8 episodes to 200 steps after
# success; Hopper, the double pendulum, HalfCheetah and Ant; Breakout's waiting states; the three
# BabyAI levels under 0.6 of their demonstrator) and 4 Pong games, from seed 6000, labelled by the
# demonstrators; then 1000 steps from the soup on everything: every Meta-World task weighted 2 in
# all (its demonstrations 1, its DAgger sets 1 between them), each other task's new set at its
# third-round set's weight, and that set halved (each family's share of the windows about as in the
# third round).
# From the repository root; a rerun resumes (gato-collect and gato-train both pick up where they
# stopped):
#   bash experiments/generalist7.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
POLICY=checkpoint:runs/generalist-soup56/checkpoint
collect() {  # collect ENV EPISODES OUT [ARGS]
  local env=$1 episodes=$2 out=$3
  shift 3
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 6000 --policy $POLICY --label expert --env "$env" \
      --episodes "$episodes" --out "$out" "$@"
}
MW=$("$BIN/gato-eval" --suite metaworld --list)
mw() {  # mw FIRST LAST: the Meta-World tasks FIRST..LAST of the suite (1-based)
  for id in $(echo $MW | cut -d' ' -f"$1-$2"); do
    task=${id#Meta-World/}
    collect "$id" 8 "data/generalist6/mw-${task%-v3}-dagger" --steps-after-success 200
  done
}
mw 1 25 &  # two processes on one thread each
for spec in "Hopper-v5 20 hopper" "InvertedDoublePendulum-v5 20 inverteddoublependulum" "HalfCheetah-v5 8 halfcheetah" \
    "Ant-v5 10 ant"; do
  set -- $spec
  collect "$1" "$2" "data/generalist6/$3-dagger"
done
collect ALE/Breakout-v5 12 data/generalist6/breakout-dagger --max-episode-steps 3000
collect BabyAI-GoToLocal-v0 500 data/generalist6/gotolocal-v0-dagger
collect BabyAI-GoToObjDoor-v0 300 data/generalist6/gotoobjdoor-v0-dagger
collect BabyAI-OpenRedDoor-v0 300 data/generalist6/openreddoor-v0-dagger
collect ALE/Pong-v5 4 data/generalist6/pong-dagger --max-episode-steps 2000
mw 26 50
wait
bash experiments/generalist-run.sh experiments/generalist7.json 1000
