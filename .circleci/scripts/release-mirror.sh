#!/bin/sh
# This pipeline's release on 127.0.0.1, laid out like the GitHub release, so
# that aws-oidc/setup with `download_url` downloads it and checks it against
# the SHA-256 the dev orb pins, exactly as a user's job checks the real one.
#
#   release-mirror.sh check   the files config.yml's pack job saved are here and whole
#   release-mirror.sh serve   serve them (a background step)
#   release-mirror.sh wait    until the mirror answers
#
# POSIX sh: it runs on Alpine too.
set -eu

# Where the pack job's save_cache put the release (an absolute path, so that
# every executor restores it to the same place).
release=/tmp/aws-oidc-release
mirror=/tmp/aws-oidc-mirror
url=http://127.0.0.1:8419

die() {
  printf 'release-mirror: %s\n' "$*" >&2
  exit 1
}

check() {
  { [ -f "$release/SHA256SUMS" ] && [ -f "$release/orb.yml" ]; } ||
    die "this pipeline's release is not in $release: the cache config.yml's pack job saved was not restored (expired, or pack did not finish); a rerun cannot bring it back: start a new pipeline (docs/releasing.md, \"When something fails\")"
  # macOS has shasum, not sha256sum.
  sum=sha256sum
  command -v sha256sum >/dev/null 2>&1 || sum="shasum -a 256"
  # shellcheck disable=SC2086 # $sum is a command with its arguments
  (cd "$release" && $sum -c SHA256SUMS) ||
    die "the restored archives do not match their SHA256SUMS"
}

serve() {
  check
  version=$(tools/dist.sh version)
  mkdir -p "$mirror/v$version"
  cp "$release"/aws-oidc-"$version"-*.tar.zst "$release"/aws-oidc-"$version"-*.tar.gz "$mirror/v$version/"
  # Windows images name it python.
  python=python3
  command -v python3 >/dev/null 2>&1 || python=python
  command -v "$python" >/dev/null 2>&1 || die "python3 is needed to serve the mirror"
  port=${url##*:}
  exec "$python" -m http.server "$port" --bind 127.0.0.1 --directory "$mirror"
}

wait_for() {
  i=0
  while [ "$i" -lt 60 ]; do
    if command -v curl >/dev/null 2>&1; then
      curl -fsS -o /dev/null "$url/" && return 0
    else
      wget -q -O /dev/null "$url/" && return 0
    fi
    i=$((i + 1))
    sleep 1
  done
  die "the mirror on $url did not answer within 60 s (see the serve step's output)"
}

case ${1:-} in
  check) check ;;
  serve) serve ;;
  wait) wait_for ;;
  *) die "usage: release-mirror.sh check | serve | wait" ;;
esac
