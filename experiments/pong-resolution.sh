#!/usr/bin/env bash
# Pong's resolution (issue 36: "at 80x64 the ball is about one pixel; measure resolution first by
# agreement where the demonstrator's label changes"): the Nature CNN trained as a classifier of
# Pong's demonstrator on the same datasets at the shipped checkpoint's 80x64 and at 160x128 (4
# grayscale frames stacked, as the shipped Pong trunk reads them), side by side on one thread each,
# scored on held-out episodes every 5 minutes. Figures: experiments/diary.md, "Pong's resolution".
# From the repository root, after .ci/setup:
#   bash experiments/pong-resolution.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1
"$BIN/gato-collect" --no-progress --seed 10000 --env ALE/Pong-v5 --episodes 3 --out data/generalist-heldout/pong
mkdir -p runs/pong-resolution
for size in "80 64" "160 128"; do
  set -- $size
  "$BIN/python" -m rollouts.pretrain_encoder --dataset data/default/pong --dataset data/generalist/pong-dagger \
      --heldout data/generalist-heldout/pong --image-height "$1" --image-width "$2" --minutes "${MINUTES:-25}" \
      --eval-every 5 --threads 1 > "runs/pong-resolution/$1x$2.md" &
done
wait
tail -n +1 runs/pong-resolution/*.md
