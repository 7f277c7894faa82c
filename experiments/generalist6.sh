#!/usr/bin/env bash
# The generalist, a third DAgger round (issue 36; experiments/diary.md, "A second DAgger round,
# on Meta-World too"): the second round's weights (experiments/generalist5.sh, step 1000)
# play every Meta-World task (8 episodes each, to 200 steps after success: the second round gave
# the long tail to 29 tasks and the other 21 lost return after their success) and the locomotion
# tasks but Walker2d, and Breakout (where the second round's model waits without pressing FIRE
# in 8 of 10 games), and the three BabyAI levels under 0.6 of their demonstrator (GoToLocal fell
# from 0.64 to 0.57 in the second round), from seed 5000, labelled by the demonstrators; then 1000
# more steps on everything, every Meta-World task weighted 2 in all (its demonstrations 1, its DAgger
# rounds 1), BabyAI and Atari x1.2 (their share of the windows as in the second round), the BabyAI
# DAgger sets on top (BabyAI 9.7% of the windows).
# From the repository root; a rerun resumes (gato-collect and gato-train both pick up where they
# stopped):
#   bash experiments/generalist6.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
POLICY=checkpoint:runs/generalist5/step-0001000
collect() {  # collect ENV EPISODES OUT [ARGS]
  local env=$1 episodes=$2 out=$3
  shift 3
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 5000 --policy $POLICY --label expert --env "$env" \
      --episodes "$episodes" --out "$out" "$@"
}
MW=$("$BIN/gato-eval" --suite metaworld --list)
mw() {  # mw FIRST LAST: the Meta-World tasks FIRST..LAST of the suite (1-based)
  for id in $(echo $MW | cut -d' ' -f"$1-$2"); do
    task=${id#Meta-World/}
    collect "$id" 8 "data/generalist5/mw-${task%-v3}-dagger" --steps-after-success 200
  done
}
mw 1 25 &  # two processes on one thread each
for spec in "Hopper-v5 20 hopper" "InvertedDoublePendulum-v5 20 inverteddoublependulum" "HalfCheetah-v5 8 halfcheetah" \
    "Ant-v5 10 ant"; do
  set -- $spec
  collect "$1" "$2" "data/generalist5/$3-dagger"
done
collect ALE/Breakout-v5 12 data/generalist5/breakout-dagger --max-episode-steps 3000
collect BabyAI-GoToLocal-v0 500 data/generalist5/gotolocal-v0-dagger
collect BabyAI-GoToObjDoor-v0 300 data/generalist5/gotoobjdoor-v0-dagger
collect BabyAI-OpenRedDoor-v0 300 data/generalist5/openreddoor-v0-dagger
mw 26 50
wait
bash experiments/generalist-run.sh experiments/generalist6.json 1000
