#!/bin/sh
# aws-oidc/install: what circleci/aws-cli's `install` does, installing the
# AWS CLI v2 (skipped where the image has one), then its pager setting. The
# work is in lib/install_aws_cli.sh, which setup shares.
# orb-pack:include(scripts/lib/prelude.sh)
step=install
read_bash_env
set -eu
# orb-pack:include(scripts/lib/install_aws_cli.sh)

# circleci/aws-cli v3 spelled four of these parameters in kebab-case: the
# prelude's pick takes whichever spelling the config set.
pick install_dir "$PARAM_INSTALL_DIR" install-dir "$PARAM_INSTALL_DIR_V3" /usr/local/aws-cli
install_dir=$picked
pick binary_dir "$PARAM_BINARY_DIR" binary-dir "$PARAM_BINARY_DIR_V3" /usr/local/bin
binary_dir=$picked
pick_bool override_installed "$PARAM_OVERRIDE_INSTALLED" override-installed "$PARAM_OVERRIDE_INSTALLED_V3" false
override=$picked
pick_bool disable_aws_pager "$PARAM_DISABLE_AWS_PAGER" disable-aws-pager "$PARAM_DISABLE_AWS_PAGER_V3" true
pager=$picked
if is_true use_brew "$PARAM_USE_BREW"; then use_brew=true; else use_brew=false; fi

install_aws_cli "$PARAM_VERSION" "$install_dir" "$binary_dir" "$override" "$use_brew" \
  "$PARAM_AWS_CLI_DOWNLOAD_URL" "$PARAM_AWS_CLI_SIGNING_KEY"

# As circleci/aws-cli: the AWS CLI's pager waits for a keypress no job can
# give, so it is turned off for later steps, unless the job chose a pager.
if [ "$pager" = true ] && [ -z "${AWS_PAGER+set}" ]; then
  if [ -n "${BASH_ENV:-}" ]; then
    echo 'export AWS_PAGER=""' >>"$BASH_ENV"
    echo "AWS_PAGER is set to \"\" for later steps, so that the AWS CLI never waits on a pager (disable_aws_pager: false leaves it alone)."
  else
    echo "aws-oidc/$step: set AWS_PAGER=\"\" in later steps so that the AWS CLI never waits on a pager" >&2
  fi
fi
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/install: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
