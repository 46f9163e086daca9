#!/usr/bin/env bash
# Fails, listing them, when C++ files of the project differ from what the project's
# .clang-format makes of them. Skipped (77) where clang-format is not installed
# (scripts/install-deps.sh --test installs it). Fix with:
#   clang-format -i $(git ls-files '*.cpp' '*.hpp' '*.h')
set -uo pipefail
root=${1:?usage: format_check.sh SOURCE_DIR}
format=${CLANG_FORMAT:-clang-format}
if ! command -v "$format" >/dev/null; then
  echo "format_check: $format not found: skipped"
  exit 77
fi
cd "$root" || exit 2
mapfile -t files < <(find src include tests bench fuzz -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
bad=()
for f in "${files[@]}"; do
  "$format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "format_check: ${#bad[@]} of ${#files[@]} files are not formatted with .clang-format:"
  printf '  %s\n' "${bad[@]}"
  echo "fix with: clang-format -i ${bad[*]}"
  exit 1
fi
echo "format_check: ${#files[@]} files formatted"
