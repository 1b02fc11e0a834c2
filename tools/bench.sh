#!/bin/sh
# make bench: runs tools/bench.py with the venv's Python (moto, the AWS CLI,
# the test fixtures it reuses). Arguments go through: --rounds, --warmup, --budget.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
exec "$repo/.venv/bin/python" "$repo/tools/bench.py" "$@"
