#!/usr/bin/env bash
# Stage 7 (in progress, issue 13): Atari from 4 stacked grayscale frames. Continues from the
# embedded checkpoint's weights (its transformer; the patch block restarts, its input being 4
# channels now). Each step resumes or skips what a previous run finished. From the repository
# root, after .ci/setup:
#   bash recipes/atari.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1  # one thread per process: this stage runs beside other work (DESIGN: 2 cores)

# 1. Demonstrations, about 250k steps a game, 5% random actions executed (DART). Pong: 5% random
#    actions cost its demonstrator 9 points (15.6 -> 6.6), so the paper's 80% filter drops two
#    episodes of three; half the demonstrator's margin over random keeps the games it wins or nearly.
#    Held-out episodes (other seeds, no noise) measure agreement (benchmarks/agreement.py).
collect() { "$BIN/gato-collect" --no-progress "$@"; }
collect --seed 0 --action-noise 0.05 --min-return-fraction 0.8 --env ALE/Breakout-v5 --episodes 110 --out data/atari/breakout
collect --seed 0 --action-noise 0.05 --min-return-fraction 0.5 --env ALE/Pong-v5 --episodes 20 --out data/atari/pong
collect --seed 10000 --env ALE/Breakout-v5 --episodes 4 --out data/atari/breakout-heldout
collect --seed 10000 --env ALE/Pong-v5 --episodes 3 --out data/atari/pong-heldout

# 2. Behaviour cloning on both games (recipes/atari-stack.json), resuming its run if one was started.
resume=()
[ -e runs/atari-stack/latest ] && resume=(--resume)
"$BIN/gato-train" --recipe recipes/atari-stack.json --threads 1 --no-progress "${resume[@]}"
