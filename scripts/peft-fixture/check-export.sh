#!/usr/bin/env bash
# tlab's peft export, checked by peft itself: LoRA-tunes the tiny llama-tied fixture for a few steps
# (targets q, v, o, down), exports the adapter with `tlab export --format peft`, and has
# PeftModel.from_pretrained(base, OUT) compute logits that peft_lora.py compares with tlab's; then the
# same over the tiny GPT-2 fixture with q, k, v (GPT-2's fused c_attn: one block-diagonal module).
#   scripts/peft-fixture/check-export.sh /path/to/venv/bin/python
set -euo pipefail
PY=${1:-python3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=$ROOT/training/src/test/resources/hf-models/llama-tied
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
cat > "$WORK/lora.yaml" <<YAML
model: {layers: 2, heads: 4, d_model: 32, d_ff: 64, ffn: swiglu, norm: rmsnorm, positional: rope, rope_base: 100000.0,
        context: 128, bias: false, tie_embeddings: true, norm_eps: 1.0e-5}
data: {path: $ROOT/examples/data/tinyshakespeare/input.txt, tokenizer: hf, tokenizer_file: $BASE/tokenizer.json,
       cache: $WORK/cache}
train: {steps: 20, batch_size: 4, lr: 0.02, warmup: 2, eval_every: 20, eval_batches: 2, device: cpu}
finetune: {method: lora, lora: {rank: 4, alpha: 8, targets: [q, v, o, down]}}
sample: {tokens: 0}
output: {dir: $WORK/runs}
YAML
./tlab finetune "$WORK/lora.yaml" --from "$BASE" -q
./tlab export "$WORK/runs/lora" --format peft "$WORK/peft"
java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/peft-fixture/TlabLogits.java "$WORK/runs/lora" \
    training/src/test/resources/peft/all/expected.json "$WORK/tlab-logits.json"
"$PY" scripts/peft-fixture/peft_lora.py check "$WORK/peft" "$WORK/tlab-logits.json"

GPT2=$ROOT/training/src/test/resources/gpt2-hf
cat > "$WORK/gpt2.yaml" <<YAML
model: {layers: 2, heads: 2, d_model: 16, context: 32, gelu: tanh}
data: {path: $ROOT/examples/data/tinyshakespeare/input.txt, tokenizer: gpt2, cache: $WORK/cache}
train: {steps: 20, batch_size: 4, lr: 0.02, warmup: 2, eval_every: 20, eval_batches: 2, device: cpu}
finetune: {method: lora, lora: {rank: 2, alpha: 4, targets: [q, k, v]}}
sample: {tokens: 0}
output: {dir: $WORK/runs}
YAML
./tlab finetune "$WORK/gpt2.yaml" --from "$GPT2" -q
./tlab export "$WORK/runs/gpt2" --format peft "$WORK/gpt2-peft"
echo '{"ids": [464, 2068, 7586, 21831, 18045, 625, 262, 16931]}' > "$WORK/gpt2-ids.json"
java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/peft-fixture/TlabLogits.java "$WORK/runs/gpt2" \
    "$WORK/gpt2-ids.json" "$WORK/gpt2-logits.json"
"$PY" scripts/peft-fixture/peft_lora.py check "$WORK/gpt2-peft" "$WORK/gpt2-logits.json" "$GPT2"
