#!/usr/bin/env bash
# The GPU checks and measurements, in one pass, in a bundle folder made by scripts/gpu-bundle.sh:
#   machine.txt          GPU, driver, the Python torch whose libtorch is used
#   test.log             ./run.sh test (the tests tagged gpu or bf16; the bf16 ones skip without jni/libdjl_torch.so)
#   bench-*.log, .json   tlab bench on the GPT-2-small shape (12 layers, 12 heads, d_model 768, context
#                        1024, batch 8, character vocabulary): fp32, fp16, fp16 with model.attention=sdpa,
#                        bf16 (a build that refuses bf16 exits 2, as DJL's own JNI library does; the rest goes
#                        on; jni/libdjl_torch.so from jni-build/build.sh runs it); throughput and MFU
#                        against the matmul peak in that precision
#   peer-*.log, .json    the PyTorch peer right after, on the same GPU and shape (the bundle's
#                        scripts/pytorch_reference.py bench, eager, fused AdamW): fp32 with math attention,
#                        fp16 AMP + SDPA, bf16 AMP + SDPA, fp16 AMP + SDPA + torch.compile
#   summary.md           tlab and peer tokens/s and MFU side by side, with tlab/peer; the headline is
#                        tlab fp16 against the peer's fp16 AMP + SDPA (eager), target >= 0.9
#   resume-*.log         exact resume on the GPU (resume-check.sh), RESUME_PRECISIONS (default "fp16 fp16-math":
#                        auto attention, which is sdpa there, and math; add bf16 with the self-built JNI library):
#                        same weights and moments as never stopping
#   nanogpt.log, nanogpt-metrics.jsonl   nanoGPT's Shakespeare-char config, cut off after NANOGPT_SECONDS
#   profile-fp16.log     (part "profile", not in the defaults) tlab bench --profile on the same shape in
#                        fp16: forward, backward, optimizer and the rest per step, each ended by a device sync;
#   nsys-fp16.log        and Nsight Systems' kernel and CUDA API summary of a short bench, where nsys exists
# Usage: scripts/gpu-measure.sh BUNDLE_DIR OUT_DIR   (GPU_STEPS="test bench peer resume nanogpt" picks the parts)
#        scripts/gpu-measure.sh --summary DIR        the tlab/peer table from DIR's bench-*.json and peer-*.json
# Time limits in seconds, each step on its own (the defaults add up to 610 s for the default parts; printed first):
#   TEST_SECONDS 90, BENCH_SECONDS 40 per tlab bench (4), PEER_SECONDS 35 per eager peer run (3),
#   PEER_COMPILE_SECONDS 90 for the compiled one, RESUME_SECONDS 40 per precision, NANOGPT_SECONDS 85,
#   PROFILE_SECONDS 60 for each of the two profile runs.
# The peer runs with PEER_PYTHON, else the first of TLAB_PYTHON, python3, /opt/torch/.venv/bin/python that
# imports torch; the script is the bundle's scripts/pytorch_reference.py, else the one next to this file.
# With JNI_SOURCES="DJL_NATIVE_DIR DJL_API_NATIVE_DIR [more]" (absolute paths) and no jni/libdjl_torch.so in the
# bundle yet, it first compiles DJL's JNI library for this machine's torch (jni-build/build.sh, limit 600 s).
# Each step has a time limit, so one slow or failing step leaves time for the rest.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The tlab/peer table, from the JSON files of `tlab bench --json` and `pytorch_reference.py bench --json`.
summary() {
    python3 - "$1" <<'PY'
import json
import sys
from pathlib import Path

folder = Path(sys.argv[1])


def load(name):
    try:
        return json.loads((folder / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def tlab(name):
    """tokens/s, MFU, peak TFLOP/s and FLOPs/token from tlab bench's JSON."""
    f = load(name)
    return f and (f["tokens_per_s"], f["mfu"], f["matmul_peak_gflops"] / 1000, f["flops_per_token"])


def peer(name):
    f = load(name)
    return f and (f["tokens_per_s"], f["mfu"], f["peak_tflops"], f["flops_per_token"])


def figures(run, name):
    if not run:
        return [f"- (no {name}.json)", "-"]
    tokens, mfu, peak, _ = run
    return [f"{tokens:,.0f}", f"{100 * mfu:.1f}% of {peak:.1f}" if mfu is not None and peak else "-"]


compiled = load("peer-fp16-sdpa-compile")
compile_label = "fp16 AMP + SDPA + compile"
if compiled and not compiled.get("compiled"):
    compile_label += " (compile failed: eager)"
pairs = [
    ("bench-fp32", "fp32 (attention auto)", "peer-fp32-math", "fp32, math attention"),
    ("bench-fp16", "fp16 (attention auto)", "peer-fp16-sdpa", "fp16 AMP + SDPA"),
    ("bench-fp16-sdpa", "fp16 (attention sdpa)", "peer-fp16-sdpa", "fp16 AMP + SDPA"),
    ("bench-bf16", "bf16 (attention auto)", "peer-bf16-sdpa", "bf16 AMP + SDPA"),
    ("bench-fp16", "fp16 (attention auto)", "peer-fp16-sdpa-compile", compile_label),
    ("bench-fp16-sdpa", "fp16 (attention sdpa)", "peer-fp16-sdpa-compile", compile_label),
]
lines = ["# tlab against the PyTorch peer, GPT-2-small shape (12 x 768, context 1024, batch 8, char vocabulary)", ""]
info = [load(p) for p in ("peer-fp16-sdpa", "peer-fp32-math", "peer-bf16-sdpa", "peer-fp16-sdpa-compile")]
info = next((i for i in info if i), None)
if info:
    lines += [f"GPU {info.get('gpu_name') or info.get('device')}, peer torch {info.get('torch_version')}, {info.get('params') or 0:,} parameters;"
              " MFU is each side's own matmul peak (TFLOP/s) in the run's dtype (fp32: TF32 "
              + ("off" if info.get("float32_matmul_precision") == "highest" else "allowed") + ").", ""]
lines += ["| tlab | tokens/s | MFU | peer | tokens/s | MFU | tlab/peer |", "| --- | ---: | ---: | --- | ---: | ---: | ---: |"]
ratios = {}
notes = []
for tlab_name, tlab_label, peer_name, peer_label in pairs:
    t, p = tlab(tlab_name), peer(peer_name)
    ratio = t[0] / p[0] if t and p else None
    ratios[(tlab_name, peer_name)] = ratio
    if t and p and abs(t[3] - p[3]) > 1e-3 * p[3]:
        notes.append(f"FLOPs/token differ for {tlab_name} ({t[3]:.4g}) and {peer_name} ({p[3]:.4g}): MFUs not comparable")
    lines.append("| " + " | ".join([tlab_label] + figures(t, tlab_name) + [peer_label] + figures(p, peer_name)
                                    + [f"{ratio:.2f}" if ratio else "-"]) + " |")
lines.append("")
for tlab_name, label in (("bench-fp16", "attention auto"), ("bench-fp16-sdpa", "attention sdpa")):
    ratio = ratios[(tlab_name, "peer-fp16-sdpa")]
    verdict = "-" if ratio is None else ("met" if ratio >= 0.9 else "NOT met")
    lines.append(f"Headline, tlab fp16 ({label}) / peer fp16 AMP + SDPA eager: "
                 + (f"{ratio:.2f}" if ratio else "-") + f" (target >= 0.9: {verdict})")
lines += [""] + notes if notes else []
print("\n".join(lines))
PY
}

if [[ "${1:-}" == --summary ]]; then
    summary "${2:?usage: gpu-measure.sh --summary DIR}"
    exit
fi

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

parts=" ${GPU_STEPS-test bench peer resume nanogpt} "   # GPU_STEPS="" after JNI_SOURCES: build only
test_s=${TEST_SECONDS:-90} bench_s=${BENCH_SECONDS:-40} peer_s=${PEER_SECONDS:-35}
compile_s=${PEER_COMPILE_SECONDS:-90} resume_s=${RESUME_SECONDS:-40} nanogpt_s=${NANOGPT_SECONDS:-85}
profile_s=${PROFILE_SECONDS:-60}
resume_precisions=${RESUME_PRECISIONS:-fp16 fp16-math}
bench_runs=(fp32 fp16 fp16-sdpa bf16)
read -ra resume_list <<<"$resume_precisions"
total=0
[[ $parts == *" test "* ]] && total=$((total + test_s))
[[ $parts == *" bench "* ]] && total=$((total + ${#bench_runs[@]} * bench_s))
[[ $parts == *" peer "* ]] && total=$((total + 3 * peer_s + compile_s))
[[ $parts == *" profile "* ]] && total=$((total + 2 * profile_s))
[[ $parts == *" resume "* ]] && total=$((total + ${#resume_list[@]} * resume_s))
[[ $parts == *" nanogpt "* ]] && total=$((total + nanogpt_s))
echo "parts:${parts% }; limits (s): test $test_s, bench ${#bench_runs[@]} x $bench_s, peer 3 x $peer_s + compile $compile_s," \
    "profile 2 x $profile_s, resume ${#resume_list[@]} x $resume_s ($resume_precisions), nanogpt $nanogpt_s; at most $total s for these parts${JNI_SOURCES:+ (plus up to 600 s for the JNI build)}"

if [[ -n "${JNI_SOURCES:-}" && ! -f jni/libdjl_torch.so ]]; then
    # shellcheck disable=SC2086 # a list of folders
    # JNI_SUPPORT="" for sources that have everything themselves (a full v0.36.0 checkout).
    step build-jni 600 bash jni-build/build.sh jni/libdjl_torch.so $JNI_SOURCES jni-build/include ${JNI_SUPPORT-jni-build/support}
fi

[[ $parts == *" test "* ]] && step test "$test_s" ./run.sh test --details=tree

gpt2_small=(--set train.device=gpu --set model.layers=12 --set model.heads=12 --set model.d_model=768
    --set model.context=1024 --set train.batch_size=8 --set model.dropout=0)
if [[ $parts == *" bench "* ]]; then
    for run in "${bench_runs[@]}"; do
        precision=${run%%-*}
        extra=()
        [[ $run == *-sdpa ]] && extra=(--set model.attention=sdpa)
        rm -f "$out/bench-$run.json"
        step "bench-$run" "$bench_s" ./run.sh bench configs/shakespeare-char.yaml --steps 30 --matmul-size 8192 \
            --json "$out/bench-$run.json" "${gpt2_small[@]}" --set train.precision="$precision" ${extra[@]+"${extra[@]}"}
    done
fi

if [[ $parts == *" peer "* ]]; then
    peer_script="$bundle/scripts/pytorch_reference.py"
    [[ -f $peer_script ]] || peer_script="$here/pytorch_reference.py"
    peer_python=""
    for py in ${PEER_PYTHON:-} ${TLAB_PYTHON:-} python3 /opt/torch/.venv/bin/python; do
        if "$py" -c 'import torch' 2>/dev/null; then
            peer_python=$py
            break
        fi
    done
    echo "peer: ${peer_python:-no Python with torch} $peer_script"
    peer=("$peer_python" "$peer_script" bench --device cuda --layers 12 --heads 12 --d-model 768 --context 1024
        --batch-size 8 --steps 20 --warmup 10 --matmul-size 8192 --data "$bundle/examples/data/tinyshakespeare/input.txt")
    if [[ -n $peer_python ]]; then
        for run in fp32-math fp16-sdpa bf16-sdpa fp16-sdpa-compile; do
            IFS=- read -r precision attention compile <<<"$run"
            rm -f "$out/peer-$run.json"
            step "peer-$run" "$([[ -n $compile ]] && echo "$compile_s" || echo "$peer_s")" "${peer[@]}" \
                --precision "$precision" --attention "$attention" ${compile:+--compile} --json "$out/peer-$run.json"
        done
    fi
fi
if [[ $parts == *" bench "* || $parts == *" peer "* ]]; then
    summary "$out" | tee "$out/summary.md"
fi

# Where an fp16 step's time goes: tlab's phase table (each phase ends with a device sync), and where
# Nsight Systems is installed, its per-kernel and per-CUDA-call summary of a short bench.
if [[ $parts == *" profile "* ]]; then
    step profile-fp16 "$profile_s" ./run.sh bench configs/shakespeare-char.yaml --steps 12 --profile 5 \
        "${gpt2_small[@]}" --set train.precision=fp16
    if command -v nsys >/dev/null; then
        step nsys-fp16 "$profile_s" nsys profile --force-overwrite true -o "$out/nsys-fp16" --stats=true -t cuda,osrt \
            ./run.sh bench configs/shakespeare-char.yaml --steps 15 --peak-every 0 "${gpt2_small[@]}" --set train.precision=fp16
    else
        echo "== nsys-fp16: no nsys on this machine"
    fi
fi

# An entry is a precision, optionally with an attention kernel: fp16 (auto: sdpa), fp16-math. A
# fused kernel whose backward is not deterministic (CUDA's memory-efficient attention adds with
# atomics) would fail this check where math passes; the pair tells which.
[[ $parts == *" resume "* ]] && for entry in "${resume_list[@]}"; do
    attention=()
    [[ $entry == *-* ]] && attention=(--set model.attention="${entry#*-}")
    step "resume-$entry" "$resume_s" ./resume-check.sh ./run.sh --set train.device=gpu \
        --set train.precision="${entry%%-*}" ${attention[@]+"${attention[@]}"}
done

# nanoGPT's train_shakespeare_char.py: 6 layers, 6 heads, d 384, context 256, batch 64, dropout 0.2,
# lr 1e-3 to 1e-4 over 5000 steps, 100 warm-up steps. Reference val loss 1.4697.
[[ $parts == *" nanogpt "* ]] || exit 0
step nanogpt "$nanogpt_s" ./run.sh train configs/shakespeare-char.yaml \
    --set train.device=gpu --set train.precision="${NANOGPT_PRECISION:-fp16}" \
    --set model.layers=6 --set model.heads=6 --set model.d_model=384 --set model.context=256 \
    --set train.batch_size=64 --set model.dropout=0.2 --set train.steps=5000 --set train.warmup=100 \
    --set train.lr=1e-3 --set train.min_lr=1e-4 --set train.eval_every=250 --set checkpoint.every=0 \
    --set output.dir=/tmp/tlab-nanogpt
cp /tmp/tlab-nanogpt/*/metrics.jsonl "$out/nanogpt-metrics.jsonl" 2>/dev/null \
    || cp /tmp/tlab-nanogpt/metrics.jsonl "$out/nanogpt-metrics.jsonl" 2>/dev/null || true
tail -n 3 "$out/nanogpt-metrics.jsonl" 2>/dev/null
