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

case $(uname -s) in
  Darwin) os=macos ;;
  MINGW* | MSYS*) os=windows ;;
  *) os=linux ;;
esac

if [ "$os" = macos ]; then
  tmp=$(mktemp -d)
  curl -fsSL --retry 3 -o "$tmp/AWSCLIV2.pkg" https://awscli.amazonaws.com/AWSCLIV2.pkg
  sudo installer -pkg "$tmp/AWSCLIV2.pkg" -target /
  rm -rf "$tmp"
elif [ "$os" = windows ]; then
  # Git Bash turns /qn into a path: MSYS2_ARG_CONV_EXCL keeps it.
  MSYS2_ARG_CONV_EXCL="*" msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi /qn
  # shellcheck disable=SC2016 # expanded by later steps
  echo 'export PATH="/c/Program Files/Amazon/AWSCLIV2:$PATH"' >>"$BASH_ENV"
  export PATH="/c/Program Files/Amazon/AWSCLIV2:$PATH"
elif command -v apk >/dev/null 2>&1; then
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
