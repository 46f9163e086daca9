#!/bin/sh
# Every shipped config validates: each *.yaml under configs/ and examples/, found when the test
# runs (a new file is covered without reconfiguring). A YAML file that is not a pipeline config
# opts out with a first line that reads exactly: # hlslim: not a pipeline config
# Usage: validate_configs_test.sh HLSLIM SOURCE_DIR
set -eu
hlslim=$1
source_dir=$2
found=0
failed=0
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$source_dir/configs" "$source_dir/examples" -name '*.yaml' -type f | sort >"$list"
while IFS= read -r config; do
  if [ "$(head -n 1 "$config")" = "# hlslim: not a pipeline config" ]; then
    echo "skipped (not a pipeline config): $config"
    continue
  fi
  found=$((found + 1))
  if ! "$hlslim" validate "$config"; then
    failed=$((failed + 1))
  fi
done <"$list"
if [ "$found" -eq 0 ]; then
  echo "no config found under $source_dir/configs and $source_dir/examples"
  exit 1
fi
echo "$found config(s) checked, $failed invalid"
[ "$failed" -eq 0 ]
