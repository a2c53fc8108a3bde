#!/usr/bin/env bash
# The GPU checks and measurements, in one pass, in a bundle folder made by scripts/gpu-bundle.sh:
#   machine.txt          GPU, driver, the Python torch whose libtorch is used
#   test.log             ./run.sh test (the tests tagged gpu)
#   bench-fp32/fp16.log  GPT-2-small-sized throughput and MFU against the matmul peak in that precision
#   resume-fp32/fp16.log exact resume on the GPU (resume-check.sh): same weights and moments as never stopping
#   nanogpt.log, nanogpt-metrics.jsonl   nanoGPT's Shakespeare-char config, cut off after NANOGPT_SECONDS
# Usage: scripts/gpu-measure.sh BUNDLE_DIR OUT_DIR   (GPU_STEPS="test bench resume nanogpt" picks the parts)
# With JNI_SOURCES="DJL_NATIVE_DIR DJL_API_NATIVE_DIR [more]" (absolute paths) and no jni/libdjl_torch.so in the
# bundle yet, it first compiles DJL's JNI library for this machine's torch (jni-build/build.sh).
# Each step has a time limit, so one slow or failing step leaves time for the rest.
set -uo pipefail
bundle="$(cd "$1" && pwd)"
mkdir -p "$2"
out="$(cd "$2" && pwd)"
cd "$bundle"

step() {
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit}s): $*"
    local start=$SECONDS
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    local rc=$?
    echo "== $name: exit $rc after $((SECONDS - start)) s"
    grep -v -E '^\s*$' "$out/$name.log" | tr '\r' '\n' | tail -n "${TAIL_LINES:-20}"
}

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
    nproc
} >"$out/machine.txt" 2>&1
cat "$out/machine.txt"

if [[ -n "${JNI_SOURCES:-}" && ! -f jni/libdjl_torch.so ]]; then
    # shellcheck disable=SC2086 # a list of folders
    # JNI_SUPPORT="" for sources that have everything themselves (a full v0.36.0 checkout).
    step build-jni 600 bash jni-build/build.sh jni/libdjl_torch.so $JNI_SOURCES jni-build/include ${JNI_SUPPORT-jni-build/support}
fi

parts=" ${GPU_STEPS-test bench resume nanogpt} "   # GPU_STEPS="" after JNI_SOURCES: build only
[[ $parts == *" test "* ]] && step test "${TEST_SECONDS:-200}" ./run.sh test --details=tree

gpt2_small=(--set train.device=gpu --set model.layers=12 --set model.heads=12 --set model.d_model=768
    --set model.context=1024 --set train.batch_size=8 --set model.dropout=0)
[[ $parts == *" bench "* ]] && for precision in fp32 fp16; do
    step "bench-$precision" "${BENCH_SECONDS:-75}" ./run.sh bench configs/shakespeare-char.yaml --steps 30 \
        --matmul-size 8192 --json "/tmp/bench-$precision.json" "${gpt2_small[@]}" --set train.precision=$precision
done

[[ $parts == *" resume "* ]] && for precision in fp32 fp16; do
    step "resume-$precision" "${RESUME_SECONDS:-90}" ./resume-check.sh ./run.sh --set train.device=gpu \
        --set train.precision=$precision
done

# nanoGPT's train_shakespeare_char.py: 6 layers, 6 heads, d 384, context 256, batch 64, dropout 0.2,
# lr 1e-3 to 1e-4 over 5000 steps, 100 warm-up steps. Reference val loss 1.4697.
[[ $parts == *" nanogpt "* ]] || exit 0
step nanogpt "${NANOGPT_SECONDS:-170}" ./run.sh train configs/shakespeare-char.yaml \
    --set train.device=gpu --set train.precision="${NANOGPT_PRECISION:-fp16}" \
    --set model.layers=6 --set model.heads=6 --set model.d_model=384 --set model.context=256 \
    --set train.batch_size=64 --set model.dropout=0.2 --set train.steps=5000 --set train.warmup=100 \
    --set train.lr=1e-3 --set train.min_lr=1e-4 --set train.eval_every=250 --set checkpoint.every=0 \
    --set output.dir=/tmp/tlab-nanogpt
cp /tmp/tlab-nanogpt/*/metrics.jsonl "$out/nanogpt-metrics.jsonl" 2>/dev/null \
    || cp /tmp/tlab-nanogpt/metrics.jsonl "$out/nanogpt-metrics.jsonl" 2>/dev/null || true
tail -n 3 "$out/nanogpt-metrics.jsonl" 2>/dev/null
