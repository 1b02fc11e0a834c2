#!/bin/sh
# aws-oidc/install: puts the pinned aws-oidc release into install_dir.
# Nothing is put in place before its SHA-256 matches the sum this orb release
# pins (AWS_OIDC_PINNED_SHA256: "<sha256>  <archive>" per line, as sha256sum
# writes them).

# bash reads $BASH_ENV by itself, sh (Alpine) does not; values may use what
# earlier steps exported there. Sourced before `set -u`, as bash would.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi
set -eu

die() {
  printf 'aws-oidc/install: %s\n' "$*" >&2
  exit 1
}

# Sets $expanded to $1 with $VAR and ${VAR} expanded from the environment,
# like `circleci env subst`. Values without a `$` (the usual case) cost no
# process: every process this step starts shows in each job's set-up time.
expand_env() {
  expanded=$1
  case $1 in
    *'$'*)
      expanded=$(printf '%s\n' "$1" | awk '{
        out = ""
        while (match($0, /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/)) {
          name = substr($0, RSTART + 1, RLENGTH - 1)
          gsub(/[{}]/, "", name)
          out = out substr($0, 1, RSTART - 1) ENVIRON[name]
          $0 = substr($0, RSTART + RLENGTH)
        }
        print out $0
      }')
      ;;
  esac
}

expand_env "$PARAM_VERSION"
version=$expanded
expand_env "$PARAM_INSTALL_DIR"
dir=$expanded
expand_env "$PARAM_DOWNLOAD_URL"
base=$expanded
case $dir in
  /*) ;;
  *) die "install_dir must be an absolute path, got '$dir'" ;;
esac

# One process for both: "Linux x86_64".
# shellcheck disable=SC2046 # split into kernel name and machine on purpose
set -- $(uname -sm)
os=${1:-unknown} machine=${2:-unknown}
case $os in
  Linux) ;;
  Darwin) die "macOS (Darwin) is not supported yet: run this job on a Linux executor (x86_64 or arm64)" ;;
  MINGW* | MSYS* | CYGWIN*) die "Windows ($os) is not supported yet: run this job on a Linux executor (x86_64 or arm64)" ;;
  *) die "$os is not supported yet: aws-oidc runs on Linux x86_64 and aarch64" ;;
esac
case $machine in
  x86_64 | amd64) target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) target=aarch64-unknown-linux-musl ;;
  *) die "no aws-oidc build for the $machine architecture: Linux x86_64 and aarch64 only" ;;
esac

# Later steps find the binary on PATH, and setup through AWS_OIDC_BIN (the
# exact file this step checked, whatever else is on PATH).
add_to_path() {
  if [ -z "${BASH_ENV:-}" ]; then
    echo "aws-oidc/install: add $dir to PATH to run aws-oidc in later steps" >&2
    return
  fi
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) printf "export PATH=\"%s:\${PATH}\"\n" "$dir" >>"$BASH_ENV" ;;
  esac
  printf "export AWS_OIDC_BIN=\"%s/aws-oidc\"\n" "$dir" >>"$BASH_ENV"
}

if [ -x "$dir/aws-oidc" ] && [ "$("$dir/aws-oidc" --version 2>/dev/null || :)" = "aws-oidc $version" ]; then
  echo "aws-oidc $version is already installed in $dir"
  add_to_path
  exit 0
fi

# The .tar.zst where the image has zstd (every cimg image): it unpacks in half
# gzip's time and is 13% smaller. The .tar.gz everywhere else.
zst="aws-oidc-$version-$target.tar.zst" zst_sum=""
gz="aws-oidc-$version-$target.tar.gz" gz_sum=""
while read -r pin_sum pin_name; do
  case $pin_name in
    "$zst") zst_sum=$pin_sum ;;
    "$gz") gz_sum=$pin_sum ;;
  esac
done <<EOF
${AWS_OIDC_PINNED_SHA256:-}
EOF
if [ -n "$zst_sum" ] && command -v zstd >/dev/null 2>&1; then
  archive=$zst expected=$zst_sum
else
  archive=$gz expected=$gz_sum
fi
[ -n "$expected" ] || die "this orb release pins no SHA-256 for aws-oidc $version on $target. Leave version at its default (the release this orb pins), or use the orb release that pins $version."

# Before the download, with shell builtins only, so that a bad install_dir
# costs nothing: its nearest existing part must be a directory we can write.
place=$dir
while [ ! -e "$place" ] && [ ! -L "$place" ]; do
  place=${place%/*}
  place=${place:-/}
done
[ -d "$place" ] || die "cannot create install_dir $dir: $place is not a directory. Set install_dir to a directory this job's user can write"
[ -w "$place" ] || die "install_dir $dir is not writable by this job's user ($place is not): set install_dir to one that is (the default, \$HOME/.local/bin, needs no sudo)"

url="$base/v$version/$archive"
tmp=$(mktemp -d)
staged="$dir/.aws-oidc.$$"
trap 'rm -rf "$tmp" "$staged"' EXIT
trap 'exit 130' INT TERM

# Bounded, so a mirror that stops answering fails the step instead of hanging it.
limit="${AWS_OIDC_DOWNLOAD_TIMEOUT:-60}"
echo "Downloading $url"
failed="download failed: $url (a 404 means no such release; set AWS_OIDC_DOWNLOAD_TIMEOUT for slow networks)"
fetch() {
  curl -fsSL --connect-timeout 10 --max-time "$limit" --retry 2 --retry-delay 1 -o "$tmp/$archive" "$@" "$url"
}
if command -v curl >/dev/null 2>&1; then
  # curl with OpenSSL 3 parses every certificate of its CA bundle before it
  # connects: about 40 ms for a system store of ~145. The hashed directory
  # beside it (/etc/ssl/certs on Debian and Ubuntu, so every cimg image) holds
  # the same store, and only the issuer's file is read from it. So where the
  # job names no CA file, curl verifies through that directory, and is given
  # one certificate of it as its CA file (curl cannot be told to load none),
  # which adds no trust. Should that not verify, curl runs again with its own
  # defaults and ~/.curlrc: trust is never narrower than curl's. What is
  # installed is decided by the pinned SHA-256 in any case.
  ca_one=""
  if [ -z "${CURL_CA_BUNDLE:-}${SSL_CERT_FILE:-}" ]; then
    ca_dirs=${SSL_CERT_DIR:-/etc/ssl/certs}
    for ca_one in "${ca_dirs%%:*}"/*.0; do break; done
    [ -f "$ca_one" ] || ca_one=""
  fi
  if [ -n "$ca_one" ]; then
    # Not a *.err file: those are the unpackers', shown if unpacking fails.
    status=0
    fetch --capath "$ca_dirs" --cacert "$ca_one" 2>"$tmp/curl.stderr" || status=$?
    case $status in
      0) ;;
      # The handshake, the server's certificate or the CA files.
      35 | 60 | 77 | 83)
        echo "The CA directory $ca_dirs did not verify the download: trying again with curl's own CA settings"
        fetch || die "$failed"
        ;;
      *)
        cat "$tmp/curl.stderr" >&2 || :
        die "$failed"
        ;;
    esac
  else
    fetch || die "$failed"
  fi
elif command -v wget >/dev/null 2>&1; then
  # wget's own -T crashes some busybox builds: bound it from outside where `timeout` exists.
  bound=""
  if command -v timeout >/dev/null 2>&1; then bound="timeout $limit"; fi
  # shellcheck disable=SC2086 # $bound is a command with its argument, or nothing
  $bound wget -q -O "$tmp/$archive" "$url" || die "$failed"
else
  die "neither curl nor wget is installed: install one of them in the image"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256="sha256sum"
elif command -v shasum >/dev/null 2>&1; then
  sha256="shasum -a 256"
elif command -v openssl >/dev/null 2>&1; then
  sha256="openssl dgst -sha256 -r"
else
  die "no sha256sum, shasum or openssl to check the download with"
fi
# The checksum runs beside the unpacking, on another core. Unpacking only
# writes the binary's bytes (-O) into a file of ours, which is made executable
# and put in place only once the sum matches.
# shellcheck disable=SC2086 # $sha256 is a command with its arguments
$sha256 "$tmp/$archive" >"$tmp/sum" &
summing=$!
# cimg images have ~/.local/bin already: no process for it then.
[ -d "$dir" ] || mkdir -p "$dir"
# Staged beside the target and renamed: no step ever sees half a binary.
unpacked=true
case $archive in
  *.tar.zst) zstd -qdc "$tmp/$archive" 2>"$tmp/zstd.err" | tar -xOf - aws-oidc >"$staged" 2>"$tmp/tar.err" || unpacked=false ;;
  *) tar -xzOf "$tmp/$archive" aws-oidc >"$staged" 2>"$tmp/tar.err" || unpacked=false ;;
esac
wait "$summing" || die "could not compute the SHA-256 of $archive"
read -r actual _ <"$tmp/sum"
[ "$actual" = "$expected" ] || die "SHA-256 mismatch for $archive from $url: expected $expected, got $actual. Nothing was installed."
$unpacked || die "could not unpack aws-oidc from $archive: $(cat "$tmp"/*.err)"
chmod 755 "$staged"
mv -f "$staged" "$dir/aws-oidc"
echo "Installed aws-oidc $version ($target) in $dir"
add_to_path
