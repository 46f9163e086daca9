#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan in their own build directory and
# runs each one for a while (docs/testing.md). Exits non-zero when any target crashes, leaks,
# times out or runs out of memory, naming the saved input.
#   scripts/fuzz.sh                  every target, 25 s each
#   scripts/fuzz.sh 600 fuzz_npy     one target, 10 minutes
# Environment: HLSLIM_FUZZ_BUILD (build directory, default build-fuzz), HLSLIM_FUZZ_JOBS (build
# jobs, default nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-25}
shift || true
all_targets=(fuzz_config fuzz_precision fuzz_npy fuzz_hlsd fuzz_hlsm)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")
build=${HLSLIM_FUZZ_BUILD:-build-fuzz}
jobs=${HLSLIM_FUZZ_JOBS:-$(nproc)}

# Per target: the longest input worth trying, the memory limit and the time one input may take.
# The config target loads LibTorch, which alone takes a few hundred MB under ASan.
declare -A max_len=([fuzz_config]=8192 [fuzz_precision]=128 [fuzz_npy]=4096 [fuzz_hlsd]=8192
                    [fuzz_hlsm]=16384)
declare -A rss_mb=([fuzz_config]=4096 [fuzz_precision]=1024 [fuzz_npy]=2048 [fuzz_hlsd]=2048
                   [fuzz_hlsm]=2048)
declare -A timeout_s=([fuzz_config]=30 [fuzz_precision]=5 [fuzz_npy]=10 [fuzz_hlsd]=10
                      [fuzz_hlsm]=10)

# clang and its libFuzzer runtime (Debian: clang, libclang-rt-dev), installed when missing as
# scripts/install-deps.sh installs the rest.
has_fuzzer() {
  command -v clang++ >/dev/null && [[ -f $(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a) ]]
}
if ! has_fuzzer; then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "fuzz: installing clang and libclang-rt-dev"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-dev >/dev/null || true
  has_fuzzer || { echo "fuzz: clang++ with libFuzzer is needed (Debian: clang libclang-rt-dev)" >&2; exit 1; }
fi
start=$SECONDS
# -O1 -g: fast enough to fuzz, and the stacks of a report name every line.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DHLSLIM_FUZZ=ON -DHLSLIM_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
echo "fuzz: built in $((SECONDS - start)) s"

failed=()
for target in "${targets[@]}"; do
  [[ -n "${max_len[$target]:-}" ]] || { echo "fuzz: unknown target '$target'" >&2; exit 2; }
  # New inputs go to a working corpus in the build directory; the committed seeds (and the
  # regression inputs among them) are read only. Every seed runs first, so an old crash
  # that comes back fails at once.
  work="$build/fuzz-corpus/$target"
  crashes="$build/fuzz-crashes/$target"
  log="$build/fuzz-logs/$target.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  echo "fuzz: $target for ${seconds} s"
  if "$build/fuzz/$target" "$work" "fuzz/corpus/$target" -max_total_time="$seconds" \
      -max_len="${max_len[$target]}" -rss_limit_mb="${rss_mb[$target]}" \
      -timeout="${timeout_s[$target]}" -artifact_prefix="$crashes/" -print_final_stats=1 \
      -seed="${HLSLIM_FUZZ_SEED:-1}" \
      >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$log" | sed "s/^/fuzz:   /" || true
  else
    failed+=("$target")
    echo "fuzz: $target FAILED; the end of $log:" >&2
    tail -n 60 "$log" >&2
    grep -h 'Test unit written to' "$log" | sed 's/^/fuzz: input saved: /' >&2 || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: $build/fuzz/<target> <saved input>)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding ($((SECONDS - start)) s in all)"
