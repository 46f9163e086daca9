#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages hlslim needs, non-interactively and only when missing.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also what the test suite uses as independent references
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache git pkg-config
  libtorch-dev libopenblas0-pthread
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libssl-dev libgtest-dev libeigen3-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # python3-torch, python3-onnx, systemc, onnxruntime (via npm): independent references for
  # numbers and files (python3-torch and python3-onnx write and check the models the import
  # tests and examples/import_pytorch read);
  # chromium renders the HTML report; slurm-wlm + munge run a one-node cluster for the sweep test;
  # clang-format checks that the sources follow .clang-format; clang and its libFuzzer runtime
  # build the fuzzers (scripts/fuzz.sh).
  packages+=(python3-torch python3-onnx python3-numpy libsystemc-dev nodejs chromium slurm-wlm munge
             clang-format clang libclang-rt-dev)
  # Debian ships npm as its own package; NodeSource's nodejs package includes it (and conflicts
  # with Debian's npm), so ask for the package only when there is no npm command.
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: every package is installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
