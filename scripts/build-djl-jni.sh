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
# when the sources have them (duplicate symbols at link time say so). A source file that fails to
# compile is left out and named: its native methods then fail only when called.
set -uo pipefail
target="$1"
shift
dirs=()
for dir in "$@"; do dirs+=("$(cd "$dir" && pwd)"); done
py="${TLAB_PYTHON:-$(command -v python3 || echo /opt/torch/.venv/bin/python)}"
torch_dir=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))') || exit 1
abi=$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
cuda_include=""
for dir in "${CUDA_HOME:-/usr/local/cuda}/include" "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x)")/../include"; do
    [[ -f "$dir/cuda_runtime_api.h" ]] && { cuda_include="-I$dir"; break; }
done
echo "build-djl-jni: torch at $torch_dir, C++11 ABI $abi, CUDA headers ${cuda_include:-none}" >&2

objects="$(mktemp -d)"
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
flags=(-O2 -fPIC -std=c++17 -w -fpermissive -D_GLIBCXX_USE_CXX11_ABI="$abi" -DUSE_CUDA
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
