#!/bin/sh
# aws-oidc/install_aws_oidc: puts the pinned aws-oidc release into
# install_dir, for jobs that run aws-oidc themselves (setup, ecr_login and
# eks_kubeconfig install it on their own). The work is in
# lib/install_aws_oidc.sh, which setup shares.
# orb-pack:include(scripts/lib/prelude.sh)
step=install_aws_oidc
read_bash_env
set -eu
# orb-pack:include(scripts/lib/install_aws_oidc.sh)

install_aws_oidc "$PARAM_VERSION" "$PARAM_INSTALL_DIR" "$PARAM_DOWNLOAD_URL"
install_aws_oidc_done
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/install_aws_oidc: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
