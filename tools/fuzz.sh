#!/bin/sh
# make fuzz: runs every cargo-fuzz target for a while (nightly toolchain).
# A crash leaves its input in fuzz/artifacts/<target>/: turn it into a
# regression test beside the code it broke, then fix the code.
set -eu
cd "$(dirname "$0")/../fuzz"
seconds="${1:-30}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
for target in $(cargo +nightly fuzz list); do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "corpus/$target"
  # New finds go to corpus/ (not committed); seeds/ holds the hand-made starting points.
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 |
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|INFO: Done|artifact_prefix|Test unit written)' || true
  # cargo fuzz exits non-zero on a crash; grep above must not hide that.
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "fuzz target $target found a crash: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
echo "all fuzz targets ran clean"
