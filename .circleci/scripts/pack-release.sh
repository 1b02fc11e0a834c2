#!/bin/sh
# The release as shipped, from the two build jobs' archives in dist/:
# SHA256SUMS over both, and the orb packed with this version pinning both.
# Then the hand-offs: orb_source.tar.gz in orb-tools' workspace format (for
# orb-tools/publish and orb-tools/continue) and /tmp/aws-oidc-release (saved
# to the cache that the test-deploy workflow restores: workspaces do not
# cross from the setup workflow to the continued one).
set -eu

die() {
  printf 'pack-release: %s\n' "$*" >&2
  exit 1
}

version=$(tools/dist.sh version)
case ${CIRCLE_TAG:-} in
  v[0-9]*)
    [ "$CIRCLE_TAG" = "v$version" ] ||
      die "tag $CIRCLE_TAG does not name this version: Cargo.toml says $version; bump [workspace.package] version or tag v$version"
    ;;
esac

tools/dist.sh sums dist
cargo run --locked --quiet -p orb-pack -- orb/src --version "$version" --sums dist/SHA256SUMS \
  --target x86_64-unknown-linux-musl --target aarch64-unknown-linux-musl -o dist/orb.yml
cat dist/SHA256SUMS

mkdir -p /tmp/orb-handoff
tar -czf /tmp/orb-handoff/orb_source.tar.gz -C dist orb.yml
rm -rf /tmp/aws-oidc-release
mkdir -p /tmp/aws-oidc-release
cp dist/aws-oidc-"$version"-*.tar.zst dist/aws-oidc-"$version"-*.tar.gz dist/SHA256SUMS dist/orb.yml /tmp/aws-oidc-release/
