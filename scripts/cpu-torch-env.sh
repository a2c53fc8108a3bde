#!/usr/bin/env bash
# DJL on the libtorch of a pip torch, on the CPU, with DJL's JNI library compiled for that libtorch
# by scripts/build-djl-jni.sh: the same setup as the GPU bundle's run.sh, for a machine without a
# GPU. It is how bf16 trains on a CPU (DJL's own JNI library cannot hold bfloat16; see
# docs/ARCHITECTURE.md, "Half precision") and how the tests tagged bf16 run there.
#
#   scripts/cpu-torch-env.sh COMMAND [ARGS...]    runs COMMAND in that environment
#   eval "$(scripts/cpu-torch-env.sh)"            puts it into this shell
# e.g.
#   export TLAB_PYTHON=/tmp/tv/bin/python DJL_SOURCES=/path/to/djl
#   scripts/cpu-torch-env.sh mvn -B -o -q test -pl core,training -am -Dtest.groups=bf16 \
#       -Dtest.excludedGroups=gpu -Dsurefire.failIfNoSpecifiedTests=false
#   scripts/cpu-torch-env.sh java -jar examples/target/tlab.jar train configs/shakespeare-char.yaml \
#       --set train.precision=bf16
#
# TLAB_PYTHON   the Python whose torch to use (default python3). A CUDA build is fine: it runs on the CPU.
# DJL_SOURCES   DJL's sources, needed the first time only (to build the JNI library): a checkout of
#               v<djl.version>, or a git repository (bare too) that has that tag.
# TLAB_JNI_DIR  where the JNI library and the DJL cache folder that serves it go
#               (default ~/.cache/tlab/djl-jni/torch-<torch version>).
# Sets PYTORCH_LIBRARY_PATH (that torch's lib/), PYTORCH_VERSION, PYTORCH_FLAVOR=cpu, DJL_CACHE_DIR
# (DJL takes the JNI library from DJL_CACHE_DIR/pytorch/<version>-cpu-linux-x86_64/) and DJL_OFFLINE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${TLAB_PYTHON:-python3}"
torch_dir=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')
version=$("$py" -c 'import torch; print(torch.__version__.split("+")[0])')
djl_version=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' "$root/pom.xml")
jni_dir="${TLAB_JNI_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tlab/djl-jni/torch-$version}"
jni="$jni_dir/libdjl_torch.so"

build_jni() {
    [[ -n "${DJL_SOURCES:-}" ]] || {
        echo "cpu-torch-env: no JNI library at $jni yet; set DJL_SOURCES to DJL's sources (v$djl_version) to build it" >&2
        exit 1
    }
    local scratch src native jars jdk
    scratch=$(mktemp -d)
    if git -C "$DJL_SOURCES" rev-parse -q --verify "v$djl_version^{commit}" >/dev/null 2>&1; then
        src="$scratch/djl"
        mkdir -p "$src"
        git -C "$DJL_SOURCES" archive "v$djl_version" engines/pytorch/pytorch-native/src/main/native \
            api/src/main/native engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni | tar -x -C "$src"
    else
        src="$DJL_SOURCES"
    fi
    native="$src/engines/pytorch/pytorch-native/src/main/native"
    [[ -f "$native/djl_pytorch_utils.h" ]] || { echo "cpu-torch-env: $DJL_SOURCES holds no DJL native sources" >&2; exit 1; }
    # The JNI header: javac -h of DJL's PyTorchLibrary.java, against DJL's jars from the local repository.
    jars="$HOME/.m2/repository/ai/djl/api/$djl_version/api-$djl_version.jar"
    jars+=":$HOME/.m2/repository/ai/djl/pytorch/pytorch-engine/$djl_version/pytorch-engine-$djl_version.jar"
    mkdir -p "$scratch/include"
    javac -h "$scratch/include" -d "$scratch/classes" -cp "$jars" \
        "$src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
    jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    cp "$jdk/include/jni.h" "$jdk/include/linux/jni_md.h" "$scratch/include/"
    mkdir -p "$jni_dir"
    echo "cpu-torch-env: building $jni (minutes)" >&2
    # v0.36.0's sources have JNI_OnLoad, the logger and every method: no support folder.
    TLAB_PYTHON="$py" bash "$root/scripts/build-djl-jni.sh" "$jni.new" "$native" "$src/api/src/main/native" \
        "$scratch/include" | tee "$scratch/build.log" >&2
    if grep -q '^FAILED' "$scratch/build.log"; then
        echo "cpu-torch-env: some DJL sources did not compile (above); not using $jni.new" >&2
        exit 1
    fi
    mv "$jni.new" "$jni"
    rm -rf "$scratch"
}

[[ -f "$jni" ]] || build_jni
cache="$jni_dir/djl-cache"
served="$cache/pytorch/$version-cpu-linux-x86_64/$djl_version-libdjl_torch.so"
if ! cmp -s "$jni" "$served"; then
    mkdir -p "$(dirname "$served")" && cp "$jni" "$served"
fi
export PYTORCH_LIBRARY_PATH="$torch_dir/lib" PYTORCH_VERSION="$version" PYTORCH_FLAVOR=cpu
export DJL_CACHE_DIR="$cache" DJL_OFFLINE=true
if (( $# == 0 )); then
    for name in PYTORCH_LIBRARY_PATH PYTORCH_VERSION PYTORCH_FLAVOR DJL_CACHE_DIR DJL_OFFLINE; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done
    exit 0
fi
echo "cpu-torch-env: libtorch $version from $torch_dir, JNI library $jni" >&2
exec "$@"
