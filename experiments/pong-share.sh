#!/usr/bin/env bash
# Does Pong's share of a round's samples move greedy Pong? (issue 36; experiments/diary.md, "Pong's
# share"). Round 11's recipe cut to its three Pong sets (the demonstrations and the round-10 and
# round-11 DAgger sets, at their weights), 150 steps from round 11's committed weights: 2,400
# Pong sequences, where round 11's 600 steps drew about 290. Then 30 greedy Pong games (seeds 0-29,
# the first half of the issue's 60) in two processes of one thread. Needs the data of stage 15.18
# (recipes/generalist.sh). From the repository root:
#   bash experiments/pong-share.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/pong-share
mkdir -p $OUT
python3 - $OUT <<'EOF'
import json, sys
out = sys.argv[1]
recipe = json.load(open("recipes/generalist-round11.json"))
pong = [(d, w) for d, w in zip(recipe["dataset"], recipe["weight"]) if d.endswith(("/pong", "/pong-dagger"))]
recipe["dataset"], recipe["weight"] = [d for d, _ in pong], [w for _, w in pong]
for key in ("task_prompt_prob", "task_context_steps", "task_history_noise"):
    recipe[key] = {task: v for task, v in recipe[key].items() if task == "ALE/Pong-v5"}
recipe.update(init="recipes/weights/generalist-round11", out=f"{out}/run", steps=150, checkpoint_every=50)
json.dump(recipe, open(f"{out}/recipe.json", "w"), indent=2)
EOF
resume=()
[ -e $OUT/run/latest ] && resume=(--resume)
OMP_NUM_THREADS=2 .venv/bin/gato-train --recipe $OUT/recipe.json --no-progress --threads 2 "${resume[@]}"
export OMP_NUM_THREADS=1
score() { .venv/bin/gato-eval --checkpoint $OUT/run/step-0000150 --env ALE/Pong-v5 --no-video --no-progress "$@"; }
score --episodes 15 --num-envs 15 --seed 0 --out $OUT/pong-a &
score --episodes 15 --num-envs 15 --seed 15 --out $OUT/pong-b
wait
python3 - $OUT <<'EOF'
import json, statistics, sys
returns = [r for half in "ab" for r in json.load(open(f"{sys.argv[1]}/pong-{half}/results.json"))["tasks"][0]["returns"]]
print(f"{len(returns)} games: mean {statistics.mean(returns):.2f}, standard error "
      f"{statistics.stdev(returns) / len(returns) ** 0.5:.2f}, {sum(r > 0 for r in returns)} won")
EOF
