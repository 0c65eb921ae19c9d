#!/usr/bin/env bash
# Interleaved before/after benchmark of two revisions with this checkout's .venv:
#   bench/ab.sh BEFORE_REV AFTER_REV [ROUNDS] [BENCH ...]     (default: 3 rounds of trigger reconcile)
# Each revision's src/, bench/ and spec/ are exported (git archive) to a temp dir and run
# with PYTHONPATH pointing at it, so both see the same interpreter, packages and load; the
# order alternates per round. Prints each benchmark's output under a "=== round …" header.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 2 ] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
before=$1 after=$2 rounds=${3:-3}
shift $(($# < 3 ? $# : 3))
[ $# -gt 0 ] || set -- trigger reconcile
benches=("$@")
PY=$PWD/.venv/bin/python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cronix-ab-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for side in before after; do
  mkdir -p "$tmp/$side"
  git archive "${!side}" src bench spec | tar -x -C "$tmp/$side"
done
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(before after); else order=(after before); fi
  for side in "${order[@]}"; do
    for bench in "${benches[@]}"; do
      echo "=== round $round $side (${!side}) $bench $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
      (cd "$tmp/$side" && PYTHONPATH="$tmp/$side/src" "$PY" "bench/bench_$bench.py")
    done
  done
done
