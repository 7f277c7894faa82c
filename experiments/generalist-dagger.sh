#!/usr/bin/env bash
# One DAgger round's collection for the generalist of issue 36 (experiments/generalist6.sh and its
# successors): POLICY plays, from SEED, labelled by the demonstrators, into OUT/<task>-dagger:
# every Meta-World task 8 episodes to 200 steps after success (experiments/diary.md, "A second
# DAgger round": the tail keeps the return after success), Hopper 20, the double pendulum 20,
# HalfCheetah 8, Ant 10, 12 Breakout games capped at 3000 steps (the waiting states get FIRE
# labels), and the three BabyAI levels under 0.6 of their demonstrator in the second round
# (GoToLocal 500, GoToObjDoor 300, OpenRedDoor 300). Two processes on one thread each; a rerun
# resumes. From the repository root:
#   bash experiments/generalist-dagger.sh POLICY SEED OUT
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
POLICY=$1
SEED=$2
OUT=$3
collect() {  # collect ENV EPISODES DATASET [ARGS]
  local env=$1 episodes=$2 dataset=$3
  shift 3
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed "$SEED" --policy "$POLICY" --label expert --env "$env" \
      --episodes "$episodes" --out "$OUT/$dataset-dagger" "$@"
}
MW=$("$BIN/gato-eval" --suite metaworld --list)
mw() {  # mw FIRST LAST: the Meta-World tasks FIRST..LAST of the suite (1-based)
  for id in $(echo $MW | cut -d' ' -f"$1-$2"); do
    task=${id#Meta-World/}
    collect "$id" 8 "mw-${task%-v3}" --steps-after-success 200
  done
}
mw 1 25 &
for spec in "Hopper-v5 20 hopper" "InvertedDoublePendulum-v5 20 inverteddoublependulum" "HalfCheetah-v5 8 halfcheetah" \
    "Ant-v5 10 ant" "BabyAI-GoToLocal-v0 500 gotolocal-v0" "BabyAI-GoToObjDoor-v0 300 gotoobjdoor-v0" \
    "BabyAI-OpenRedDoor-v0 300 openreddoor-v0"; do
  set -- $spec
  collect "$1" "$2" "$3"
done
collect ALE/Breakout-v5 12 breakout --max-episode-steps 3000
mw 26 50
wait
