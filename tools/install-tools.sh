#!/bin/sh
# Installs what building and testing need, or says exactly what is missing.
# Idempotent: each step checks first, so a warm machine pays nothing.
#
#   tools/install-tools.sh [--build] [TARGET...]   (default: x86_64-unknown-linux-musl)
#
# --build: only what building TARGETs and their archives needs (`make
# build`, `make dist`, and so `make demo`), not the test tools (Wine, qemu,
# the registries and clients the end-to-end tests run, shellcheck, ...).
#
# zig and cargo-zigbuild (for aarch64 Linux and both macOS targets) are
# Python packages: `make venv` installs them with the other pinned test tools.
set -eu

build_only=false
if [ "${1:-}" = --build ]; then
  build_only=true
  shift
fi
[ $# -gt 0 ] || set -- x86_64-unknown-linux-musl

installed=$(rustup target list --installed)
for target; do
  if ! printf '%s\n' "$installed" | grep -qx "$target"; then
    rustup target add "$target"
    installed="$installed
$target"
  fi
done

missing=""
# Building: musl's gcc wrapper for the Linux targets' C code (ring), file(1)
# for tools/dist.sh's check of each binary, zstd for the .tar.zst archives,
# and python3's venv module for `make venv` (zig, moto, the AWS CLI).
command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools"
command -v file >/dev/null 2>&1 || missing="$missing file"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"
case " $* " in
  *" x86_64-pc-windows-gnu "*)
    command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing="$missing gcc-mingw-w64-x86-64"
    ;;
esac
# Testing: the shells, registries and clients the end-to-end tests run.
if ! $build_only; then
  command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
  command -v busybox >/dev/null 2>&1 || missing="$missing busybox"
  command -v dash >/dev/null 2>&1 || missing="$missing dash"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
  # tests/test_ecr.py: a real registry (Debian's build of the distribution
  # registry) with htpasswd auth (bcrypt, from apache2-utils), and skopeo as
  # the registry client that reads what ecr-login writes.
  command -v docker-registry >/dev/null 2>&1 || missing="$missing docker-registry"
  command -v skopeo >/dev/null 2>&1 || missing="$missing skopeo"
  command -v htpasswd >/dev/null 2>&1 || missing="$missing apache2-utils"
  # tests/test_eks.py: kubectl runs aws-oidc as its exec plugin. Debian's
  # kubernetes-client conflicts with the kubectl package some images carry,
  # so it is installed only where there is no kubectl at all.
  command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
  # tests/test_codeartifact.py: npm, and verdaccio (installed below with npm)
  # as the registry it logs in to.
  command -v npm >/dev/null 2>&1 || missing="$missing npm"
  # An arm64 binary built on another machine is tested under user-mode emulation.
  case " $* " in
    *" aarch64-unknown-linux-musl "*)
      if [ "$(uname -m)" != aarch64 ]; then
        command -v qemu-aarch64-static >/dev/null 2>&1 || missing="$missing qemu-user-static"
      fi
      ;;
  esac
  # The Windows build's tests run the exe under Wine (no display needed).
  case " $* " in
    *" x86_64-pc-windows-gnu "*)
      command -v wine >/dev/null 2>&1 || missing="$missing wine wine64"
      ;;
  esac
  # The macOS and Windows binaries cannot run here: their headers are read instead.
  case " $* " in
    *-apple-darwin* | *-windows-*)
      command -v llvm-objdump >/dev/null 2>&1 || missing="$missing llvm"
      ;;
  esac
fi

if [ -n "$missing" ]; then
  # root installs; a CI user with password-less sudo (CircleCI images) does too.
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo"
  else
    as_root="none"
  fi
  if [ "$as_root" != none ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    $as_root apt-get update -qq
    # shellcheck disable=SC2086 # word splitting is the point
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "error: missing tools:$missing" >&2
    echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install$missing)" >&2
    exit 1
  fi
fi

# The npm registry tests/test_codeartifact.py publishes to, from npm's registry.
$build_only || "$(dirname "$0")/install-verdaccio.sh"
