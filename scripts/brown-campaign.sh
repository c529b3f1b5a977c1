#!/usr/bin/env bash
# The Brown language-model campaign of docs/RESULTS.md: the same recipe for every cell, one after the
# other (each run uses both cores), then each model's validation and test perplexity from its best
# checkpoint as JSON lines in runs/brown-campaign.jsonl. A finished run directory is not retrained (the
# trainer resumes from its last checkpoint, which is already at the end), so the script can be re-run.
#   scripts/brown-campaign.sh [cell ...]      (default: lrn lstm gru atr sru)
# Needs the corpus: scripts/fetch-corpora.sh (or the data/ directory it fills).
set -euo pipefail
cd "$(dirname "$0")/.."
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(lrn lstm gru atr sru)
recipe=(--corpus brown --hidden 256 --embedding 256 --layers 1 --dropout 0.3 --batch 32 --bptt 35 --epochs 4
        --optimizer adam --lr 0.003 --clip 1.0 --seed 1)
mkdir -p runs
for cell in "${cells[@]}"; do
  echo "== $cell: ./lrn4j train ${recipe[*]} --cell $cell --dir runs/brown-$cell"
  ./lrn4j train "${recipe[@]}" --cell "$cell" --dir "runs/brown-$cell" 2>&1 | tee "runs/brown-$cell.log" | tr '\r' '\n' \
    | grep -v '^epoch .*%' || true
  for split in valid test; do
    ./lrn4j eval --checkpoint "runs/brown-$cell" --split $split --json | tee -a runs/brown-campaign.jsonl
  done
done
