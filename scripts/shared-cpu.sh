#!/usr/bin/env bash
# Two runs sharing the CPU: the baby config (configs/shakespeare-char.yaml) for STEPS steps, once
# alone and then as two runs side by side, with build A and build B, each started as its own
# launcher starts it. Prints each run's training tokens/s (done.json) and, per build, how much of
# its speed alone each of the pair kept: about 0.5 on a machine with no other work is fair sharing.
# Usage: scripts/shared-cpu.sh OLD.jar NEW.jar [STEPS [ROUNDS]]
#   e.g. scripts/shared-cpu.sh /tmp/old/tlab.jar examples/target/tlab.jar 200 2
# A_ENV and B_ENV are each build's environment (default: A as ./tlab started it before it set
# OMP_WAIT_POLICY, B as ./tlab starts it now); A_OPTS and B_OPTS add options to one side, e.g.
# B_OPTS="--set train.threads=1". Report `uptime` beside the figures: other work on the machine counts.
set -euo pipefail
a=$1 b=$2 steps=${3:-200} rounds=${4:-1}
a_env=${A_ENV--u OMP_WAIT_POLICY} b_env=${B_ENV-OMP_WAIT_POLICY=PASSIVE}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start() { # jar env opts name: one run in the background (its pid in $!)
    # shellcheck disable=SC2086 # lists of assignments and options
    env $2 java -jar "$1" train configs/shakespeare-char.yaml --set train.steps="$steps" \
        --set train.eval_every=100000 --set train.eval_batches=1 --set sample.tokens=0 \
        --set checkpoint.every=0 --set metrics.tensorboard=false $3 \
        --set output.dir="$dir/runs" --set name="$4" -q >"$dir/$4.log" 2>&1 &
}
rate() { grep -o '"tokens_per_s"[^,}]*' "$dir/runs/$1/done.json" | sed 's/.*: *//'; }
finish() { # name...: each run must have finished (done.json), else its log's tail and exit 2
    for name in "$@"; do
        [[ -f "$dir/runs/$name/done.json" ]] || { tail -n 20 "$dir/$name.log"; exit 2; }
    done
}
measure() { # side jar env opts round
    local alone first second
    start "$2" "$3" "$4" "$1-alone-$5"
    wait $! || true
    finish "$1-alone-$5"
    start "$2" "$3" "$4" "$1-pair1-$5"
    first=$!
    start "$2" "$3" "$4" "$1-pair2-$5"
    second=$!
    wait "$first" "$second" || true
    finish "$1-pair1-$5" "$1-pair2-$5"
    alone=$(rate "$1-alone-$5")
    awk -v s="$1" -v r="$5" -v a="$alone" -v p="$(rate "$1-pair1-$5")" -v q="$(rate "$1-pair2-$5")" 'BEGIN {
        printf "%s round %d: alone %.0f tokens/s; side by side %.0f and %.0f (%.2f and %.2f of alone)\n",
            s, r, a, p, q, p / a, q / a }'
}
echo "load before: $(uptime)"
for ((i = 1; i <= rounds; i++)); do
    if ((i % 2)); then
        measure A "$a" "$a_env" "${A_OPTS:-}" "$i"; measure B "$b" "$b_env" "${B_OPTS:-}" "$i"
    else
        measure B "$b" "$b_env" "${B_OPTS:-}" "$i"; measure A "$a" "$a_env" "${A_OPTS:-}" "$i"
    fi
done
echo "load after: $(uptime)"
