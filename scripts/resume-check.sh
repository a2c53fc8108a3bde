#!/usr/bin/env bash
# Exact resume, end to end through the CLI: trains 300 steps with checkpoints at 150 and 300, then
# removes step 300 from a copy of the run and resumes it from step 150. The two step-300 checkpoints
# must hold identical weights and optimizer moments (state.json differs: it records wall time).
# Usage: scripts/resume-check.sh TLAB_COMMAND [--set key=value ...]
#   e.g. scripts/resume-check.sh ./tlab, or in a GPU bundle:
#        resume-check.sh ./run.sh --set train.device=gpu --set train.precision=fp16
# Exit status 0 when both files are identical, 1 when not, 2 when a run failed.
set -uo pipefail
tlab=$1
shift
dir=$(mktemp -d)
run=shakespeare-char
"$tlab" train configs/shakespeare-char.yaml "$@" --set train.steps=300 --set train.eval_every=150 \
    --set checkpoint.every=150 --set model.dropout=0.1 --set output.dir="$dir/a" >"$dir/a.log" 2>&1 \
    || { tail -n 20 "$dir/a.log"; exit 2; }
cp -r "$dir/a" "$dir/b"
rm -rf "$dir/b/$run/checkpoints/step-000300" "$dir/b/$run/checkpoints/best" "$dir/b/$run/done.json"
"$tlab" resume "$dir/b/$run" >"$dir/b.log" 2>&1 || { tail -n 20 "$dir/b.log"; exit 2; }
status=0
for file in model.safetensors optimizer.safetensors; do
    a=$(sha256sum <"$dir/a/$run/checkpoints/step-000300/$file" | cut -c1-16)
    b=$(sha256sum <"$dir/b/$run/checkpoints/step-000300/$file" | cut -c1-16)
    [[ $a == "$b" ]] && verdict=identical || { verdict=DIFFERENT; status=1; }
    echo "$file: uninterrupted $a, resumed $b: $verdict"
done
echo "uninterrupted: $(tail -n 1 "$dir/a/$run/metrics.jsonl")"
echo "resumed:       $(tail -n 1 "$dir/b/$run/metrics.jsonl")"
rm -rf "$dir"
exit $status
