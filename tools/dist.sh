#!/bin/sh
# The release files: static binaries, their archives and SHA256SUMS in dist/.
#
#   tools/dist.sh build TARGET...      build each target, pack it twice, rewrite SHA256SUMS
#   tools/dist.sh pack BINARY ARCHIVE  pack one binary into a reproducible .tar.zst or .tar.gz
#   tools/dist.sh sums [DIR]           rewrite DIR/SHA256SUMS (default dist)
#   tools/dist.sh version              print the release version
#
# An archive depends on the binary's bytes alone: one entry `aws-oidc`, mode
# 0755, owner 0:0, mtime 0; gzip without name or time, zstd -19 on one
# thread. So the SHA-256 that the orb pins can be checked by anyone who
# rebuilds the same binary (with the same zstd release, for the .tar.zst).
# Each target ships both: the orb unpacks the .tar.zst where the image has
# zstd (every cimg image: half gzip's unpacking time, 13% smaller), the
# .tar.gz everywhere else.
#
# x86_64 on an x86_64 machine builds with cargo and musl-gcc (musl-tools);
# every other case, aarch64 always, builds with cargo-zigbuild and zig from
# the venv (tests/requirements.txt pins them), the same recipe on a laptop,
# in `make test` and on an arm64 CI machine.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)

die() {
  printf 'dist: %s\n' "$*" >&2
  exit 1
}

# The one place the version lives is [workspace.package] in Cargo.toml.
version() {
  sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1
}

pack() {
  [ $# -eq 2 ] || die "usage: tools/dist.sh pack BINARY ARCHIVE"
  [ -f "$1" ] || die "$1 does not exist: build it first (make dist)"
  case $2 in
    *.tar.gz) compress="gzip -9 -n" ;;
    *.tar.zst)
      command -v zstd >/dev/null 2>&1 || die "packing $2 needs zstd: run make tools"
      compress="zstd -19 -T1 -q -c"
      ;;
    *) die "$2: an archive name ends in .tar.zst or .tar.gz" ;;
  esac
  stage=$(mktemp -d)
  cp "$1" "$stage/aws-oidc"
  # shellcheck disable=SC2086 # $compress is a command with its arguments
  tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
    --mode=0755 --mtime=@0 -C "$stage" -cf - aws-oidc | $compress >"$2.tmp"
  rm -rf "$stage"
  chmod 644 "$2.tmp"
  mv "$2.tmp" "$2"
}

sums() {
  dir=${1:-$repo/dist}
  v=$(version)
  (
    cd "$dir"
    set -- aws-oidc-"$v"-*.tar.zst aws-oidc-"$v"-*.tar.gz
    for f; do [ -f "$f" ] || die "$dir holds no $f: run make dist"; done
    sha256sum "$@" >SHA256SUMS.tmp
    mv SHA256SUMS.tmp SHA256SUMS
  )
}

# cargo for the machine's own x86_64, cargo-zigbuild for everything else.
compile() {
  if [ "$1" = x86_64-unknown-linux-musl ] && [ "$(uname -m)" = x86_64 ]; then
    cargo build --locked --release --target "$1" -p aws-oidc-cli
  else
    [ -x "$repo/.venv/bin/cargo-zigbuild" ] ||
      die "building $1 needs cargo-zigbuild and zig from the venv: run make venv"
    # cargo-zigbuild runs the venv's `python3 -m ziglang` when zig is not on PATH.
    PATH="$repo/.venv/bin:$PATH" cargo zigbuild --locked --release --target "$1" -p aws-oidc-cli
  fi
}

build() {
  [ $# -gt 0 ] || die "usage: tools/dist.sh build TARGET..."
  cd "$repo"
  v=$(version)
  mkdir -p dist
  for target; do
    case $target in
      x86_64-unknown-linux-musl) machine="x86-64" ;;
      aarch64-unknown-linux-musl) machine="ARM aarch64" ;;
      *) die "no release build for $target: x86_64-unknown-linux-musl and aarch64-unknown-linux-musl only" ;;
    esac
    compile "$target"
    bin="target/$target/release/aws-oidc"
    desc=$(file -b "$bin")
    case $desc in
      *"$machine"*static*) ;;
      *) die "$bin is not a static $machine executable: $desc" ;;
    esac
    pack "$bin" "dist/aws-oidc-$v-$target.tar.zst"
    pack "$bin" "dist/aws-oidc-$v-$target.tar.gz"
    for f in "$bin" "dist/aws-oidc-$v-$target.tar.zst" "dist/aws-oidc-$v-$target.tar.gz"; do
      printf '%9d %s\n' "$(wc -c <"$f")" "$f"
    done
  done
  sums dist
}

[ $# -gt 0 ] || die "usage: tools/dist.sh build TARGET... | pack BINARY ARCHIVE | sums [DIR] | version"
command=$1
shift
case $command in
  build) build "$@" ;;
  pack) pack "$@" ;;
  sums) sums "$@" ;;
  version) version ;;
  *) die "unknown command $command: build, pack, sums or version" ;;
esac
