#!/usr/bin/env bash
# The LMU task results of docs/RESULTS-LMU.md: permuted sequential Fashion-MNIST with the parallel LMU, and
# Mackey-Glass 15 steps ahead with the parallel LMU and an LSTM of the same parameter count. Each run trains
# into runs/<name> (a finished run is not retrained: the trainer resumes from its last checkpoint, which is
# already at the end), then its best checkpoint is scored on the test part; the eval JSON lines go to
# docs/results/lmu-fashion-mnist.json (one line per run) and
# docs/results/lmu-mackey-glass.jsonl, each run's summary.json
# (parameters, seconds per epoch) stays in its run directory.
#   scripts/lmu-results.sh [fashion-mnist] [mackey-glass]      (default: both)
# Needs Fashion-MNIST (apt-get install dataset-fashion-mnist, or scripts/fetch-corpora.sh --fashion-mnist);
# the Mackey-Glass series is generated.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(fashion-mnist mackey-glass)
mkdir -p runs docs/results

train() {  # name, then the train options
  local name=$1
  shift
  echo "== $name: ./lrn4j train $* --dir runs/$name"
  nice ./lrn4j train "$@" --dir "runs/$name" 2>&1 | tee "runs/$name.log" | tr '\r' '\n' | grep -v '^epoch .*%' || true
}

for part in "${parts[@]}"; do
  case "$part" in
    fashion-mnist)
      # the reported model (order 784: the memory keeps all 784 pixels), then the psMNIST sizes of the LMU paper
      train fashion-mnist-lmu --task fashion-mnist --model lmu --order 784 --theta 784 --hidden 1024 --dropout 0.5 \
        --batch 100 --lr 0.001 --epochs 40 --patience 2 --stop-after 6 --seed 1
      train fashion-mnist-lmu-468 --task fashion-mnist --model lmu --order 468 --theta 784 --hidden 346 --dropout 0.5 \
        --batch 100 --lr 0.001 --epochs 40 --patience 2 --stop-after 6 --seed 1
      ./lrn4j eval --checkpoint runs/fashion-mnist-lmu --split test --json > docs/results/lmu-fashion-mnist.json
      ./lrn4j eval --checkpoint runs/fashion-mnist-lmu-468 --split test --json >> docs/results/lmu-fashion-mnist.json
      cat docs/results/lmu-fashion-mnist.json
      ;;
    mackey-glass)
      : > docs/results/lmu-mackey-glass.jsonl
      for model in lmu lstm; do
        train "mackey-glass-$model" --task mackey-glass --model $model --order 32 --theta 32 --hidden 32 \
          --window 128 --batch 32 --lr 0.003 --epochs 150 --patience 2 --stop-after 15 --seed 1
        ./lrn4j eval --checkpoint "runs/mackey-glass-$model" --split test --json | tee -a docs/results/lmu-mackey-glass.jsonl
      done
      ;;
    *) echo "lmu-results: unknown part '$part' (fashion-mnist or mackey-glass)" >&2; exit 2 ;;
  esac
done
# every run's summary.json (parameters, seconds per epoch, spec, configuration), one line each
for name in fashion-mnist-lmu fashion-mnist-lmu-468 mackey-glass-lmu mackey-glass-lstm; do
  [ -f "runs/$name/summary.json" ] && cat "runs/$name/summary.json"
done > docs/results/lmu-summaries.jsonl
