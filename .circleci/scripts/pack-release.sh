#!/bin/sh
# The release as shipped, from the build jobs' archives in dist/ (every target):
# SHA256SUMS over them, and the orb packed with this version pinning them all.
# Then the hand-offs: orb_source.tar.gz in orb-tools' workspace format (for
# orb-tools/publish and orb-tools/continue) and /tmp/aws-oidc-release (saved
# to the cache that the test-deploy workflow restores: workspaces do not
# cross from the setup workflow to the continued one).
set -eu

# Where the cache hand-off lives (AWS_OIDC_RELEASE_DIR is for the tests).
release=${AWS_OIDC_RELEASE_DIR:-/tmp/aws-oidc-release}

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
# A rerun of this job in the same pipeline restored what the first run saved.
# save_cache will keep that, so stage 2 would test those archives against
# this run's pins: stop here unless they are the same.
if [ -f "$release/SHA256SUMS" ] && ! cmp -s dist/SHA256SUMS "$release/SHA256SUMS"; then
  die "this pipeline already saved a release with other archives (an earlier run of this job), and a cache cannot be overwritten: start a new pipeline for this commit instead of rerunning (docs/releasing.md, \"When something fails\")"
fi
cargo run --locked --quiet -p orb-pack -- orb/src --version "$version" --sums dist/SHA256SUMS \
  --target x86_64-unknown-linux-musl --target aarch64-unknown-linux-musl \
  --target aarch64-apple-darwin --target x86_64-apple-darwin --target x86_64-pc-windows-gnu \
  -o dist/orb.yml
cat dist/SHA256SUMS

mkdir -p /tmp/orb-handoff
tar -czf /tmp/orb-handoff/orb_source.tar.gz -C dist orb.yml
rm -rf "$release"
mkdir -p "$release"
cp dist/aws-oidc-"$version"-*.tar.zst dist/aws-oidc-"$version"-*.tar.gz dist/SHA256SUMS dist/orb.yml "$release/"
