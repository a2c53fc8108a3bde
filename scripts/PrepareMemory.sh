#!/usr/bin/env bash
# Prepares a generated text corpus with a 1 GB heap and reports the peak resident memory and MB/s:
# streaming must keep memory flat however large the corpus. From the repository root:
#   scripts/PrepareMemory.sh [MB (default 1024)] [THREADS (default: all cores)] [HEAP (default 1g)]
# The corpus (MB megabytes, files of 64 MB) and the shards go under ${TMPDIR:-/tmp}/tlab-prepare-bench.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mb="${1:-1024}"
threads="${2:-$(nproc)}"
heap="${3:-1g}"
work="${TMPDIR:-/tmp}/tlab-prepare-bench"
corpus="$work/corpus-${mb}mb"
classes="$work/classes"

cd "$root"
mvn -q -B -o -pl training -am compile
mvn -q -B -o -pl training dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$root/training/target/classes:$(cat "$work/cp.txt")"
mkdir -p "$classes"
javac -d "$classes" -cp "$cp" scripts/PrepareMemory.java

if [[ ! -d "$corpus" ]]; then
    java -cp "$classes:$cp" PrepareMemory generate "$corpus.partial" "$mb"
    mv "$corpus.partial" "$corpus"
fi
rm -rf "$work/out"
run() {
    /usr/bin/time -f "peak RSS %M KB, %e s wall, %U s user" \
        java "-Xmx$heap" -cp "$classes:$cp" PrepareMemory prepare "$corpus" "$work/out" "$threads"
}
echo "== prepare $(du -sh "$corpus" | cut -f1) with -Xmx$heap, $threads threads"
run
echo "== again: unchanged inputs are hashed and reused"
run
ls -l "$work/out" | head -20
