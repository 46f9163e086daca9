#!/bin/sh
# The sweeps of the default pipeline scan it as it is. From `models:` to its `sweep:` block,
# configs/muon_trigger_seeds.yaml is configs/muon_trigger.yaml line for line (blank lines
# aside), so the figures it gives are the default pipeline's. configs/student_study.yaml is too,
# except for the student it sweeps (its `student:` model, up to `stages:`) and the student's
# pruning (the distill stage's `prune:` line), so its teachers and every other stage are the
# default pipeline's.
# Usage: sweep_bases_test.sh SOURCE_DIR
set -eu
configs=$1/configs
base=$(mktemp)
swept=$(mktemp)
trap 'rm -f "$base" "$swept"' EXIT
# Drops the student's model block and the distill stage's prune line.
without_student() {
  awk '/^  # Student:/ { skip = 1 } /^stages:/ { skip = 0 } /^    prune: \{sparsity/ { next } !skip' "$1"
}
status=0
for sweep in muon_trigger_seeds.yaml student_study.yaml; do
  sed -n '/^models:/,$p' "$configs/muon_trigger.yaml" | grep -v '^$' >"$base"
  sed -n '/^models:/,/^sweep:/p' "$configs/$sweep" | grep -v -e '^$' -e '^sweep:' >"$swept"
  what="the default pipeline"
  if [ "$sweep" = student_study.yaml ]; then
    without_student "$base" >"$base.x" && mv "$base.x" "$base"
    without_student "$swept" >"$swept.x" && mv "$swept.x" "$swept"
    what="the default pipeline but for the student and its pruning"
  fi
  if [ ! -s "$swept" ] || ! grep -q '^  - stage: distill' "$swept"; then
    echo "$sweep: no distill stage found between 'models:' and 'sweep:'"
    status=1
  elif diff -u "$base" "$swept"; then
    echo "$sweep: $what"
  else
    echo "$sweep differs from muon_trigger.yaml between 'models:' and 'sweep:' (above)"
    status=1
  fi
done
exit $status
