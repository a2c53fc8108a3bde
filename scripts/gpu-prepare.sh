#!/usr/bin/env bash
# Readies one device session for the GPU measurements: builds the bundle (scripts/gpu-bundle.sh,
# bundle/tlab-gpu) and puts DJL's v0.36.0 native sources beside it (bundle/djl-native), which the
# machine compiles against its own torch, then prints the device commands. Both folders are under
# the ignored bundle/, so a device call must carry "bundle".
# Usage: scripts/gpu-prepare.sh DJL_SOURCES
#   DJL_SOURCES: a checkout of github.com/deepjavalibrary/djl, or a bare git repository of it, with
#   the tag v0.36.0
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
djl="${1:?usage: scripts/gpu-prepare.sh DJL_SOURCES (a djl checkout or git repository with tag v0.36.0)}"
cd "$root"
bash scripts/gpu-bundle.sh bundle/tlab-gpu
rm -rf bundle/djl-native && mkdir -p bundle/djl-native
git -C "$djl" archive v0.36.0 engines/pytorch/pytorch-native/src/main/native api/src/main/native \
    | tar -x -C bundle/djl-native
echo "bundle: $(du -sh bundle | cut -f1) in bundle/ (carry limit 64 MiB)" >&2
cat <<'USAGE'
Device commands (each well inside the 600 s a call may take; run from the repository root, carry ["bundle"]).
The sources are a full v0.36.0 tree, so the support file stays out (JNI_SUPPORT=""):
  1. JNI_SUPPORT="" JNI_SOURCES="$PWD/bundle/djl-native/engines/pytorch/pytorch-native/src/main/native $PWD/bundle/djl-native/api/src/main/native" \
       GPU_STEPS="bench peer" bash scripts/gpu-measure.sh bundle/tlab-gpu "$OUT"; cp -r bundle/tlab-gpu/jni "$OUT/"
  2. (same machine, still warm: jni/ is built) GPU_STEPS="test profile resume nanogpt" NANOGPT_SECONDS=60 \
       bash scripts/gpu-measure.sh bundle/tlab-gpu "$OUT"
USAGE
