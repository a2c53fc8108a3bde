#!/usr/bin/env bash
# Builds a self-contained folder to copy to a CUDA machine that has no Java, no Maven and no network:
#   jre/            a jlink'd Java runtime with only the modules tlab uses
#   tlab.jar, lib/  the runnable jar and its dependencies, without the CPU libtorch jar and DJL's
#                   Hugging Face tokenizers (no `tokenizer: hf` on the GPU machine)
#   tests/          compiled tests and the JUnit console launcher, for `run.sh test`
#   configs/, examples/data/   the shipped configs and corpora
#   run.sh          sets DJL up to use the libtorch of that machine's Python torch, then runs tlab
#   resume-check.sh, scripts/pytorch_reference.py   for scripts/gpu-measure.sh: the exact-resume check and
#                   the PyTorch peer it benches against tlab on the same GPU
#   jni-build/      what it takes to compile DJL's JNI library there, against that libtorch:
#                   build.sh (scripts/build-djl-jni.sh), the JNI header of DJL's PyTorchLibrary,
#                   jni.h and tlab's support file; DJL's native sources come separately. Only that
#                   library can train in bf16 (it maps bfloat16; DJL's own aborts the JVM on it)
# Usage: scripts/gpu-bundle.sh [OUT_DIR]   (default bundle/tlab-gpu); fails if the folder exceeds 60 MiB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bundle/tlab-gpu}"
junit_console="org.junit.platform:junit-platform-console-standalone:1.11.3"
limit_mib=60

cd "$root"
echo "building with -Pgpu (no CPU libtorch)..." >&2
mvn -q -B -Pgpu -DskipTests package
printf '%s' "-Pgpu" > examples/target/.tlab-build-args   # so ./tlab rebuilds its CPU jar next time
rm -rf "$out"
mkdir -p "$out/lib" "$out/tests" "$out/configs" "$out/examples"
cp examples/target/tlab.jar "$out/"
for jar in examples/target/lib/*.jar; do
    # target/lib may still hold the CPU native jar from an earlier CPU build. DJL's Hugging Face
    # tokenizers jar (18 MiB, its Rust library inside) stays out to keep the bundle small: the GPU
    # runs use the character and GPT-2 tokenizers, and `tokenizer: hf` fails there with a missing class.
    case "$(basename "$jar")" in
        pytorch-native-cpu* | tokenizers-*) ;;
        *) cp "$jar" "$out/lib/" ;;
    esac
done
cp -r core/target/test-classes "$out/tests/core"
cp -r training/target/test-classes "$out/tests/training"
# The GPT-2 import fixture (3 MiB) serves CPU tests only.
rm -rf "$out/tests/training/gpt2-hf"
mvn -q -B dependency:copy -Dartifact="$junit_console" -DoutputDirectory="$out/tests" -Dmdep.stripVersion=true
cp -r configs/. "$out/configs/"
mkdir -p "$out/docs" && cp docs/CONFIG.md "$out/docs/"

# DJL's own JNI library is built for libtorch 2.7.1 only; jni-build/ compiles it for another one.
djl_version=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' pom.xml)
scratch=$(mktemp -d)
mvn -q -B dependency:copy -Dartifact="ai.djl.pytorch:pytorch-engine:$djl_version:jar:sources" -DoutputDirectory="$scratch"
unzip -q -o "$scratch/pytorch-engine-$djl_version-sources.jar" -d "$scratch/src"
mkdir -p "$out/jni-build/include" "$out/jni-build/support"
javac -h "$out/jni-build/include" -d "$scratch/classes" -cp "$(printf '%s:' examples/target/lib/*.jar)" \
    "$scratch"/src/ai/djl/pytorch/jni/*.java "$scratch"/src/ai/djl/pytorch/engine/*.java
jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
cp "$jdk/include/jni.h" "$jdk/include/linux/jni_md.h" "$out/jni-build/include/"
cp scripts/build-djl-jni.sh "$out/jni-build/build.sh"
cp scripts/djl-jni/* "$out/jni-build/support/"
rm -rf "$scratch"
# The corpora as committed, without token shards a local `tlab prepare` left beside them.
git ls-files examples/data | while read -r file; do
    mkdir -p "$out/$(dirname "$file")" && cp "$file" "$out/$file"
done
cp scripts/resume-check.sh "$out/"
mkdir -p "$out/scripts" && cp scripts/pytorch_reference.py "$out/scripts/"   # finds ../examples/data itself

# Modules: what `jdeps --print-module-deps` finds in tlab.jar and lib/*.jar, plus naming, which
# logback loads by name. java.desktop (PNG plots, 10 MiB) is left out to stay under the limit:
# runs made with the bundle write metrics.jsonl but no loss.png.
modules="java.base,java.logging,java.management,java.naming,java.xml,jdk.unsupported"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
# jlink keeps the JVM's native symbols; they are a third of the runtime's size.
strip --strip-unneeded "$out/jre/lib/server/libjvm.so" 2>/dev/null || true

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# tlab on a CUDA machine. `./run.sh train configs/shakespeare-char.yaml --set train.device=gpu`,
# `./run.sh bench ...`, or `./run.sh test` for the tests tagged gpu or bf16 (TLAB_TEST_TAG='any() |
# none()': all of them; the bf16 ones skip unless jni/libdjl_torch.so, from jni-build/build.sh, is
# in use). Uses the libtorch of the Python torch found by TLAB_PYTHON, python3 or
# /opt/torch/.venv/bin/python, unless PYTORCH_LIBRARY_PATH is set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${PYTORCH_LIBRARY_PATH:-}" ]]; then
    for py in ${TLAB_PYTHON:-} python3 /opt/torch/.venv/bin/python; do
        if dir=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null); then
            export PYTORCH_LIBRARY_PATH="$dir/lib"
            cuda=$("$py" -c 'import torch; print(torch.version.cuda or "")' 2>/dev/null)
            torch_version=$("$py" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null)
            echo "run.sh: libtorch from $dir (torch $("$py" -c 'import torch; print(torch.__version__)'), CUDA ${cuda:-none})" >&2
            break
        fi
    done
fi
[[ -n "${PYTORCH_LIBRARY_PATH:-}" ]] || { echo "run.sh: no Python torch found; set PYTORCH_LIBRARY_PATH to a libtorch lib folder" >&2; exit 1; }
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$here/.djl}"
if [[ -f "$here/jni/libdjl_torch.so" && -n "${torch_version:-}" ]]; then
    # Built for this libtorch by scripts/build-djl-jni.sh: DJL takes a JNI library from its cache
    # folder for the version and flavour before it looks in lib/pytorch-jni.
    export PYTORCH_VERSION="$torch_version" PYTORCH_FLAVOR="${cuda:+cu${cuda//./}}"
    PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cpu}"
    jni_dir="$DJL_CACHE_DIR/pytorch/$PYTORCH_VERSION-$PYTORCH_FLAVOR-linux-x86_64"
    mkdir -p "$jni_dir" && cp "$here/jni/libdjl_torch.so" "$jni_dir/0.36.0-libdjl_torch.so"
    echo "run.sh: JNI library jni/libdjl_torch.so, built for torch $torch_version" >&2
fi
# Otherwise the JNI library in lib/pytorch-jni, built for libtorch 2.7.1; these pick its cu128 build.
export PYTORCH_VERSION="${PYTORCH_VERSION:-2.7.1}"
export PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}"
# As ./tlab: libtorch's idle OpenMP threads sleep, so runs sharing the CPU cores do not spin against each other.
[[ -n "${OMP_WAIT_POLICY:-}" ]] || export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-2000}"
java=("$here/jre/bin/java" -Dai.djl.offline=true ${TLAB_JAVA_OPTS:-})
cd "$here"
if [[ "${1:-}" == test ]]; then
    shift
    # The tests find ../configs, ../examples and ../docs from their working directory.
    cd "$here/tests"
    exec "${java[@]}" -Dtlab.configs="$here/configs" -jar "$here/tests/junit-platform-console-standalone.jar" execute \
        --class-path "$here/tests/core:$here/tests/training:$here/tlab.jar:$(printf '%s:' "$here"/lib/*.jar)" \
        --scan-class-path "$here/tests/core:$here/tests/training" --include-tag "${TLAB_TEST_TAG:-gpu | bf16}" "$@"
fi
exec "${java[@]}" -jar "$here/tlab.jar" "$@"
RUN
chmod +x "$out/run.sh"

size_mib=$(( $(du -sk "$out" | cut -f1) / 1024 ))
echo "bundle: $out (${size_mib} MiB)" >&2
if (( size_mib > limit_mib )); then
    echo "bundle is ${size_mib} MiB, over the ${limit_mib} MiB limit" >&2
    exit 1
fi
