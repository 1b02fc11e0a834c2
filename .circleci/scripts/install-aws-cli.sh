#!/bin/sh
# The AWS CLI, for the checks after aws-oidc/setup: the orb does not install
# it, and cimg/base and Alpine do not have it. Kept if already there.
#
# POSIX sh: it runs on Alpine too.
set -eu

if command -v aws >/dev/null 2>&1; then
  aws --version
  exit 0
fi

as_root=""
[ "$(id -u)" = 0 ] || as_root="sudo"

if command -v apk >/dev/null 2>&1; then
  # Alpine's package (musl); it brings python3, which serves the release mirror.
  $as_root apk add --no-cache aws-cli
else
  tmp=$(mktemp -d)
  curl -fsSL --retry 3 -o "$tmp/awscliv2.zip" "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip"
  unzip -q "$tmp/awscliv2.zip" -d "$tmp"
  $as_root "$tmp/aws/install"
  rm -rf "$tmp"
fi
aws --version
