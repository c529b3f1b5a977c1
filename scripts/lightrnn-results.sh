#!/usr/bin/env bash
# The LightRNN results of docs/LIGHTRNN.md: Brown with its full training vocabulary (--corpus brown-full,
# 45,984 words), the same recurrent core (1x256 LRN, E256, dropout 0.3, B32 x T35, Adam 0.003, clip 1) read
# through an ordinary softmax over the vocabulary and through LightRNN's 215x215 word table:
#   brown-full-softmax           the softmax model, 1 epoch (its 46k-way output makes an epoch ~15x longer)
#   brown-full-softmax-2ep       the softmax model, 2 epochs
#   brown-full-lightrnn-random   LightRNN, random table, 2 rounds of 1 epoch, greedy re-allocation
#   brown-full-lightrnn-freq     LightRNN, table by frequency, 3 rounds of 2 epochs, greedy re-allocation
#   brown-full-lightrnn-freq-noreall   the same table and 6 epochs without re-allocation (the ablation)
#   brown-full-lightrnn-auction  the table by frequency, 3 rounds of 2 epochs, auction re-allocation
#   brown-full-lstm-softmax      the softmax model with a 1x256 LSTM core, 3 epochs
#   brown-full-lstm-lightrnn     LightRNN with the same LSTM core, dropout 0.1, table by frequency, 16 epochs, no
#                                re-allocation
#   brown-lightrnn-costs         LightRNN on brown (14,039 words), 2 rounds of 1 epoch: its saved round-1 cost is
#                                the real instance of bench matching (exact, auction, greedy; bench/results/matching-real.jsonl)
# then the test perplexity of each (LightRNN: exact from the full next-word distributions, renormalised over
# the words, and two-step), each run's summary (re-allocations, peak memory), and bench lm --lightrnn
# (training tokens/s, parameters, peak heap and off-heap memory of both models), into docs/results/.
# A finished run directory is not retrained (the trainer resumes from its last checkpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
recipe=(--corpus brown-full --cell lrn --hidden 256 --embedding 256 --dropout 0.3 --batch 32 --bptt 35
        --optimizer adam --lr 0.003 --clip 1.0 --seed 1)
mkdir -p runs docs/results
run() {  # name, extra train options...
  local name=$1
  shift
  echo "== $name: ./lrn4j train ${recipe[*]} $*"
  nice ./lrn4j train "${recipe[@]}" "$@" --dir "runs/$name" 2>&1 | tee "runs/$name.log" | tr '\r' '\n' \
    | grep -v '^epoch .*%' || true
  nice ./lrn4j eval --checkpoint "runs/$name" --split test --json | tee "docs/results/lightrnn-$name-test.json"
  if [[ -f "runs/$name/lightrnn.json" ]]; then
    cp "runs/$name/lightrnn.json" "docs/results/lightrnn-$name-train.json"
  fi
}
run brown-full-softmax --epochs 1
run brown-full-softmax-2ep --epochs 2
run brown-full-lightrnn-random --model lightrnn --init random --rounds 2 --epochs-per-round 1 --solver greedy \
  --save-costs
run brown-full-lightrnn-freq --model lightrnn --init frequency --rounds 3 --epochs-per-round 2 --solver greedy \
  --save-costs
run brown-full-lightrnn-freq-noreall --model lightrnn --init frequency --rounds 1 --epochs-per-round 6
run brown-full-lightrnn-auction --model lightrnn --init frequency --rounds 3 --epochs-per-round 2 --solver auction \
  --save-costs
lstm=(--corpus brown-full --cell lstm --hidden 256 --embedding 256 --batch 32 --bptt 35 --optimizer adam --lr 0.003
      --clip 1.0 --seed 1)
if [[ ! -f docs/results/lightrnn-brown-full-lstm-softmax-test.json ]]; then
  nice ./lrn4j train "${lstm[@]}" --dropout 0.3 --epochs 3 --dir runs/brown-full-lstm-softmax 2>&1 \
    | tee runs/brown-full-lstm-softmax.log | tr '\r' '\n' | grep -v '^epoch .*%' || true
  nice ./lrn4j eval --checkpoint runs/brown-full-lstm-softmax --split test --json \
    | tee docs/results/lightrnn-brown-full-lstm-softmax-test.json
fi
if [[ ! -f docs/results/lightrnn-brown-full-lstm-lightrnn-test.json ]]; then
  nice ./lrn4j train "${lstm[@]}" --dropout 0.1 --model lightrnn --init frequency --rounds 1 --epochs-per-round 16 \
    --checkpoint-every 0 --dir runs/brown-full-lstm-lightrnn 2>&1 | tee runs/brown-full-lstm-lightrnn.log \
    | tr '\r' '\n' | grep -v '^epoch .*%' || true
  nice ./lrn4j eval --checkpoint runs/brown-full-lstm-lightrnn --split test --json \
    | tee docs/results/lightrnn-brown-full-lstm-lightrnn-test.json
  cp runs/brown-full-lstm-lightrnn/lightrnn.json docs/results/lightrnn-brown-full-lstm-lightrnn-train.json
fi
if [[ ! -f runs/brown-lightrnn-costs/costs-round-1.safetensors ]]; then
  nice ./lrn4j train --corpus brown --cell lrn --hidden 256 --embedding 256 --dropout 0.3 --batch 32 --bptt 35 --seed 1 \
    --model lightrnn --init frequency --rounds 2 --epochs-per-round 1 --solver greedy --save-costs \
    --dir runs/brown-lightrnn-costs | tr '\r' '\n' | grep -v '^epoch .*%' || true
fi
nice ./lrn4j bench matching --json --cost runs/brown-lightrnn-costs/costs-round-1.safetensors \
  --cost runs/brown-full-lightrnn-freq/costs-round-1.safetensors --cost runs/brown-full-lightrnn-random/costs-round-1.safetensors \
  --solvers exact,auction,greedy --exact-max 15000 | tee runs/matching-real.jsonl
nice ./lrn4j bench lm --vocabulary 45984 --cells lrn --lightrnn --json | tee docs/results/lightrnn-bench-lm.jsonl
nice ./lrn4j bench lm --vocabulary 45984 --cells lstm --lightrnn --json | tee docs/results/lightrnn-bench-lm-lstm.jsonl
