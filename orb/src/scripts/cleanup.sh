#!/bin/sh
# aws-oidc/cleanup: takes back what aws-oidc wrote in this job. The binary
# knows what that was (its ledger); this only finds the binary.
# orb-pack:include(scripts/lib/prelude.sh)
step=cleanup
read_bash_env
set -eu

if ! bin=$(aws_oidc_path); then
  # Nothing was installed, so nothing was written: a cleanup after a failed
  # install must not fail the job a second time.
  echo "aws-oidc/cleanup: aws-oidc is not installed, so it wrote nothing: nothing to do"
  exit 0
fi
# shellcheck disable=SC2093 # what follows is for PowerShell
exec "$bin" cleanup
#> > $null
# PowerShell (a Windows job's default shell) reads on here. No aws-oidc step
# runs under PowerShell, so nothing was written: cleanup (which runs `when:
# always`) has nothing to take back and must not fail the job.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/cleanup: this job's shell is PowerShell, where no aws-oidc step runs, so nothing was written: nothing to do. (The orb's steps need shell: bash.exe on Windows.)"
# shellcheck disable=SC2317 # for PowerShell
exit 0
