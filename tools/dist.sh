#!/bin/sh
# The release files: static binaries, their archives and SHA256SUMS in dist/.
#
#   tools/dist.sh build TARGET...      build each target, pack it twice, rewrite SHA256SUMS
#                                      (AWS_OIDC_PROFILE=e2e: the test build, see Cargo.toml;
#                                      AWS_OIDC_BUILDS="ci": the CI build alone, see below)
#   tools/dist.sh pack BINARY ARCHIVE  pack one binary into a reproducible .tar.zst or .tar.gz
#   tools/dist.sh sums [DIR]           rewrite DIR/SHA256SUMS (default dist)
#   tools/dist.sh trim TARGET BINARY   drop what a release binary of TARGET never reads (see trim())
#   tools/dist.sh version              print the release version
#
# Two builds of each target: `aws-oidc-VERSION-TARGET` is the one CI jobs
# download (what the orb installs): every command a job runs, without the
# setup-time tools (`trust-policy`, `migrate-config`, `thumbprint`: cargo
# feature `setup-tools`), which every job would otherwise download for
# nothing (docs/size.md has the bytes). `aws-oidc-full-VERSION-TARGET` has
# them, for a workstation. The full build is built last, so that
# target/TARGET/PROFILE/aws-oidc is the full build.
#
# An archive depends on the binary's bytes alone: one entry, `aws-oidc`
# (`aws-oidc.exe` in a Windows archive), mode 0755, owner 0:0, mtime 0; gzip
# without name or time, zstd -19 on one thread. So the SHA-256 that the orb
# pins can be checked by anyone who rebuilds the same binary (with the same
# zstd release, for the .tar.zst). Each target ships both: the orb unpacks
# the .tar.zst where the image has zstd (every cimg image: half gzip's
# unpacking time, 13% smaller), the .tar.gz everywhere else (macOS has no
# zstd by default; Windows' own tar.exe and Git Bash's tar read it).
#
# x86_64 Linux on an x86_64 machine builds with cargo and musl-gcc
# (musl-tools); Windows with cargo and Debian's mingw-w64 gcc; every other
# case (aarch64 Linux, both macOS) with cargo-zigbuild and zig from the venv
# (tests/requirements.txt pins them), the same recipe on a laptop, in `make
# test` and on an arm64 CI machine. zig ships no Apple SDK: the few Security
# and CoreFoundation symbols that reading the keychain's CAs needs are linked
# against the text stubs in tools/macos-frameworks, so the binary loads the
# real frameworks of the Mac it runs on.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)

# The cargo profile: release for what ships and what make bench measures;
# e2e (Cargo.toml) for the end-to-end tests' builds of the other targets.
profile=${AWS_OIDC_PROFILE:-release}
case $profile in
  release | e2e) ;;
  *) echo "dist: AWS_OIDC_PROFILE is release or e2e, not $profile" >&2 && exit 1 ;;
esac

all_targets="x86_64-unknown-linux-musl
aarch64-unknown-linux-musl
aarch64-apple-darwin
x86_64-apple-darwin
x86_64-pc-windows-gnu"

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
  case ${2##*/} in
    *-windows-*) entry=aws-oidc.exe ;;
    *) entry=aws-oidc ;;
  esac
  stage=$(mktemp -d)
  cp "$1" "$stage/$entry"
  # shellcheck disable=SC2086 # $compress is a command with its arguments
  tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
    --mode=0755 --mtime=@0 -C "$stage" -cf - "$entry" | $compress >"$2.tmp"
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
    # The full builds, where this machine built them.
    for f in aws-oidc-full-"$v"-*.tar.zst aws-oidc-full-"$v"-*.tar.gz; do
      if [ -f "$f" ]; then set -- "$@" "$f"; fi
    done
    sha256sum "$@" >SHA256SUMS.tmp
    mv SHA256SUMS.tmp SHA256SUMS
  )
}

# The unwind tables (.eh_frame, its index .eh_frame_hdr, and the landing-pad
# tables .gcc_except_table they point to) are 14% of the x86_64 binary and
# dead weight in it: with panic = "abort" nothing unwinds, so the only
# reader left is the backtrace a panic prints under RUST_BACKTRACE=1, which
# the stripped binary could not name anyway (the panic message and its
# file:line stay). rustc's -C force-unwind-tables=no does not remove them
# (LLVM still emits CFI for every x86_64 function, and the prebuilt std has
# its own), and GNU ld cannot discard them without a linker script of its
# own, so objcopy takes them out of the linked file. x86_64 Linux only: that
# is where they sit last in their segment, so the file shrinks by their size
# (on aarch64 lld puts them before .text, and Debian's objcopy reads no
# aarch64 ELF); Windows needs its unwind data, and Mach-O keeps its own.
# docs/size.md has the figures.
trim() {
  [ $# -eq 2 ] || die "usage: tools/dist.sh trim TARGET BINARY"
  case $1 in
    x86_64-unknown-linux-musl)
      objcopy --remove-section=.eh_frame --remove-section=.eh_frame_hdr \
        --remove-section=.gcc_except_table "$2"
      # Built and trimmed on the machine it runs on: check it still starts.
      if [ "$(uname -sm)" = "Linux x86_64" ]; then
        "$2" --version >/dev/null || die "$2 does not run after trimming its unwind tables"
      fi
      ;;
  esac
}

# The oldest macOS the binaries run on (zig would stamp its own newest).
macos_min=11.0

# The cargo features of each build: the CI build is every default feature
# but `setup-tools` (crates/cli/Cargo.toml).
ci_features=ecr,eks,secrets,codeartifact
builds=${AWS_OIDC_BUILDS:-ci full}
case $builds in
  "ci full" | ci) ;;
  *) echo "dist: AWS_OIDC_BUILDS is \"ci full\" or ci, not $builds" >&2 && exit 1 ;;
esac

# cargo for the machine's own x86_64 and for Windows, cargo-zigbuild for
# everything else; $2 is the build (ci or full).
compile() {
  if [ "$2" = ci ]; then
    set -- "$1" --no-default-features --features "$ci_features"
  else
    set -- "$1"
  fi
  if [ "$1" = x86_64-unknown-linux-musl ] && [ "$(uname -m)" = x86_64 ]; then
    cargo build --locked --profile "$profile" --target "$@" -p aws-oidc-cli
  elif [ "$1" = x86_64-pc-windows-gnu ]; then
    command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 ||
      die "building $1 needs mingw-w64's gcc: run make tools"
    cargo build --locked --profile "$profile" --target "$@" -p aws-oidc-cli
  else
    [ -x "$repo/.venv/bin/cargo-zigbuild" ] ||
      die "building $1 needs cargo-zigbuild and zig from the venv: run make venv"
    # cargo-zigbuild runs the venv's `python3 -m ziglang` when zig is not on PATH.
    case $1 in
      *-apple-darwin)
        # -F: the framework stubs; the variable is per target, so it adds to
        # no other target's flags.
        flags_var=CARGO_TARGET_$(echo "$1" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
        env "$flags_var=-C link-arg=-F$repo/tools/macos-frameworks" \
          MACOSX_DEPLOYMENT_TARGET=$macos_min \
          PATH="$repo/.venv/bin:$PATH" cargo zigbuild --locked --profile "$profile" --target "$@" -p aws-oidc-cli
        ;;
      *) PATH="$repo/.venv/bin:$PATH" cargo zigbuild --locked --profile "$profile" --target "$@" -p aws-oidc-cli ;;
    esac
  fi
}

build() {
  [ $# -gt 0 ] || die "usage: tools/dist.sh build TARGET..."
  cd "$repo"
  v=$(version)
  mkdir -p dist
  for target; do
    # What file(1) must say of the binary: the CPU, and static where that exists.
    exe=aws-oidc
    case $target in
      x86_64-unknown-linux-musl) want="*x86-64*static*" ;;
      aarch64-unknown-linux-musl) want="*ARM aarch64*static*" ;;
      aarch64-apple-darwin) want="Mach-O 64-bit*arm64*executable*" ;;
      x86_64-apple-darwin) want="Mach-O 64-bit*x86_64*executable*" ;;
      x86_64-pc-windows-gnu) want="PE32+ executable*console*x86-64*" exe=aws-oidc.exe ;;
      *) die "no release build for $target: $(echo "$all_targets" | tr '\n' ' ')only" ;;
    esac
    for b in $builds; do
      compile "$target" "$b"
      bin="target/$target/$profile/$exe"
      trim "$target" "$bin"
      desc=$(file -b "$bin")
      # shellcheck disable=SC2254 # $want is a pattern
      case $desc in
        $want) ;;
        *) die "$bin is not what a $target release holds ($want): $desc" ;;
      esac
      name=aws-oidc-$v-$target
      if [ "$b" = full ]; then name=aws-oidc-full-$v-$target; fi
      pack "$bin" "dist/$name.tar.zst"
      pack "$bin" "dist/$name.tar.gz"
      for f in "$bin" "dist/$name.tar.zst" "dist/$name.tar.gz"; do
        printf '%9d %s\n' "$(wc -c <"$f")" "$f"
      done
    done
  done
  sums dist
}

[ $# -gt 0 ] || die "usage: tools/dist.sh build TARGET... | pack BINARY ARCHIVE | sums [DIR] | trim TARGET BINARY | version"
command=$1
shift
case $command in
  build) build "$@" ;;
  pack) pack "$@" ;;
  sums) sums "$@" ;;
  trim) trim "$@" ;;
  version) version ;;
  *) die "unknown command $command: build, pack, sums, trim or version" ;;
esac
