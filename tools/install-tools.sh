#!/bin/sh
# Installs what building and testing need, or says exactly what is missing.
# Idempotent: each step checks first, so a warm machine pays nothing.
set -eu

target="${1:-x86_64-unknown-linux-musl}"

if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi

missing=""
command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools"
command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
command -v busybox >/dev/null 2>&1 || missing="$missing busybox"
command -v dash >/dev/null 2>&1 || missing="$missing dash"
command -v file >/dev/null 2>&1 || missing="$missing file"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    apt-get update -qq
    # shellcheck disable=SC2086 # word splitting is the point
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "error: missing tools:$missing" >&2
    echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install$missing)" >&2
    exit 1
  fi
fi
