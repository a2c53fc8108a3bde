#!/usr/bin/env bash
# Imports each hf-models fixture with tlab, exports it with tlab, and has transformers load the
# export (hf_models.py check): logits against the fixture's expected ones, greedy continuation.
#   scripts/hf-fixture/check-exports.sh PYTHON [NAME...] > docs/results/hf-export-check.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:?usage: check-exports.sh PYTHON [NAME...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(llama-gqa llama-tied qwen2 qwen3 mistral llama-gqa-bf16 llama-gqa-sharded)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./tlab --version >/dev/null 2>&1 || true
echo "# tlab import hf FIXTURE, tlab export --format hf, then transformers $("$python" -c 'import transformers; print(transformers.__version__)') loads the export"
for name in "${names[@]}"; do
    if ! said=$(./tlab import hf "training/src/test/resources/hf-models/$name" --out "$work/$name-run" 2>&1); then
        echo "$name: not imported: ${said##*$'\n'}"
        continue
    fi
    said=$(./tlab export "$work/$name-run" --format hf "$work/$name-hf" 2>&1)
    echo "${said##*as } " | sed 's/ to .*//' | { read -r family; printf '%s -> %s: ' "$name" "$family"; }
    "$python" scripts/hf-fixture/hf_models.py check "$work/$name-hf" "$name" 2>/dev/null | tail -1 | sed "s|$work/||"
done
