#!/usr/bin/env bash
# Compiles DJL's PyTorch JNI library (libdjl_torch.so) against the libtorch of this machine's Python
# torch. DJL 0.36.0 ships the library built for libtorch 2.7.1 only. Loaded with torch 2.11 it stops
# at a missing symbol (c10::SymInt::sym_ne) or, before that, misreads tensors because the C++ ABI
# changed ("Cannot access data pointer of Tensor that doesn't have storage"). So build it on the GPU
# machine itself, from DJL's native sources:
#   git clone --depth 1 -b v0.36.0 https://github.com/deepjavalibrary/djl
#   jni-build/build.sh jni/libdjl_torch.so djl/engines/pytorch/pytorch-native/src/main/native \
#       djl/api/src/main/native jni-build/include [jni-build/support]
# (in the bundle from scripts/gpu-bundle.sh, whose run.sh then picks up jni/libdjl_torch.so).
# Every *.cc in the folders is compiled and every folder is on the include path. jni-build/include
# holds DJL's ai_djl_pytorch_jni_PyTorchLibrary.h (javac -h of its PyTorchLibrary.java), jni.h and
# jni_md.h. jni-build/support (scripts/djl-jni) adds JNI_OnLoad, the class cache, the logger and the
# index, top-k, contiguity and direct-buffer methods, for native sources that lack them; leave it out
# when the sources have them, as v0.36.0's do (duplicate symbols at link time say so). A source file
# that fails to compile is left out and named: its native methods then fail only when called.
#
# The folders are compiled from copies (DJL's checkout is never edited), with DJL's
# djl_pytorch_utils.h patched so that the library can hold bfloat16 (and int16) tensors. In v0.36.0
# GetScalarTypeFromDType, which turns a Java DataType ordinal into a libtorch type for toType,
# create, zeros, full, softmax..., knows ordinals 0-8 only and ends in `default: throw;`, a rethrow
# with no exception active: std::terminate, so toType(DataType.BFLOAT16) (ordinal 11) kills the JVM.
# Its inverse, GetDTypeFromScalarType, answers 9 (UNKNOWN) for kBFloat16. The patch maps
# kBFloat16 <-> 11 and kInt16 <-> 15 both ways and makes every bare `throw;` in the header a
# std::invalid_argument, which DJL's API_END turns into a Java EngineException. tlab asks whether
# the library in use has this (dev.tlab.precision.Bfloat16Support) before it trains in bf16.
set -uo pipefail
target="$1"
shift
py="${TLAB_PYTHON:-$(command -v python3 || echo /opt/torch/.venv/bin/python)}"
torch_dir=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))') || exit 1
abi=$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
cuda_include=""
for dir in "${CUDA_HOME:-/usr/local/cuda}/include" "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x)")/../include"; do
    [[ -f "$dir/cuda_runtime_api.h" ]] && { cuda_include="-I$dir"; break; }
done
# torch's ATen/cuda headers include cusparse.h, cublas.h...; where the toolkit found lacks them (a
# runtime-only install), take them from the pip CUDA torch's site-packages/nvidia/*/include.
if [[ -n "$cuda_include" && ! -f "${cuda_include#-I}/cusparse.h" ]]; then
    for dir in "$torch_dir"/../nvidia/*/include; do
        [[ -d "$dir" ]] && cuda_include+=" -I$(cd "$dir" && pwd)"
    done
fi
# libtorch's headers need C++20 from torch 2.12 or so on (ATen.h says so); older ones build as C++17.
std=c++17
grep -q 'C++20' "$torch_dir/include/ATen/ATen.h" 2>/dev/null && std=c++20
echo "build-djl-jni: torch at $torch_dir, C++11 ABI $abi, $std, CUDA headers ${cuda_include:-none}" >&2

objects="$(mktemp -d)"
dirs=()
for dir in "$@"; do
    copy="$objects/src/${#dirs[@]}-$(basename "$dir")"
    mkdir -p "$copy" && cp -r "$dir"/. "$copy"/ || exit 1
    dirs+=("$copy")
done
headers=("$objects"/src/*/djl_pytorch_utils.h)
[[ -f "${headers[0]}" ]] || { echo "build-djl-jni: no djl_pytorch_utils.h in the source folders" >&2; exit 1; }
for header in "${headers[@]}"; do
    "$py" - "$header" <<'PATCH' || exit 1
import re
import sys

path = sys.argv[1]
text = open(path).read()


def fail(why):
    sys.exit(f"build-djl-jni: cannot patch {path}: {why}")


# DJL's DataType ordinals (ai.djl.ndarray.types.DataType): BFLOAT16 11, INT16 15; UNKNOWN is 9.
for torch_type, ordinal in (("kInt16", 15), ("kBFloat16", 11)):  # each goes right after case 8
    if f"torch::{torch_type} == type" not in text:
        text, n = re.subn(r"(torch::kComplexFloat == type\) \{\s*return 8;)",
                          lambda m: f"{m.group(1)}\n  }} else if (torch::{torch_type} == type) {{\n    return {ordinal};", text)
        if n != 1:
            fail("GetDTypeFromScalarType has no kComplexFloat branch to extend")
    if f"return torch::{torch_type};" not in text:
        text, n = re.subn(r"(case 8:\s*return torch::kComplexFloat;)",
                          lambda m: f"{m.group(1)}\n    case {ordinal}:\n      return torch::{torch_type};", text)
        if n != 1:
            fail("GetScalarTypeFromDType has no case 8 to extend")
# A bare `throw;` outside a catch is std::terminate: give each a real exception naming the value.
for function, what in (("GetScalarTypeFromDType", "unsupported DJL data type"),
                       ("GetInterpolationMode", "unsupported interpolation mode")):
    match = re.search(r"inline [\w:]+ " + function + r"\(jint (\w+)\) \{.*?\n\}", text, re.S)
    if match is None:
        fail(f"{function}(jint) not found")
    body = re.sub(r"\bthrow;", f'throw std::invalid_argument("{what} " + std::to_string({match.group(1)}));',
                  match.group(0))
    text = text[:match.start()] + body + text[match.end():]
if re.search(r"\bthrow;", text):
    fail("a bare `throw;` is left")
if "#include <stdexcept>" not in text:
    text, n = re.subn(r"(#include <jni.h>\n)", r"\1#include <stdexcept>\n#include <string>\n", text)
    if n != 1:
        fail("no #include <jni.h> to put <stdexcept> after")
open(path, "w").write(text)
print(f"build-djl-jni: patched {path.rsplit('/', 2)[-2]}/djl_pytorch_utils.h: bfloat16 and int16, no bare throw",
      file=sys.stderr)
PATCH
done
shim=""
if [[ ! -f "$torch_dir/lib/libtorch_cuda.so" ]]; then
    # A CPU-only torch: DJL's sources include c10/cuda headers whatever the build. Give them the
    # generated macros file such a torch lacks, and define the CUDA allocator pointer that
    # emptyCache() reads, which would otherwise be an undefined symbol when the library loads.
    mkdir -p "$objects/shim/c10/cuda/impl" && : >"$objects/shim/c10/cuda/impl/cuda_cmake_macros.h"
    cat >"$objects/shim/cpu_only_cuda_stub.cc" <<'STUB'
#include <c10/cuda/CUDACachingAllocator.h>
namespace c10::cuda::CUDACachingAllocator {
std::atomic<CUDAAllocator*> allocator;
}
STUB
    dirs+=("$objects/shim")
    shim="-I$objects/shim"
fi
flags=(-O2 -fPIC -std="$std" -w -fpermissive -D_GLIBCXX_USE_CXX11_ABI="$abi" -DUSE_CUDA
    "${dirs[@]/#/-I}" -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" $cuda_include $shim)
export objects
compile() {
    local file=$1 name
    name=$(basename "$file" .cc)
    if g++ "${flags[@]}" -c "$file" -o "$objects/$name.o" 2>"$objects/$name.err"; then
        echo "compiled $name"
    else
        echo "FAILED $name:"; grep -m 8 -E 'error' "$objects/$name.err"; rm -f "$objects/$name.o"
    fi
}
pids=()
for dir in "${dirs[@]}"; do
    for file in "$dir"/*.cc; do [[ -f "$file" ]] && { compile "$file" & pids+=($!); }; done
done
wait "${pids[@]}"
ls "$objects"/*.o >/dev/null 2>&1 || { echo "build-djl-jni: nothing compiled" >&2; exit 1; }
mkdir -p "$(dirname "$target")"
libs=(-ltorch -ltorch_cpu -lc10)
# A CPU-only torch has no CUDA libraries; its JNI library then fails only if a CUDA call is made.
[[ -f "$torch_dir/lib/libtorch_cuda.so" ]] && libs+=(-ltorch_cuda -lc10_cuda)
g++ -shared -o "$target" "$objects"/*.o -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" "${libs[@]}" || exit 1
echo "build-djl-jni: wrote $target" >&2
