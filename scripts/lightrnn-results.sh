#!/usr/bin/env bash
# The LightRNN results of docs/LIGHTRNN.md: on Brown with its full training vocabulary (--corpus brown-full,
# 45,984 words), the same recurrent core (1x256 LRN, E256, dropout 0.3, B32 x T35, Adam 0.003, clip 1) read
# through an ordinary softmax over the vocabulary and through LightRNN's 215x215 word table; test
# perplexity of each (LightRNN: exact, from the full next-word distributions, and two-step), training
# throughput and peak memory (bench lm --lightrnn), into docs/results/lightrnn-*.json[l].
# A finished run directory is not retrained (the trainer resumes from its last checkpoint).
#   scripts/lightrnn-results.sh [softmax-epochs] [rounds] [epochs-per-round] [solver]   (default: 1 2 1 greedy)
# Each run uses both cores; the softmax model's 46k-way output makes it ~25x slower per token than LightRNN,
# so it gets fewer epochs by default (the table says how many each model had).
set -euo pipefail
cd "$(dirname "$0")/.."
softmax_epochs=${1:-1}
rounds=${2:-2}
per_round=${3:-1}
solver=${4:-greedy}
recipe=(--corpus brown-full --cell lrn --hidden 256 --embedding 256 --dropout 0.3 --batch 32 --bptt 35
        --optimizer adam --lr 0.003 --clip 1.0 --seed 1)
mkdir -p runs docs/results
run() {  # name, extra train options...
  local name=$1
  shift
  echo "== $name: ./lrn4j train ${recipe[*]} $*"
  nice ./lrn4j train "${recipe[@]}" "$@" --dir "runs/$name" 2>&1 | tee "runs/$name.log" | tr '\r' '\n' \
    | grep -v '^epoch .*%' || true
  nice ./lrn4j eval --checkpoint "runs/$name" --split test --json | tee "docs/results/$name-test.json"
}
run brown-full-softmax --epochs "$softmax_epochs"
light=brown-full-lightrnn-r${rounds}x${per_round}-$solver
run "$light" --model lightrnn --rounds "$rounds" --epochs-per-round "$per_round" --solver "$solver" \
  --init frequency --save-costs
cp "runs/$light/lightrnn.json" "docs/results/$light-train.json"
nice ./lrn4j bench lm --vocabulary 45984 --cells lrn --lightrnn --json | tee docs/results/lightrnn-bench-lm.jsonl
