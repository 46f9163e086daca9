#!/usr/bin/env bash
# The two commands of the README's quick start.
#   scripts/quickstart.sh          install what is missing, build, run configs/muon_trigger.yaml
#   scripts/quickstart.sh --test   install what is missing, build, run the test suite
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

mode=run
[[ "${1:-}" == "--test" ]] && mode=test
if [[ $mode == test ]]; then scripts/install-deps.sh --test; else scripts/install-deps.sh; fi

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ $mode == test ]]; then
  cmake --build build -j "$jobs"  # everything: the tool, the tests and the benchmarks
else
  cmake --build build -j "$jobs" --target hlslim  # only what running needs
fi

if [[ $mode == test ]]; then
  ctest --test-dir build --output-on-failure -j "$jobs"
  # Then every libFuzzer target for 25 s, in its own clang build (build-fuzz/, docs/testing.md).
  scripts/fuzz.sh
else
  # --resume makes a second quick start reuse what the first one finished.
  build/hlslim run configs/muon_trigger.yaml --resume
fi
