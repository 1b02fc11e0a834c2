#!/bin/sh
# make bench: runs tools/bench.py with the venv's Python (moto, the AWS CLI,
# the test fixtures it reuses). Arguments go through: --rounds, --warmup, --budget.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
# What ECR costs: the same binary without the `ecr` feature, in a target
# directory of its own (the first build takes minutes, later ones seconds).
(cd "$repo" && cargo build --quiet --locked --release --target x86_64-unknown-linux-musl \
  -p aws-oidc-cli --no-default-features --target-dir target/no-ecr)
exec "$repo/.venv/bin/python" "$repo/tools/bench.py" "$@"
