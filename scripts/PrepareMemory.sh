#!/usr/bin/env bash
# Peak resident memory and MB/s of `tlab prepare` on a generated corpus under a small heap:
# streaming must keep memory flat however large the corpus. From the repository root, after
# `./tlab --version` has built the jar:
#   scripts/PrepareMemory.sh [MB (default 1024)] [TOKENIZER (default gpt2; bpe trains one first)] [HEAP (default 1g)]
# The corpus (MB megabytes in files of 64 MB) and the shards go under ${TMPDIR:-/tmp}/tlab-prepare-bench.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mb="${1:-1024}"
tokenizer="${2:-gpt2}"
heap="${3:-1g}"
work="${TMPDIR:-/tmp}/tlab-prepare-bench"
corpus="$work/corpus-${mb}mb"
jar="$root/examples/target/tlab.jar"
[[ -f "$jar" ]] || { echo "build the jar first: ./tlab --version" >&2; exit 2; }

mkdir -p "$work"
if [[ ! -d "$corpus" ]]; then
    java -cp "$jar:$root/examples/target/lib/*" "$root/scripts/PrepareMemory.java" generate "$corpus.partial" "$mb"
    mv "$corpus.partial" "$corpus"
fi
cat > "$work/prepare.yaml" <<YAML
extends: $root/configs/shakespeare-char.yaml
name: prepare-bench
data:
  path: $corpus
  tokenizer: $tokenizer
  cache: $work/out
YAML
rm -rf "$work/out"
run() {
    /usr/bin/time -f "peak RSS %M KB, %e s wall, %U s user" java "-Xmx$heap" -jar "$jar" prepare "$work/prepare.yaml"
}
echo "== tlab prepare, $tokenizer, $(du -sh "$corpus" | cut -f1) of text, -Xmx$heap, $(nproc) cores"
run
echo "== again: unchanged inputs are hashed and reused"
run
