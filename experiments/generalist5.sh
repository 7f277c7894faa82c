#!/usr/bin/env bash
# The generalist, a second DAgger round (issue 36; experiments/diary.md, "A second DAgger round,
# on Meta-World too"): the DAgger round's weights (experiments/generalist4.sh, step 700)
# play the 29 Meta-World tasks under 0.6 of their demonstrator (12 episodes each, to 200 steps
# after success, so that holding a task done is in the data) and the locomotion tasks (Walker2d
# 150 episodes: it falls within about 25 steps), from seed 4000, labelled by the demonstrators;
# then 1000 more steps on everything (BabyAI's and Atari's weights x1.4, to keep their share of
# the windows). From the repository root; a rerun resumes (gato-collect and gato-train both pick
# up where they stopped):
#   bash experiments/generalist5.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
POLICY=checkpoint:runs/generalist4/step-0000700
collect() {  # collect ENV EPISODES OUT [ARGS]
  local env=$1 episodes=$2 out=$3
  shift 3
  OMP_NUM_THREADS=1 "$BIN/gato-collect" --no-progress --seed 4000 --policy $POLICY --label expert --env "$env" \
      --episodes "$episodes" --out "$out" "$@"
}
MW="assembly basketball bin-picking box-close coffee-button coffee-pull dial-turn disassemble door-close door-lock hand-insert
    hammer handle-pull-side handle-pull lever-pull pick-place-wall pick-out-of-hole pick-place peg-insert-side peg-unplug-side
    soccer stick-pull push push-wall reach reach-wall shelf-place sweep-into sweep"
mw() {  # mw FIRST LAST: the Meta-World tasks FIRST..LAST of $MW (1-based)
  for task in $(echo $MW | cut -d' ' -f"$1-$2"); do
    collect "Meta-World/$task-v3" 12 "data/generalist4/mw-$task-dagger" --steps-after-success 200
  done
}
mw 1 18 &  # two processes on one thread each: the Meta-World tasks take about 80 s each
for spec in "Walker2d-v5 150 walker2d" "Ant-v5 20 ant" "Hopper-v5 20 hopper" "InvertedDoublePendulum-v5 20 inverteddoublependulum" \
    "HalfCheetah-v5 8 halfcheetah"; do
  set -- $spec
  collect "$1" "$2" "data/generalist4/$3-dagger"
done
mw 19 29
wait
bash experiments/generalist-run.sh experiments/generalist5.json 1000
