#!/usr/bin/env bash
# Paired throughput of two builds of tlab: runs `tlab bench` alternately with jar A and jar B
# (A B B A ...), so the machine's slow phases hit both alike, and prints each run's tokens/s, the
# median of each side and B/A. Use it to show a change does not slow the step: build the old
# commit's jar aside (with its lib/ beside it), then compare it with examples/target/tlab.jar.
# Usage: scripts/ab-jars.sh OLD.jar NEW.jar [ROUNDS [bench options...]]
#   e.g. scripts/ab-jars.sh /tmp/old/tlab.jar examples/target/tlab.jar 3 --steps 300
# A_OPTS and B_OPTS add options to one side only, so one jar can be compared with itself under two
# settings: A_OPTS="--set model.attention=math" B_OPTS="--set model.attention=sdpa" scripts/ab-jars.sh J J
set -euo pipefail
a=$1 b=$2 rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
options=("$@")
[[ ${#options[@]} -gt 0 ]] || options=(--steps 300 --peak-every 0)
dir=$(mktemp -d)
run() { # jar label index
    local side_opts
    [[ $2 == A ]] && side_opts=${A_OPTS:-} || side_opts=${B_OPTS:-}
    # shellcheck disable=SC2086 # a list of options
    java -jar "$1" bench configs/shakespeare-char.yaml "${options[@]}" $side_opts --json "$dir/$2-$3.json" \
        --set output.dir="$dir/runs-$2-$3" >"$dir/$2-$3.log" 2>&1 || { tail -n 20 "$dir/$2-$3.log"; exit 2; }
    printf '%s run %d: %s tokens/s\n' "$2" "$3" "$(rate "$dir/$2-$3.json")"
}
rate() { grep -o '"tokens_per_s"[^,}]*' "$1" | head -n 1 | sed 's/.*: *//'; }
for ((i = 1; i <= rounds; i++)); do
    if ((i % 2)); then run "$a" A "$i"; run "$b" B "$i"; else run "$b" B "$i"; run "$a" A "$i"; fi
done
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ma=$(for f in "$dir"/A-*.json; do rate "$f"; done | median)
mb=$(for f in "$dir"/B-*.json; do rate "$f"; done | median)
awk -v a="$ma" -v b="$mb" 'BEGIN {printf "median A %.0f, B %.0f tokens/s: B/A %.3f\n", a, b, b / a}'
rm -rf "$dir"
