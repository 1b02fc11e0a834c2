#!/bin/sh
# make bench: runs tools/bench.py with the venv's Python (moto, the AWS CLI,
# the test fixtures it reuses). Arguments go through: --rounds, --warmup, --budget.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
# What ECR and EKS cost: the CI build (what the orb installs: every
# default feature but setup-tools) without the `ecr` (the `eks`) feature,
# each in a target directory of its own (the first build takes minutes,
# later ones seconds). Code both share (aws_call) counts in neither.
(cd "$repo" && cargo build --quiet --locked --release --target x86_64-unknown-linux-musl \
  -p aws-oidc-cli --no-default-features --features eks,secrets,codeartifact --target-dir target/no-ecr)
(cd "$repo" && cargo build --quiet --locked --release --target x86_64-unknown-linux-musl \
  -p aws-oidc-cli --no-default-features --features ecr,secrets,codeartifact --target-dir target/no-eks)
# Trimmed as tools/dist.sh trims the release binary, so that the difference is the feature's.
for dir in no-ecr no-eks; do
  sh "$repo/tools/dist.sh" trim x86_64-unknown-linux-musl "$repo/target/$dir/x86_64-unknown-linux-musl/release/aws-oidc"
done
# The account by crate (tools/size.py) reads the symbol table of the same
# release build with its symbols kept (profile `symbols`, Cargo.toml): the
# CI build's features, as the archive the account is of.
(cd "$repo" && cargo build --quiet --locked --profile symbols --target x86_64-unknown-linux-musl \
  -p aws-oidc-cli --no-default-features --features ecr,eks,secrets,codeartifact)
exec "$repo/.venv/bin/python" "$repo/tools/bench.py" "$@"
