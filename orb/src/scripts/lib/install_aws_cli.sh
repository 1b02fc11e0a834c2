# The AWS CLI v2 installer, a library of functions: the packer inlines it
# into the install step (and setup, which runs it unless
# disable_aws_install). Needs the prelude (die, is_true, expand_env).
#
#   install_aws_cli VERSION INSTALL_DIR BINARY_DIR OVERRIDE USE_BREW DOWNLOAD_URL SIGNING_KEY
#
# does what circleci/aws-cli's `install` does on each platform (read from
# its source at v3.1.4, v4.2.3 and v5.4.1), with these differences, each
# for a reason given where it is done:
# - Linux: the download's detached PGP signature is checked (the official
#   orb checks nothing), and an existing install is updated in place with
#   the installer's --update; it never deletes ~/.aws as the official
#   orb's uninstall does before reinstalling.
# - macOS: the AWS CLI team's signed installer package (as v3 did), not a
#   build from source (v4 and v5).
# - Every download and install is bounded in time; the step says how long
#   the install took and how to spare it.
# Every name this file defines starts with aws_cli_ (or AWS_CLI_): setup
# inlines it beside lib/install_aws_oidc.sh, whose names are left alone.

install_aws_cli() {
  aws_cli_read_parameters "$@"
  if aws_cli_installed_already; then
    return 0
  fi
  aws_cli_detect_os
  aws_cli_started=$(aws_cli_now)
  case $aws_cli_os in
    Alpine) aws_cli_install_alpine ;;
    Linux) aws_cli_install_linux ;;
    Darwin) aws_cli_install_macos ;;
    Windows) aws_cli_install_windows ;;
  esac
  aws_cli_report
}

# Sets the aws_cli_ settings from the parameters. $VAR and
# ${VAR} are expanded as `circleci env subst` does, as the official orb does.
aws_cli_read_parameters() {
  expand_env "$1"
  aws_cli_version=$expanded
  expand_env "$2"
  aws_cli_install_dir=$expanded
  expand_env "$3"
  aws_cli_binary_dir=$expanded
  aws_cli_override=$4
  aws_cli_use_brew=$5
  expand_env "$6"
  aws_cli_base=${expanded%/}
  # A context's variable may hold the key ($AWS_CLI_KEY); key text has no $.
  expand_env "$7"
  aws_cli_signing_key=$expanded
  # The version becomes part of a URL and of choco's arguments: only what
  # AWS CLI versions are made of.
  case $aws_cli_version in
    latest) ;;
    "" | *[!0-9.]* | .* | *..* | *.)
      die "version must be latest or an AWS CLI version such as 2.22.35, got '$aws_cli_version'" ;;
  esac
  case $aws_cli_install_dir in
    /*) ;;
    *) die "install_dir must be an absolute path, got '$aws_cli_install_dir'" ;;
  esac
  case $aws_cli_binary_dir in
    # It goes into PATH through $BASH_ENV, inside double quotes.
    *[\"\$\`\\]*) die "binary_dir must not hold \", \$, \` or \\, got '$aws_cli_binary_dir'" ;;
    /*) ;;
    *) die "binary_dir must be an absolute path, got '$aws_cli_binary_dir'" ;;
  esac
  case $aws_cli_base in
    https://* | http://*) ;;
    *) die "aws_cli_download_url must be an http(s) URL, got '$aws_cli_base' (the default is https://awscli.amazonaws.com)" ;;
  esac
}

# Sets $aws_cli_os: only when something is to be installed, so that a job
# whose image has the AWS CLI runs no uname for it.
aws_cli_detect_os() {
  aws_cli_need uname coreutils
  case $(uname -s) in
    Linux)
      aws_cli_os=Linux
      # The official orb looks for Alpine in /etc/issue; alpine-release is
      # there on images whose /etc/issue was replaced.
      if [ -f /etc/alpine-release ]; then
        aws_cli_os=Alpine
      elif [ -r /etc/issue ]; then
        while IFS= read -r aws_cli_line || [ -n "$aws_cli_line" ]; do
          case $aws_cli_line in *Alpine*) aws_cli_os=Alpine ;; esac
        done </etc/issue
      fi
      ;;
    Darwin) aws_cli_os=Darwin ;;
    # Git Bash on a Windows executor: MINGW64_NT-10.0-20348.
    MINGW* | MSYS* | CYGWIN*) aws_cli_os=Windows ;;
    *) die "the AWS CLI cannot be installed on $(uname -s) by this orb: Linux, macOS and Windows (shell: bash.exe) are supported" ;;
  esac
}

# True when there is nothing to install: an `aws` on PATH and no
# override_installed, or the very version asked for. Says which.
aws_cli_installed_already() {
  # The first executable `aws` on PATH, found with builtins only: no
  # command substitution, so no subshell, in the usual case.
  aws_cli_path=""
  aws_cli_rest=$PATH:
  while [ -z "$aws_cli_path" ] && [ -n "$aws_cli_rest" ]; do
    aws_cli_entry=${aws_cli_rest%%:*}
    aws_cli_rest=${aws_cli_rest#*:}
    if [ -f "${aws_cli_entry:-.}/aws" ] && [ -x "${aws_cli_entry:-.}/aws" ]; then
      aws_cli_path=${aws_cli_entry:-.}/aws
    fi
  done
  # What the loop cannot see (Git Bash's aws.exe, a function): the shell's own lookup.
  if [ -z "$aws_cli_path" ]; then
    command -v aws >/dev/null 2>&1 || return 1
    aws_cli_path=$(command -v aws)
  fi
  # The usual case asks the AWS CLI nothing: `aws --version` starts Python,
  # a quarter of a second or more that every job would pay.
  if [ "$aws_cli_version" = latest ] && [ "$aws_cli_override" != true ]; then
    echo "The AWS CLI is installed already ($aws_cli_path). Skipping its install."
    return 0
  fi
  # AWS CLI v1 printed its version on stderr.
  aws_cli_found=$(aws --version 2>&1) || aws_cli_found="(aws --version failed: $aws_cli_found)"
  aws_cli_found_version=${aws_cli_found%% *}
  aws_cli_found_version=${aws_cli_found_version#aws-cli/}
  if [ "$aws_cli_version" != latest ] && [ "$aws_cli_found_version" = "$aws_cli_version" ]; then
    echo "AWS CLI $aws_cli_version is installed already ($aws_cli_path): nothing to install."
    return 0
  fi
  if [ "$aws_cli_override" = true ]; then
    echo "Installing the AWS CLI over the one on PATH ($aws_cli_found), as override_installed asks."
    return 1
  fi
  echo "The AWS CLI is installed already: $aws_cli_found ($aws_cli_path). Skipping its install."
  if [ "$aws_cli_version" != latest ]; then
    echo "Note: version asks for $aws_cli_version, and the image has $aws_cli_found_version. Set override_installed: true to install $aws_cli_version."
  fi
  return 0
}

# -- Linux (glibc) ---------------------------------------------------------------

# The official orb's way: AWS's own installer archive, run with -i and -b.
aws_cli_install_linux() {
  case $(uname -m) in
    x86_64 | amd64) aws_cli_arch=x86_64 ;;
    aarch64 | arm64) aws_cli_arch=aarch64 ;;
    *) die "AWS publishes the AWS CLI v2 for Linux on x86_64 and aarch64 only, and this machine is $(uname -m): use an image that has the AWS CLI" ;;
  esac
  # Every tool first, so that a missing one costs no download.
  aws_cli_downloader --check
  aws_cli_need unzip unzip
  for aws_cli_tool in mktemp rm; do
    aws_cli_need "$aws_cli_tool" coreutils
  done
  aws_cli_choose_sudo "$aws_cli_install_dir" "$aws_cli_binary_dir"

  aws_cli_archive=awscli-exe-linux-$aws_cli_arch.zip
  [ "$aws_cli_version" = latest ] || aws_cli_archive=awscli-exe-linux-$aws_cli_arch-$aws_cli_version.zip
  aws_cli_url=$aws_cli_base/$aws_cli_archive
  aws_cli_make_tmp
  echo "Downloading $aws_cli_url"
  aws_cli_download "$aws_cli_url" "$aws_cli_tmp/awscliv2.zip"
  aws_cli_verify_signature "$aws_cli_tmp/awscliv2.zip"

  unzip -q "$aws_cli_tmp/awscliv2.zip" -d "$aws_cli_tmp" ||
    die "could not unpack $aws_cli_archive from $aws_cli_url (a broken download or mirror?)"
  [ -f "$aws_cli_tmp/aws/install" ] || die "$aws_cli_archive from $aws_cli_url holds no aws/install: is aws_cli_download_url a mirror of https://awscli.amazonaws.com?"
  # The installer refuses an install_dir that holds an AWS CLI already
  # unless told to update it: on PATH (override_installed) or not (a
  # restored cache, a binary_dir off PATH). Updating in place keeps every
  # other file, where the official orb deleted the old one and ~/.aws too.
  set -- -i "$aws_cli_install_dir" -b "$aws_cli_binary_dir"
  if [ -e "$aws_cli_install_dir/v2/current" ]; then
    echo "$aws_cli_install_dir holds an AWS CLI already: updating it in place (the installer's --update)."
    set -- "$@" --update
  fi
  # shellcheck disable=SC2086 # $aws_cli_sudo is a command with its option, or nothing
  aws_cli_bounded $aws_cli_sudo "$aws_cli_tmp/aws/install" "$@" ||
    die "the AWS CLI installer failed (its output is above)"
  aws_cli_drop_tmp
  aws_cli_on_path "$aws_cli_binary_dir"
}

# Alpine's musl cannot run AWS's glibc build: the official orb installs the
# distribution's package, whatever version it is.
aws_cli_install_alpine() {
  aws_cli_need apk apk-tools
  if [ "$aws_cli_version" != latest ]; then
    echo "Note: on Alpine the distribution's aws-cli package is installed, as circleci/aws-cli does: version $aws_cli_version is not looked at."
  fi
  aws_cli_choose_sudo /usr/bin
  # shellcheck disable=SC2086 # $aws_cli_sudo is a command with its option, or nothing
  aws_cli_bounded $aws_cli_sudo apk add --no-cache aws-cli ||
    die "apk add --no-cache aws-cli failed (its output is above)"
}

# -- macOS ---------------------------------------------------------------------------

# use_brew: Homebrew's awscli, as the official orb does. Otherwise AWS's
# signed installer package. The official orb v4 and v5 built the AWS CLI
# from its source archive here (configure, make, make install): the same
# AWS CLI, an `aws` on PATH, but minutes of compiling in every job and a
# build toolchain on the image. The package installs the prebuilt CLI in
# seconds and is signed by AWS, which pkgutil checks (v3 used it too,
# unchecked). It always installs into /usr/local/aws-cli; binary_dir gets
# its own link.
aws_cli_install_macos() {
  if [ "$aws_cli_use_brew" = true ]; then
    aws_cli_need brew "Homebrew (https://brew.sh)"
    aws_cli_bounded brew install awscli || die "brew install awscli failed (its output is above)"
    return 0
  fi
  aws_cli_downloader --check
  aws_cli_need installer "macOS's installer"
  # installer needs root, whoever owns the directories: sudo unless root.
  aws_cli_choose_sudo /
  aws_cli_archive=AWSCLIV2.pkg
  [ "$aws_cli_version" = latest ] || aws_cli_archive=AWSCLIV2-$aws_cli_version.pkg
  aws_cli_url=$aws_cli_base/$aws_cli_archive
  aws_cli_make_tmp
  echo "Downloading $aws_cli_url"
  aws_cli_download "$aws_cli_url" "$aws_cli_tmp/AWSCLIV2.pkg"
  if command -v pkgutil >/dev/null 2>&1; then
    pkgutil --check-signature "$aws_cli_tmp/AWSCLIV2.pkg" ||
      die "$aws_cli_archive from $aws_cli_url is not validly signed (pkgutil --check-signature, above): nothing was installed"
  fi
  # shellcheck disable=SC2086 # $aws_cli_sudo is a command with its option, or nothing
  aws_cli_bounded $aws_cli_sudo installer -pkg "$aws_cli_tmp/AWSCLIV2.pkg" -target / ||
    die "installer -pkg $aws_cli_archive failed (its output is above)"
  aws_cli_drop_tmp
  if [ "$aws_cli_install_dir" != /usr/local/aws-cli ]; then
    echo "Note: AWS's macOS package always installs into /usr/local/aws-cli; install_dir ($aws_cli_install_dir) applies on Linux."
  fi
  if [ ! -e "$aws_cli_binary_dir/aws" ]; then
    # shellcheck disable=SC2086 # as above
    $aws_cli_sudo mkdir -p "$aws_cli_binary_dir"
    # shellcheck disable=SC2086 # as above
    $aws_cli_sudo ln -sf /usr/local/aws-cli/aws "$aws_cli_binary_dir/aws"
    # shellcheck disable=SC2086 # as above
    $aws_cli_sudo ln -sf /usr/local/aws-cli/aws_completer "$aws_cli_binary_dir/aws_completer"
  fi
  aws_cli_on_path "$aws_cli_binary_dir"
}

# -- Windows (Git Bash) ----------------------------------------------------------

# Chocolatey's awscli package, as the official orb does, then its
# directory onto PATH for later steps (choco does not change this shell's).
aws_cli_install_windows() {
  command -v choco >/dev/null 2>&1 ||
    die "Chocolatey (choco) is needed to install the AWS CLI on Windows, as circleci/aws-cli needs it: CircleCI's Windows images have it; on another image, install Chocolatey or use one that has the AWS CLI"
  set -- install awscli -y --no-progress
  [ "$aws_cli_version" = latest ] || set -- "$@" --version="$aws_cli_version"
  aws_cli_bounded choco "$@" || die "choco install awscli failed (its output is above)"
  # AWS CLI v1 packages install elsewhere than v2's.
  case $aws_cli_version in
    1.*) aws_cli_windows_dir="/c/Program Files/Amazon/AWSCLI/bin" ;;
    *) aws_cli_windows_dir="/c/Program Files/Amazon/AWSCLIV2" ;;
  esac
  aws_cli_on_path "$aws_cli_windows_dir"
}

# -- shared ----------------------------------------------------------------------------

# Stops the step when tool $1 is missing, naming $2, what provides it.
aws_cli_need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  case ${aws_cli_os:-Linux} in
    Alpine) die "$1 is needed to install the AWS CLI: add it to the image (apk add $2)" ;;
    Darwin) die "$1 is needed to install the AWS CLI: add it to the image ($2)" ;;
    Windows) die "$1 is needed to install the AWS CLI: run the step with shell: bash.exe (Git for Windows)" ;;
    *) die "$1 is needed to install the AWS CLI: add it to the image (Debian or Ubuntu: apt-get install $2; Alpine: apk add $2)" ;;
  esac
}

# Seconds since the epoch, in tenths where date knows %N (GNU, busybox);
# whole seconds (times ten) where it does not (macOS).
aws_cli_now() {
  aws_cli_t=$(date +%s%N 2>/dev/null) || aws_cli_t=""
  case $aws_cli_t in
    *[!0-9]* | "") echo $(($(date +%s) * 10)) ;;
    *) echo $((aws_cli_t / 100000000)) ;;
  esac
}

# The install is most of an aws-cli/setup's time: say how long it took, and
# how to spare it.
aws_cli_report() {
  aws_cli_took=$(($(aws_cli_now) - aws_cli_started))
  [ "$aws_cli_took" -ge 0 ] || aws_cli_took=0
  aws_cli_bin=${aws_cli_bin:-aws}
  aws_cli_installed=$("$aws_cli_bin" --version 2>&1) ||
    die "the AWS CLI was installed, but '$aws_cli_bin --version' fails: $aws_cli_installed"
  echo "Installed $aws_cli_installed ($(command -v aws || echo "$aws_cli_bin"))."
  echo "Installing the AWS CLI took $((aws_cli_took / 10)).$((aws_cli_took % 10)) s of this job. To skip it: use an image that has the AWS CLI (such as cimg/aws), or, when the job never runs aws, set disable_aws_install: true on setup (or leave out the install step)."
}

# Sets $aws_cli_sudo to "sudo -n" when this user cannot write where the
# install goes (the nearest existing part of each directory given), else to
# nothing. -n: sudo fails at once instead of waiting for a password.
aws_cli_choose_sudo() {
  aws_cli_sudo=""
  [ "$(id -u)" = 0 ] && return 0
  for aws_cli_place in "$@"; do
    while [ ! -e "$aws_cli_place" ] && [ ! -L "$aws_cli_place" ]; do
      aws_cli_place=${aws_cli_place%/*}
      aws_cli_place=${aws_cli_place:-/}
    done
    if [ ! -w "$aws_cli_place" ]; then
      command -v sudo >/dev/null 2>&1 ||
        die "$aws_cli_place is not writable by this job's user and sudo is not installed: run the job as root, or set install_dir and binary_dir to directories this user can write (such as \$HOME/.local/aws-cli and \$HOME/.local/bin)"
      aws_cli_sudo="sudo -n"
      return 0
    fi
  done
}

# Runs a command bounded by AWS_CLI_INSTALL_TIMEOUT seconds (600 by
# default) where `timeout` exists, so a stuck package manager or installer
# fails the step instead of holding the job until CircleCI's own limit.
aws_cli_bounded() {
  if command -v timeout >/dev/null 2>&1; then
    aws_cli_status=0
    timeout "${AWS_CLI_INSTALL_TIMEOUT:-600}" "$@" || aws_cli_status=$?
    [ "$aws_cli_status" != 124 ] || echo "aws-oidc/$step: $1 took more than ${AWS_CLI_INSTALL_TIMEOUT:-600} s and was stopped (AWS_CLI_INSTALL_TIMEOUT sets the limit)" >&2
    return "$aws_cli_status"
  fi
  "$@"
}

# A private directory for the downloads, removed however the step ends.
aws_cli_make_tmp() {
  aws_cli_gnupg=""
  aws_cli_tmp=$(mktemp -d)
  trap 'aws_cli_drop_tmp' EXIT
  trap 'exit 130' INT TERM
}

aws_cli_drop_tmp() {
  # gpg may have started an agent for the throwaway keyring: stop it, or it
  # outlives the step holding a directory that is gone.
  if [ -n "${aws_cli_gnupg:-}" ] && [ -d "$aws_cli_gnupg" ] && command -v gpgconf >/dev/null 2>&1; then
    GNUPGHOME="$aws_cli_gnupg" gpgconf --kill all >/dev/null 2>&1 || :
  fi
  rm -rf "$aws_cli_tmp" ${aws_cli_gnupg:+"$aws_cli_gnupg"}
  trap - EXIT INT TERM
}

# `aws_cli_downloader --check` sets $aws_cli_fetch to curl, else wget, or
# stops the step; `aws_cli_download URL FILE` fetches URL into FILE with it.
aws_cli_downloader() {
  if command -v curl >/dev/null 2>&1; then
    aws_cli_fetch=curl
  elif command -v wget >/dev/null 2>&1; then
    aws_cli_fetch=wget
  else
    aws_cli_need curl curl
  fi
}

# Bounded as lib/install_aws_oidc.sh bounds its download (a mirror that
# stops answering fails the step instead of hanging it), with more time:
# the AWS CLI is 60 MB, not 2.
aws_cli_download() {
  aws_cli_limit=${AWS_CLI_DOWNLOAD_TIMEOUT:-300}
  aws_cli_failed="download failed: $1 (a 404 means no such version or file; set AWS_CLI_DOWNLOAD_TIMEOUT, in seconds, for slow networks)"
  case $aws_cli_fetch in
    curl)
      curl -fsSL --connect-timeout 10 --max-time "$aws_cli_limit" --retry 2 --retry-delay 1 -o "$2" "$1" ||
        die "$aws_cli_failed"
      ;;
    wget)
      # wget's own -T crashes some busybox builds: bound it from outside where `timeout` exists.
      aws_cli_bound=""
      if command -v timeout >/dev/null 2>&1; then aws_cli_bound="timeout $aws_cli_limit"; fi
      # shellcheck disable=SC2086 # $aws_cli_bound is a command with its argument, or nothing
      $aws_cli_bound wget -q -O "$2" "$1" || die "$aws_cli_failed"
      ;;
  esac
}

# Checks the archive ($1) against its detached signature (<url>.sig) with
# gpg, in a keyring of its own that holds only the signing key: the user's
# keyring is never read or written. A signature that does not verify stops
# the step before anything is unpacked. Without gpg, says that only HTTPS
# vouches for the download (the official orb checks nothing at all).
aws_cli_verify_signature() {
  if ! command -v gpg >/dev/null 2>&1; then
    echo "Note: gpg is not on this image, so the download's PGP signature is not checked: only HTTPS vouches for it (circleci/aws-cli checks nothing). Add gnupg to the image to have it checked."
    return 0
  fi
  aws_cli_download "$aws_cli_url.sig" "$aws_cli_tmp/awscliv2.sig"
  if [ -n "$aws_cli_signing_key" ]; then
    aws_cli_key=$aws_cli_signing_key aws_cli_key_name="the key in aws_cli_signing_key"
  else
    aws_cli_key=$AWS_CLI_TEAM_KEY aws_cli_key_name="the AWS CLI team's key ($AWS_CLI_TEAM_FINGERPRINT)"
  fi
  printf '%s\n' "$aws_cli_key" >"$aws_cli_tmp/key.asc"
  # The keyring in a short path of its own: gpg talks to an agent through a
  # socket in it, and a socket's path has a length limit that a deep
  # $TMPDIR passes (gpg then cannot import at all). --no-autostart: importing
  # a public key and checking a signature need no agent.
  aws_cli_gnupg=$(mktemp -d /tmp/aws-cli-gpg.XXXXXX)
  GNUPGHOME="$aws_cli_gnupg" gpg --batch --no-tty --no-autostart --quiet --import "$aws_cli_tmp/key.asc" >"$aws_cli_tmp/gpg.out" 2>&1 ||
    die "gpg could not read $aws_cli_key_name: $(cat "$aws_cli_tmp/gpg.out"). aws_cli_signing_key takes an ASCII-armoured PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)"
  # The status lines say what gpg found, whatever its exit status: VALIDSIG
  # is a signature that verifies with a key of this keyring (also when the
  # key's validity has since ended, which AWS extends every year or two).
  aws_cli_verdict=$(GNUPGHOME="$aws_cli_gnupg" gpg --batch --no-tty --no-autostart --status-fd 1 \
    --verify "$aws_cli_tmp/awscliv2.sig" "$1" 2>"$aws_cli_tmp/gpg.out") || :
  aws_cli_signer=""
  while read -r aws_cli_tag aws_cli_what aws_cli_rest; do
    [ "$aws_cli_tag" = "[GNUPG:]" ] || continue
    case $aws_cli_what in
      VALIDSIG) aws_cli_signer=${aws_cli_rest##* } ;;
      BADSIG | ERRSIG | REVKEYSIG | NO_PUBKEY)
        aws_cli_signer=""
        break
        ;;
    esac
  done <<END_OF_VERDICT
$aws_cli_verdict
END_OF_VERDICT
  if [ -z "$aws_cli_signing_key" ] && [ "$aws_cli_signer" != "$AWS_CLI_TEAM_FINGERPRINT" ]; then
    aws_cli_signer=""
  fi
  [ -n "$aws_cli_signer" ] ||
    die "the PGP signature of $aws_cli_archive ($aws_cli_url.sig) does not verify with $aws_cli_key_name: the download is not what AWS published, or the key is not the one that signed it. Nothing was installed. gpg said: $(cat "$aws_cli_tmp/gpg.out")"
  case $aws_cli_verdict in
    *"[GNUPG:] EXPKEYSIG "*) echo "Note: the signing key's validity has ended; the signature verifies. Set aws_cli_signing_key to the key AWS publishes now to silence this." ;;
  esac
  echo "The PGP signature of $aws_cli_archive verifies with $aws_cli_key_name."
}

# Makes `aws` in directory $1 the one later steps run: exported through
# $BASH_ENV in front of PATH when this shell finds no aws there or another
# aws first. Sets $aws_cli_bin to it.
aws_cli_on_path() {
  aws_cli_bin=$1/aws
  [ -e "$aws_cli_bin" ] || [ -e "$aws_cli_bin.exe" ] || [ -e "$aws_cli_bin.cmd" ] ||
    die "the install left no aws in $1"
  hash -r 2>/dev/null || :
  aws_cli_first=$(command -v aws || :)
  case $aws_cli_first in
    "$1/aws" | "$1/aws.exe" | "$1/aws.cmd") return 0 ;;
  esac
  PATH="$1:$PATH"
  export PATH
  if [ -n "${BASH_ENV:-}" ]; then
    # shellcheck disable=SC2016 # ${PATH} is for the later step's shell
    printf 'export PATH="%s:${PATH}"\n' "$1" >>"$BASH_ENV"
    echo "Added $1 to PATH for later steps (through \$BASH_ENV)."
  else
    echo "aws-oidc/$step: add $1 to PATH to run aws in later steps" >&2
  fi
}

# The AWS CLI team's public key, as AWS publishes it for checking the
# Linux archives (the AWS CLI user guide, "Verify the integrity and
# authenticity of the downloaded installer files"): "AWS CLI Team
# <aws-cli@amazon.com>", RSA 4096, created 2019-09-18, this self-signature
# valid until 2027-07-01.
AWS_CLI_TEAM_FINGERPRINT=FB5DB77FD5C118B80511ADA8A6310ACC4672475C
AWS_CLI_TEAM_KEY='-----BEGIN PGP PUBLIC KEY BLOCK-----

mQINBF2Cr7UBEADJZHcgusOJl7ENSyumXh85z0TRV0xJorM2B/JL0kHOyigQluUG
ZMLhENaG0bYatdrKP+3H91lvK050pXwnO/R7fB/FSTouki4ciIx5OuLlnJZIxSzx
PqGl0mkxImLNbGWoi6Lto0LYxqHN2iQtzlwTVmq9733zd3XfcXrZ3+LblHAgEt5G
TfNxEKJ8soPLyWmwDH6HWCnjZ/aIQRBTIQ05uVeEoYxSh6wOai7ss/KveoSNBbYz
gbdzoqI2Y8cgH2nbfgp3DSasaLZEdCSsIsK1u05CinE7k2qZ7KgKAUIcT/cR/grk
C6VwsnDU0OUCideXcQ8WeHutqvgZH1JgKDbznoIzeQHJD238GEu+eKhRHcz8/jeG
94zkcgJOz3KbZGYMiTh277Fvj9zzvZsbMBCedV1BTg3TqgvdX4bdkhf5cH+7NtWO
lrFj6UwAsGukBTAOxC0l/dnSmZhJ7Z1KmEWilro/gOrjtOxqRQutlIqG22TaqoPG
fYVN+en3Zwbt97kcgZDwqbuykNt64oZWc4XKCa3mprEGC3IbJTBFqglXmZ7l9ywG
EEUJYOlb2XrSuPWml39beWdKM8kzr1OjnlOm6+lpTRCBfo0wa9F8YZRhHPAkwKkX
XDeOGpWRj4ohOx0d2GWkyV5xyN14p2tQOCdOODmz80yUTgRpPVQUtOEhXQARAQAB
tCFBV1MgQ0xJIFRlYW0gPGF3cy1jbGlAYW1hem9uLmNvbT6JAlQEEwEIAD4CGwMF
CwkIBwIGFQoJCAsCBBYCAwECHgECF4AWIQT7Xbd/1cEYuAURraimMQrMRnJHXAUC
akV0ygUJDqP4lQAKCRCmMQrMRnJHXFHjD/9eyZLYcKuQOlLvtqSDtUBiEZf6ZZjM
i3ygYH8rJNtuToUH+HvSpe819urJCquXhDrlK6N+aqW0hCLtNABJG/vsafIgvIYJ
hSGgpgtNnQyMV1jViRWqPjbouw8OkYKBThUfT1i2Y+wn58ifs6ODBCmTexWtXspA
Si+Gt49xDOW0APmbOPnI+a4HJW6tVEo6MWS0WjzpiBayR3d1A4pt4YrPfSdDgpLo
h2SLQqlRqvvVZJaWBjhkErNFpfsBA06sDcPEOb0G8LBUbR4WOcdvhe5LubJbZuxC
AG9kNPCVeQP1ixwjgjXKysaxeQ6rv0VzIQgRp6tLVLWhy6AKDNvLjFSsmXZ1Wl08
Y/RlOHXlzLuQMRE6sR1wOdRxc9TsrNWTGiBK65cvSWOy03JeBkQQ8pesqltiyxI9
U21kkgiXtTSKNGfKK8pO27D81YANhRqPK7iTp6kuFiY2WtOg90KTMNlIT+Ff85Y2
b1rHj6Z0SrCkJujhWk3IBPic/wJgz01LEc/OAdUPlby90RJZcIBhSlWhT7mXnXIO
c0HWlNQrns2s3CTyYwZSiSlYe9ApeLwhjDo8NhbFuCAy61l6O5UsR4AfZxx/rGKv
2wFb1/RN/P4gNe6vmxZAPjR0AQcwD3tc2McimOLr/22kmPz8IH3I0X7WoSFr0Biz
E91G7bb0hOb/cA==
=knv7
-----END PGP PUBLIC KEY BLOCK-----'
