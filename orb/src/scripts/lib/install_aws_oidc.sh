# aws-oidc's own installer, a library of functions: the packer inlines it
# into the install_aws_oidc step and into setup, which installs and assumes
# in one step (each step costs a CircleCI job agent time of its own). Needs
# the prelude (die). `install_aws_oidc` puts the pinned aws-oidc release
# (version $1) into directory $2, downloaded from base URL $3 ($VAR and
# ${VAR} expanded in each), and sets $aws_oidc_bin to the installed binary;
# the step calls `install_aws_oidc_done` before it ends.
#
# Nothing is put in place before its SHA-256 matches the sum this orb release
# pins (AWS_OIDC_PINNED_SHA256: "<sha256>  <archive>" per line, as sha256sum
# writes them).
#
# `install_aws_oidc` reads top-down: the parameters, the target, then
# (unless this version is installed already) every tool the install needs,
# checked before anything is downloaded; then the archive, install_dir, the
# download, the checksum and the install. Every process this step starts
# shows in each job's set-up time: the checks are shell builtins
# (`command -v`, `[`), no step forks where a builtin does, and what nothing
# next waits for (making install_dir, Docker's link, removing the download)
# runs beside what comes next.

install_aws_oidc() {
  read_parameters "$@"
  detect_target
  if installed_already; then
    echo "aws-oidc $version is already installed in $dir"
    link_credential_helper
    add_to_path
    # shellcheck disable=SC2034 # read by setup
    aws_oidc_bin="$dir/$bin"
    return
  fi

  downloader --check
  need_sha256
  need_cmd tar tar
  for tool in mktemp chmod mv rm ln; do
    need_cmd "$tool" coreutils
  done
  # Optional: where it is, the smaller .tar.zst is taken (choose_archive).
  have_zstd=false
  if check_cmd zstd; then have_zstd=true; fi

  choose_archive
  check_install_dir

  url="$base/v$version/$archive"
  tmp=$(mktemp -d)
  staged="$dir/.$bin.$$"
  trap 'rm -rf "$tmp" "$staged"' EXIT
  trap 'exit 130' INT TERM
  # cimg images have ~/.local/bin already; elsewhere it is made while the
  # download runs (the unpacking writes into it).
  making=""
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir" &
    making=$!
  fi
  echo "Downloading $url"
  downloader "$url" "$tmp/$archive"
  if [ -n "$making" ]; then
    wait "$making" || die "cannot create install_dir $dir"
  fi

  verify_and_unpack
  chmod 755 "$staged"
  mv -f "$staged" "$dir/$bin"
  echo "Installed aws-oidc $version ($target) in $dir"
  add_to_path
  # shellcheck disable=SC2034 # read by setup
  aws_oidc_bin="$dir/$bin"
  # The binary is in place. What is left is for later steps (Docker's link)
  # or for no one (the download): it runs beside the step's next work
  # (setup's assume), which needs neither, and install_aws_oidc_done
  # waits for it before the step ends.
  trap - EXIT INT TERM
  link_credential_helper &
  linking=$!
  rm -rf "$tmp" &
  removing=$!
}

# Waits for what install_aws_oidc left running, and stops the step if any of
# it failed, as it would have had it run in line. Every step that installs
# calls it before it ends.
install_aws_oidc_done() {
  [ -n "${linking:-}" ] || return 0
  linked=0 removed=0
  wait "$linking" || linked=$?
  wait "$removing" || removed=$?
  [ "$linked" -eq 0 ] || die "could not link docker-credential-$bin to $bin in $dir"
  [ "$removed" -eq 0 ] || die "could not remove the download in $tmp"
}

check_cmd() {
  command -v "$1" >/dev/null 2>&1
}

# Stops the step when tool $1 is missing, naming $2, the package that has it.
need_cmd() {
  if ! check_cmd "$1"; then
    install_hint "$2"
    die "$1 is not installed: add it to the image ($hint)"
  fi
}

# Sets $hint to how to install package $1 on this OS (detect_target's $os;
# Linux's answer before it is known).
install_hint() {
  case ${os:-Linux} in
    Linux) hint="Alpine: apk add $1; Debian or Ubuntu: apt-get install $1" ;;
    Darwin) hint="brew install $1" ;;
    *) hint="Git for Windows (Git Bash) has it: run the step with shell: bash.exe" ;;
  esac
}

# Sets $version, $dir and $base from the version ($1), install_dir ($2) and
# download_url ($3) parameters.
read_parameters() {
  expand_env "$1"
  version=$expanded
  expand_env "$2"
  dir=$expanded
  expand_env "$3"
  base=$expanded
  case $dir in
    /*) ;;
    *) die "install_dir must be an absolute path, got '$dir'" ;;
  esac
}

# Sets $os, $target (the release's target triple) and $bin (the binary's
# file name). An OS or machine the orb ships for is one branch of a case.
detect_target() {
  running_on
  case $kernel in
    Linux) os_triple=unknown-linux-musl bin=aws-oidc ;;
    Darwin) os_triple=apple-darwin bin=aws-oidc ;;
    # Git Bash on a Windows executor: MINGW64_NT-10.0-20348.
    MINGW* | MSYS* | CYGWIN*) kernel=Windows os_triple=pc-windows-gnu bin=aws-oidc.exe ;;
    *) die "$kernel is not supported: aws-oidc runs on Linux (x86_64, aarch64), macOS (arm64, x86_64) and Windows (x86_64)" ;;
  esac
  os=$kernel
  case $machine in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) arch=none ;;
  esac
  case $arch-$os in
    x86_64-* | aarch64-Linux | aarch64-Darwin) ;;
    *) die "no aws-oidc build for $os on the $machine architecture: Linux x86_64 and aarch64, macOS arm64 and x86_64, Windows x86_64" ;;
  esac
  target=$arch-$os_triple
}

# Sets $kernel and $machine as `uname -sm` names them. bash knows both
# without a process: $OSTYPE and $HOSTTYPE, which it takes from the system
# it runs on (linux-gnu, darwin23, msys; x86_64, aarch64, arm64). They are
# taken only where they name a build: dash and busybox sh have neither, and
# a 32-bit bash on a 64-bit kernel says i686, so uname decides those.
running_on() {
  kernel="" machine=""
  if [ -n "${BASH_VERSION:-}" ]; then
    # shellcheck disable=SC3028 # bash's own variables, read only under bash
    case ${OSTYPE:-} in
      linux*) kernel=Linux ;;
      darwin*) kernel=Darwin ;;
      msys* | cygwin*) kernel=MSYS ;;
    esac
    # shellcheck disable=SC3028
    case ${HOSTTYPE:-} in
      x86_64 | aarch64 | arm64) machine=$HOSTTYPE ;;
    esac
  fi
  [ -z "$kernel" ] || [ -z "$machine" ] || return 0
  need_cmd uname coreutils
  # One process for both: "Linux x86_64".
  # shellcheck disable=SC2046 # split into kernel name and machine on purpose
  set -- $(uname -sm)
  kernel=${1:-unknown} machine=${2:-unknown}
}

# The binary in install_dir is the version asked for (a restored cache, a
# second call): nothing to download, so none of the tools is needed.
installed_already() {
  # A failing --version makes the test false (no `|| :`, which would keep
  # the subshell from exec-ing it); `exec` spares the subshell a fork.
  [ -x "$dir/$bin" ] && [ "$(exec "$dir/$bin" --version 2>/dev/null)" = "aws-oidc $version" ]
}

# `downloader --check` sets $download_tool to curl, else wget, or stops the
# step; `downloader URL FILE` fetches URL into FILE with it.
downloader() {
  if [ "$1" = --check ]; then
    if check_cmd curl; then
      download_tool=curl
    elif check_cmd wget; then
      download_tool=wget
    else
      install_hint curl
      die "neither curl nor wget is installed: add one to the image ($hint)"
    fi
    return
  fi
  # Bounded, so a mirror that stops answering fails the step instead of hanging it.
  limit="${AWS_OIDC_DOWNLOAD_TIMEOUT:-60}"
  failed="download failed: $1 (a 404 means no such release; set AWS_OIDC_DOWNLOAD_TIMEOUT for slow networks)"
  case $download_tool in
    curl) download_with_curl "$1" "$2" ;;
    wget)
      # wget's own -T crashes some busybox builds: bound it from outside where `timeout` exists.
      bound=""
      if check_cmd timeout; then bound="timeout $limit"; fi
      # shellcheck disable=SC2086 # $bound is a command with its argument, or nothing
      $bound wget -q -O "$2" "$1" || die "$failed"
      ;;
  esac
}

# curl with OpenSSL 3 parses every certificate of its CA bundle before it
# connects: about 40 ms for a system store of ~145. The hashed directory
# beside it (/etc/ssl/certs on Debian and Ubuntu, so every cimg image) holds
# the same store, and only the issuer's file is read from it. So where the
# job names no CA file, curl verifies through that directory, and is given
# one certificate of it as its CA file (curl cannot be told to load none),
# which adds no trust. Should that not verify, curl runs again with its own
# defaults and ~/.curlrc: trust is never narrower than curl's. What is
# installed is decided by the pinned SHA-256 in any case.
download_with_curl() {
  from=$1 to=$2
  ca_one=""
  if [ -z "${CURL_CA_BUNDLE:-}${SSL_CERT_FILE:-}" ]; then
    ca_dirs=${SSL_CERT_DIR:-/etc/ssl/certs}
    for ca_one in "${ca_dirs%%:*}"/*.0; do break; done
    [ -f "$ca_one" ] || ca_one=""
  fi
  if [ -z "$ca_one" ]; then
    curl_fetch || die "$failed"
    return
  fi
  # Not a *.err file: those are the unpackers', shown if unpacking fails.
  status=0
  curl_fetch --capath "$ca_dirs" --cacert "$ca_one" 2>"$tmp/curl.stderr" || status=$?
  case $status in
    0) ;;
    # The handshake, the server's certificate or the CA files.
    35 | 60 | 77 | 83)
      echo "The CA directory $ca_dirs did not verify the download: trying again with curl's own CA settings"
      curl_fetch || die "$failed"
      ;;
    *)
      cat "$tmp/curl.stderr" >&2 || :
      die "$failed"
      ;;
  esac
}

# One curl call for download_with_curl's $from and $to; the arguments go before the URL.
curl_fetch() {
  curl -fsSL --connect-timeout 10 --max-time "$limit" --retry 2 --retry-delay 1 -o "$to" "$@" "$from"
}

# Sets $sha256 to a command that prints a file's SHA-256 first, or stops the
# step. The same order on every OS: macOS has shasum only, Git Bash sha256sum.
need_sha256() {
  if check_cmd sha256sum; then
    sha256="sha256sum"
  elif check_cmd shasum; then
    sha256="shasum -a 256"
  elif check_cmd openssl; then
    sha256="openssl dgst -sha256 -r"
  else
    install_hint coreutils
    die "no sha256sum, shasum or openssl to check the download with: add one to the image ($hint)"
  fi
}

# Sets $archive and its pinned SHA-256, $expected. The .tar.zst where the
# image has zstd (every cimg image): it unpacks in half gzip's time and is 13%
# smaller. The .tar.gz everywhere else, so zstd is never a missing tool.
choose_archive() {
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
  if [ -n "$zst_sum" ] && $have_zstd; then
    archive=$zst expected=$zst_sum
  else
    archive=$gz expected=$gz_sum
  fi
  [ -n "$expected" ] || die "this orb release pins no SHA-256 for aws-oidc $version on $target. Leave version at its default (the release this orb pins), or use the orb release that pins $version."
}

# Before the download, with shell builtins only, so that a bad install_dir
# costs nothing: its nearest existing part must be a directory we can write.
check_install_dir() {
  place=$dir
  while [ ! -e "$place" ] && [ ! -L "$place" ]; do
    place=${place%/*}
    place=${place:-/}
  done
  [ -d "$place" ] || die "cannot create install_dir $dir: $place is not a directory. Set install_dir to a directory this job's user can write"
  [ -w "$place" ] || die "install_dir $dir is not writable by this job's user ($place is not): set install_dir to one that is (the default, \$HOME/.local/bin, needs no sudo)"
  [ -d "$dir" ] || need_cmd mkdir coreutils
}

# The checksum runs beside the unpacking, on another core. Unpacking only
# writes the binary's bytes (-O) into $staged, a file of ours beside the
# target, which main makes executable and renames into place only once the
# sum matches: no step ever sees half a binary.
verify_and_unpack() {
  # shellcheck disable=SC2086 # $sha256 is a command with its arguments
  $sha256 "$tmp/$archive" >"$tmp/sum" &
  summing=$!
  unpacked=true
  case $archive in
    *.tar.zst) zstd -qdc "$tmp/$archive" 2>"$tmp/zstd.err" | tar -xOf - "$bin" >"$staged" 2>"$tmp/tar.err" || unpacked=false ;;
    *) tar -xzOf "$tmp/$archive" "$bin" >"$staged" 2>"$tmp/tar.err" || unpacked=false ;;
  esac
  wait "$summing" || die "could not compute the SHA-256 of $archive"
  read -r actual _ <"$tmp/sum"
  [ "$actual" = "$expected" ] || die "SHA-256 mismatch for $archive from $url: expected $expected, got $actual. Nothing was installed."
  $unpacked || die "could not unpack aws-oidc from $archive: $(cat "$tmp"/*.err)"
}

# Docker runs a credential helper by its name: docker-credential-aws-oidc is
# aws-oidc (ecr_login with helper: true). A builtin test, then at most one ln.
link_credential_helper() {
  [ -L "$dir/docker-credential-$bin" ] || ln -sf "$bin" "$dir/docker-credential-$bin"
}

# Later steps find the binary on PATH, and setup through AWS_OIDC_BIN (the
# exact file this step checked, whatever else is on PATH).
add_to_path() {
  if [ -z "${BASH_ENV:-}" ]; then
    echo "aws-oidc/$step: add $dir to PATH to run aws-oidc in later steps" >&2
    return
  fi
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) printf "export PATH=\"%s:\${PATH}\"\n" "$dir" >>"$BASH_ENV" ;;
  esac
  printf "export AWS_OIDC_BIN=\"%s/%s\"\n" "$dir" "$bin" >>"$BASH_ENV"
}

