#!/usr/bin/env bash
# The build of the embedded checkpoint (gato_agent/assets/default): every stage of its lineage, in
# order, from the demonstrators' datasets to the shipped folder and its provenance.json. Stages 1-14
# make the nine-task checkpoint (recipes/weights/atari-trunks); recipes/generalist.sh, stages 15-16,
# makes the generalist of issue 36 from it and ships it. Every recipes/*.json is one gato-train
# stage of the two scripts; recipes/weights/ holds the weights
# of the stages committed so that a fresh machine need not rerun what made them (each is written
# where it is missing). A rerun resumes or skips what a previous run finished. What each stage scored and why it
# is there: docs/default-checkpoint.md; the experiments that did not lead here: experiments/.
# From the repository root, after .ci/setup:
#   bash recipes/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export OMP_NUM_THREADS=1  # collection and evaluation: one thread per process (benchmarks/README.md, "Acting")

# The build's verbs (tests/test_build.py reads this script through them: keep to these).
collect() { "$BIN/gato-collect" --no-progress "$@"; }  # collect ARGS: resumes a dataset it started
train() {  # train RECIPE [GATO-TRAIN OPTIONS]: the recipe's run, resumed if one was started
  local recipe=$1 out
  shift
  out=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["out"])' "$recipe")
  local resume=()
  [ -e "$out/latest" ] && resume=(--resume)
  OMP_NUM_THREADS=2 "$BIN/gato-train" --recipe "$recipe" --no-progress "${resume[@]}" "$@"
}
surgery() { "$BIN/python" -m gato_agent.surgery "$@"; }  # bf16, export-encoder, import-encoder, add-trunk
pretrain() { "$BIN/python" -m rollouts.pretrain_encoder "$@"; }  # the Nature CNN as a classifier
soup() { "$BIN/python" -m rollouts.soup "$@"; }  # the mean of checkpoints' weights

# 1. Demonstrator datasets. Exploration noise is executed while the clean action is recorded
#    (DART); episodes below 80% of the demonstrator's score are dropped (as in the paper [3.1]).
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.05 \
    --env ALE/Breakout-v5 --episodes 20 --out data/default/breakout
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.05 \
    --env ALE/Pong-v5 --episodes 12 --out data/default/pong
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env InvertedPendulum-v5 --episodes 30 --out data/default/invertedpendulum
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env Reacher-v5 --episodes 400 --out data/default/reacher
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env Hopper-v5 --episodes 50 --out data/default/hopper
collect --seed 0 --min-return-fraction 0.8 --action-noise 0.1 \
    --env HalfCheetah-v5 --episodes 50 --out data/default/halfcheetah

# 2. Behaviour cloning on all seven tasks (tiny, context 256, 3000 steps).
train recipes/default.json --threads 2

# 3. Four rounds of DAgger where the model falls short (its own episodes, labelled by the
#    demonstrator, no return filter) and fine-tuning on everything so far, MuJoCo weighted up.
#    Rounds 1-3 trained with the labels as the action history ("executed_actions": false); round 4
#    reads the actions that were executed (DART's noisy ones, the model's own in DAgger).
collect --seed 1000 --policy checkpoint:runs/default/step-0003000 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum-dagger1
collect --seed 1000 --policy checkpoint:runs/default/step-0003000 --label expert \
    --env Hopper-v5 --episodes 20 --out data/default/hopper-dagger1
collect --seed 1000 --policy checkpoint:runs/default/step-0003000 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/default/halfcheetah-dagger1
train recipes/default-finetune.json --threads 2
collect --seed 2000 --policy checkpoint:runs/default-finetune/step-0002400 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum-dagger2
collect --seed 2000 --policy checkpoint:runs/default-finetune/step-0002400 --label expert \
    --env Hopper-v5 --episodes 20 --out data/default/hopper-dagger2
collect --seed 2000 --policy checkpoint:runs/default-finetune/step-0002400 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/default/halfcheetah-dagger2
train recipes/default-finetune2.json --threads 2
collect --seed 3000 --policy checkpoint:runs/default-finetune2/step-0003500 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum-dagger3
collect --seed 3000 --policy checkpoint:runs/default-finetune2/step-0003500 --label expert \
    --env Hopper-v5 --episodes 20 --out data/default/hopper-dagger3
collect --seed 3000 --policy checkpoint:runs/default-finetune2/step-0003500 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/default/halfcheetah-dagger3
train recipes/default-finetune3.json --threads 2
collect --seed 4000 --policy checkpoint:runs/default-finetune3/step-0001500 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum-dagger4
collect --seed 4000 --policy checkpoint:runs/default-finetune3/step-0001500 --label expert \
    --env Hopper-v5 --episodes 20 --out data/default/hopper-dagger4
collect --seed 4000 --policy checkpoint:runs/default-finetune3/step-0001500 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/default/halfcheetah-dagger4
train recipes/default-finetune4.json --threads 2

# 4. BabyAI (issue 17): the bot's demonstrations on the suite's two levels (10% random actions
#    executed, every episode kept), a fifth MuJoCo DAgger round, fine-tuning at context 512 on
#    everything; a BabyAI DAgger round and a BabyAI-weighted stage. (default-babyai{,2} were first
#    made with three tokens a grid cell; the BabyAI family now declares one token a cell, and a rerun
#    trains them on that.)
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToRedBall-v0 --episodes 10000 --out data/default/gotoredball-v0
collect --seed 0 --policy expert --action-noise 0.1 \
    --env BabyAI-GoToLocal-v0 --episodes 10000 --out data/default/gotolocal-v0
collect --seed 5000 --policy checkpoint:runs/default-finetune4/step-0001500 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 30 --out data/default/inverteddoublependulum-dagger5
collect --seed 5000 --policy checkpoint:runs/default-finetune4/step-0001500 --label expert \
    --env Hopper-v5 --episodes 20 --out data/default/hopper-dagger5
collect --seed 5000 --policy checkpoint:runs/default-finetune4/step-0001500 --label expert \
    --env HalfCheetah-v5 --episodes 8 --out data/default/halfcheetah-dagger5
train recipes/default-babyai.json --threads 2
collect --seed 20000 --policy checkpoint:runs/default-babyai/step-0001200 --label expert \
    --env BabyAI-GoToLocal-v0 --episodes 500 --out data/default/gotolocal-v0-dagger1
collect --seed 20000 --policy checkpoint:runs/default-babyai/step-0001200 --label expert \
    --env BabyAI-GoToRedBall-v0 --episodes 500 --out data/default/gotoredball-v0-dagger1
train recipes/default-babyai2.json --threads 2

# 5. One token a grid cell (docs/design.md, "One token a cell"): 1200 steps on the demonstrations
#    (default-babyai3), then 300 with Hopper weighted up (default-babyai4). A second BabyAI DAgger
#    round; a BabyAI-weighted stage stopped at step 1000, 300 steps with the double pendulum weighted
#    up, and the mean of that stage's weights and default-babyai4's (a model soup).
train recipes/default-babyai3.json --threads 2
train recipes/default-babyai4.json --threads 2
collect --seed 20000 --policy checkpoint:runs/default-babyai4/step-0000300 --label expert \
    --env BabyAI-GoToLocal-v0 --episodes 500 --out data/default/gotolocal-v0-dagger2
collect --seed 20000 --policy checkpoint:runs/default-babyai4/step-0000300 --label expert \
    --env BabyAI-GoToRedBall-v0 --episodes 500 --out data/default/gotoredball-v0-dagger2
train recipes/default-babyai5.json --threads 2 --stop-after 1000
train recipes/default-babyai6.json --threads 2
[ -e runs/default-soup/checkpoint/config.json ] || soup runs/default-babyai6/step-0000300 \
    runs/default-babyai4/step-0000300 --weight 0.5 0.5 --out runs/default-soup/checkpoint

# 6. GoToLocal past 75%: a third DAgger round from the soup; 2000 steps with GoToLocal in 87.5% of
#    the windows (default-babyai8, default-babyai9); 300 with the control tasks trained back in; 800
#    with the double pendulum weighted up, a sixth DAgger round on it, and 600 steps on that round.
collect --seed 30000 --policy checkpoint:runs/default-soup/checkpoint --label expert \
    --env BabyAI-GoToLocal-v0 --episodes 1000 --out data/default/gotolocal-v0-dagger3
train recipes/default-babyai8.json --threads 2
train recipes/default-babyai9.json --threads 2 --stop-after 2000
train recipes/default-babyai10.json --threads 2 --stop-after 300
train recipes/default-babyai11.json --threads 2
collect --seed 6000 --policy checkpoint:runs/default-babyai11/step-0000800 --label expert \
    --env InvertedDoublePendulum-v5 --episodes 60 --out data/default/inverteddoublependulum-dagger6
train recipes/default-babyai12.json --threads 2

# 7. Atari from 4 stacked grayscale frames (issue 13): about 250k demonstration steps a game (5%
#    random actions executed; Pong keeps the games at half the demonstrator's margin over random),
#    held-out episodes (other seeds, no noise) for the encoder's pre-training.
collect --seed 0 --action-noise 0.05 --min-return-fraction 0.8 \
    --env ALE/Breakout-v5 --episodes 110 --out data/atari/breakout
collect --seed 0 --action-noise 0.05 --min-return-fraction 0.5 \
    --env ALE/Pong-v5 --episodes 20 --out data/atari/pong
collect --seed 10000 --env ALE/Breakout-v5 --episodes 4 --out data/atari/breakout-heldout
collect --seed 10000 --env ALE/Pong-v5 --episodes 3 --out data/atari/pong-heldout

# 8. Two DAgger rounds for FIRE, from a Gato that reads the stacked frames through its patches:
#    behaviour cloning from default-finetune4 (the checkpoint shipped when this stage ran), stopped
#    at step 2000 and committed in bf16 (recipes/weights/atari-stack-step2000: 108 minutes to
#    remake); 16 of its Breakout games labelled by the demonstrator; 2000 steps on them; then 24
#    noisy and 8 greedy games of that run's step 1600. These weights end here: only their DAgger
#    data go on.
if [ ! -e recipes/weights/atari-stack-step2000 ]; then
    train recipes/atari-stack.json --threads 1 --stop-after 2000
    surgery bf16 runs/atari-stack/step-0002000 recipes/weights/atari-stack-step2000
fi
collect --seed 30000 --policy checkpoint:recipes/weights/atari-stack-step2000 --label expert --action-noise 0.05 \
    --max-episode-steps 5000 --env ALE/Breakout-v5 --episodes 16 --out data/atari/breakout-dagger1
train recipes/atari-stack2.json --threads 1 --stop-after 2000
collect --seed 32000 --policy checkpoint:runs/atari-stack2/step-0001600 --label expert --action-noise 0.05 \
    --max-episode-steps 3000 --env ALE/Breakout-v5 --episodes 24 --out data/atari/breakout-dagger2
collect --seed 33000 --policy checkpoint:runs/atari-stack2/step-0001600 --label expert \
    --max-episode-steps 400 --env ALE/Breakout-v5 --episodes 8 --out data/atari/breakout-dagger2-greedy

# 9. One token per frame stack: the Nature CNN pre-trained as a Breakout classifier (20 minutes on
#    one thread), written as the image encoder of default-babyai12's weights, then every task trained
#    from there (default-cnn, stopped at step 700).
[ -e runs/cnn-init/config.json ] || pretrain --checkpoint runs/default-babyai12/step-0000600 \
    --dataset data/atari/breakout --dataset data/atari/breakout-dagger1 --dataset data/atari/breakout-dagger2 \
    --dataset data/atari/breakout-dagger2-greedy --heldout data/atari/breakout-heldout --frame-stack 4 \
    --image-channels 1 --minutes 20 --eval-every 4 --threads 1 --save-init runs/cnn-init
train recipes/default-cnn.json --threads 2 --stop-after 700

# 10. A DAgger round on default-cnn's own Breakout games, then its image encoder alone trained on
#     it (atari-encoder: every other weight and task stays step 700's). Trunk 0 of the shipped model.
collect --seed 40000 --policy checkpoint:runs/default-cnn/step-0000700 --label expert --max-episode-steps 3000 \
    --env ALE/Breakout-v5 --episodes 12 --out data/atari/breakout-dagger3-greedy
collect --seed 42000 --policy checkpoint:runs/default-cnn/step-0000700 --label expert --max-episode-steps 2000 \
    --env ALE/Breakout-v5 --episodes 16 --out data/atari/breakout-dagger3-greedy2
collect --seed 41000 --policy checkpoint:runs/default-cnn/step-0000700 --label expert --action-noise 0.05 \
    --max-episode-steps 3000 --env ALE/Breakout-v5 --episodes 12 --out data/atari/breakout-dagger3
train recipes/atari-encoder.json --threads 2

# 11. Pong's encoder: the Nature CNN as a classifier of both games (55 minutes on two threads),
#     committed in bf16 (recipes/weights/cnn2-encoder.safetensors) and written as the image encoder of
#     atari-encoder's weights; trained into the Gato alone (atari-encoder2); a DAgger round on its own
#     games and more training (atari-encoder3), whose encoder (committed in bf16) becomes trunk 1.
if [ ! -e recipes/weights/cnn2-encoder.safetensors ]; then
    [ -e runs/cnn2-init/config.json ] || OMP_NUM_THREADS=2 pretrain --checkpoint runs/atari-encoder/step-0000500 \
        --dataset data/atari/breakout --dataset data/atari/breakout-dagger3 --dataset data/atari/breakout-dagger3-greedy \
        --dataset data/atari/breakout-dagger3-greedy2 --dataset data/atari/pong --heldout data/atari/breakout-heldout \
        --heldout data/atari/pong-heldout --minutes 55 --eval-every 5 --threads 2 --save-init runs/cnn2-init
    surgery export-encoder runs/cnn2-init recipes/weights/cnn2-encoder.safetensors
fi
[ -e runs/cnn2-init/config.json ] || surgery import-encoder runs/atari-encoder/step-0000500 \
    recipes/weights/cnn2-encoder.safetensors runs/cnn2-init
train recipes/atari-encoder2.json --threads 2
collect --seed 60000 --policy checkpoint:runs/atari-encoder2/step-0000600 --label expert \
    --env ALE/Pong-v5 --episodes 10 --out data/atari/pong-dagger1-greedy
collect --seed 43000 --policy checkpoint:runs/atari-encoder2/step-0000600 --label expert --max-episode-steps 2000 \
    --env ALE/Breakout-v5 --episodes 16 --out data/atari/breakout-dagger4-greedy
collect --seed 44000 --policy checkpoint:runs/atari-encoder2/step-0000600 --label expert --max-episode-steps 2000 \
    --env ALE/Breakout-v5 --episodes 12 --out data/atari/breakout-dagger4-greedy2
train recipes/atari-encoder3.json --threads 2
[ -e recipes/weights/atari-encoder3-encoder.safetensors ] || surgery export-encoder runs/atari-encoder3/step-0000400 \
    recipes/weights/atari-encoder3-encoder.safetensors
collect --seed 45000 --policy checkpoint:runs/atari-encoder3/step-0000400 --label expert --max-episode-steps 1500 \
    --env ALE/Breakout-v5 --episodes 20 --out data/atari/breakout-dagger5-greedy

# 12. Two trunks: atari-encoder's Breakout trunk and atari-encoder3's beside it, the second's
#     projection starting at zero (runs/trunks-init plays exactly as atari-encoder), after one Pong
#     DAgger round of atari-encoder3's games; then the second trunk alone trained on both games.
[ -e runs/atari-encoder3-bf16/config.json ] || surgery import-encoder runs/atari-encoder/step-0000500 \
    recipes/weights/atari-encoder3-encoder.safetensors runs/atari-encoder3-bf16
collect --seed 61000 --policy checkpoint:runs/atari-encoder3-bf16 --label expert \
    --env ALE/Pong-v5 --episodes 8 --out data/atari/pong-dagger2-greedy
[ -e runs/trunks-init/config.json ] || surgery add-trunk runs/atari-encoder/step-0000500 \
    recipes/weights/atari-encoder3-encoder.safetensors runs/trunks-init
train recipes/atari-trunks.json --threads 2

# 13. Greedy, prompted episodes with the task's prompt: 30 per Atari game, 50 per MuJoCo task, 100
#     per BabyAI level (and 100 more sampled at temperature 1, as the paper's agent acts [2.3]), in
#     five processes, and the README's table.
RUN=runs/atari-trunks
CKPT=$RUN/step-0000300
evaluate() {  # evaluate OUT GATO-EVAL ARGS: into OUT unless a run there already completed
  local out=$1
  shift
  [ -e "$out/results.json" ] && [ ! -e "$out.partial" ] && return 0
  rm -rf "$out" && touch "$out.partial"
  "$BIN/gato-eval" "$@" --num-envs 50 --no-video --no-progress --out "$out"
  rm "$out.partial"
}
evaluate $RUN/eval-breakout --checkpoint $CKPT --episodes 30 --env ALE/Breakout-v5 &
evaluate $RUN/eval-pong --checkpoint $CKPT --episodes 30 --env ALE/Pong-v5 &
evaluate $RUN/eval-babyai --checkpoint $CKPT --episodes 100 --env BabyAI-GoToRedBall-v0 --env BabyAI-GoToLocal-v0 &
evaluate $RUN/eval-babyai-sampled --checkpoint $CKPT --episodes 100 --env BabyAI-GoToRedBall-v0 --env BabyAI-GoToLocal-v0 --temperature 1.0 &
evaluate $RUN/eval-rest --checkpoint $CKPT --episodes 50 --env InvertedPendulum-v5 --env InvertedDoublePendulum-v5 \
    --env Reacher-v5 --env Hopper-v5 --env HalfCheetah-v5
wait
"$BIN/python" -m rollouts.report $RUN/eval-breakout/results.json $RUN/eval-pong/results.json $RUN/eval-rest/results.json \
    $RUN/eval-babyai/results.json $RUN/eval-babyai-sampled/results.json | tee $RUN/table.md

# 14. Keep the weights, config, text tokenizer and prompts (not the optimizer state), with
#     provenance.json (this script, the commit, each dataset's command and size, and the
#     evaluations above), as recipes/weights/atari-trunks: the embedded checkpoint until stage 15's
#     generalist replaced it, and the weights stage 15 starts from.
ship() {  # ship CKPT DEST
  rm -rf "$2" && mkdir -p "$2"
  cp "$1"/{config.json,model.safetensors,tokenizer.model,prompt-*.safetensors} "$2"/
}
[ -e recipes/weights/atari-trunks/model.safetensors ] || ship $CKPT recipes/weights/atari-trunks
[ -e recipes/weights/atari-trunks/provenance.json ] || "$BIN/python" -m rollouts.provenance --build recipes/build.sh \
    --checkpoint $CKPT --out recipes/weights/atari-trunks/provenance.json --results $RUN/eval-breakout/results.json \
    $RUN/eval-pong/results.json $RUN/eval-rest/results.json $RUN/eval-babyai/results.json \
    $RUN/eval-babyai-sampled/results.json

# 15-16. The generalist of issue 36 from these weights, and its shipping into the package
#        (gato_agent/assets/default).
bash recipes/generalist.sh
