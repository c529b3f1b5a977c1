#!/usr/bin/env bash
# The Brown language-model campaign of docs/RESULTS.md: the same recipe for every cell, one after the
# other (each run uses both cores), then each model's validation and test perplexity from its best
# checkpoint as JSON lines in runs/brown-campaign.jsonl. A finished run directory is not retrained (the
# trainer resumes from its last checkpoint, which is already at the end), so the script can be re-run.
#   scripts/brown-campaign.sh [run ...]      (default: lrn lstm gru atr sru lrn-id lrn2 lrn2-id)
# A run is a cell name, optionally followed by 2 (two layers instead of one) and -id (identity g).
# Needs the corpus: scripts/fetch-corpora.sh (or the data/ directory it fills).
set -euo pipefail
cd "$(dirname "$0")/.."
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(lrn lstm gru atr sru lrn-id lrn2 lrn2-id)
recipe=(--corpus brown --hidden 256 --embedding 256 --dropout 0.3 --batch 32 --bptt 35 --epochs 4
        --optimizer adam --lr 0.003 --clip 1.0 --seed 1)
mkdir -p runs
for run in "${cells[@]}"; do
  if [[ ! "$run" =~ ^([a-z]+)(2?)(-id)?$ ]]; then
    echo "brown-campaign: '$run' is not a cell name with optional 2 and -id (e.g. lrn, gru, lrn2-id)" >&2
    exit 2
  fi
  cell=${BASH_REMATCH[1]}
  layers=$([ -n "${BASH_REMATCH[2]}" ] && echo 2 || echo 1)
  activation=$([ -n "${BASH_REMATCH[3]}" ] && echo identity || echo tanh)
  args=(--cell "$cell" --layers "$layers" --activation "$activation" --dir "runs/brown-$run")
  echo "== $run: ./lrn4j train ${recipe[*]} ${args[*]}"
  ./lrn4j train "${recipe[@]}" "${args[@]}" 2>&1 | tee "runs/brown-$run.log" | tr '\r' '\n' \
    | grep -v '^epoch .*%' || true
  for split in valid test; do
    ./lrn4j eval --checkpoint "runs/brown-$run" --split $split --json | tee -a runs/brown-campaign.jsonl
  done
done
