#!/bin/sh
# The sweeps of the default pipeline scan it as it is: from `models:` to their `sweep:` block,
# configs/muon_trigger_seeds.yaml and configs/student_study.yaml are configs/muon_trigger.yaml
# line for line (blank lines aside), so the figures they give are the default pipeline's.
# Usage: sweep_bases_test.sh SOURCE_DIR
set -eu
configs=$1/configs
base=$(mktemp)
swept=$(mktemp)
trap 'rm -f "$base" "$swept"' EXIT
sed -n '/^models:/,$p' "$configs/muon_trigger.yaml" | grep -v '^$' >"$base"
status=0
for sweep in muon_trigger_seeds.yaml student_study.yaml; do
  sed -n '/^models:/,/^sweep:/p' "$configs/$sweep" | grep -v -e '^$' -e '^sweep:' >"$swept"
  if diff -u "$base" "$swept"; then
    echo "$sweep: the default pipeline"
  else
    echo "$sweep differs from muon_trigger.yaml between 'models:' and 'sweep:' (above)"
    status=1
  fi
done
exit $status
