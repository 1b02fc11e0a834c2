#!/bin/sh
# aws-oidc/secrets: Secrets Manager secrets and SSM parameters exported for
# later steps. The binary does the work (and is where it is tested); this
# maps the PARAM_* values onto its flags, raw: `--expand-env` expands $VAR
# and ${VAR}, and options left empty count as not given. No value passes
# through this script: the binary writes them to $BASH_ENV itself.
# orb-pack:include(scripts/lib/prelude.sh)
step=secrets
read_bash_env
set -eu

set -- secrets --expand-env
# Before the options with values: --bash-env takes an optional path.
if is_true export "$PARAM_EXPORT"; then set -- "$@" --bash-env; fi
# --opt=VALUE, so a value that starts with - is refused by the binary as
# the bad value it is, not taken for an option.
set -- "$@" \
  --region="$PARAM_REGION" \
  --profile="$PARAM_PROFILE_NAME" \
  --role-arn="$PARAM_ROLE_ARN" \
  --session-name="$PARAM_ROLE_SESSION_NAME" \
  --audience="$PARAM_AUDIENCE" \
  --dotenv="$PARAM_DOTENV"
# Last: the specs, one value the binary splits at blanks and line breaks.
set -- "$@" "$PARAM_SECRETS"

bin=$(aws_oidc_path) || die "aws-oidc is not installed: the install step did not run or failed"
# shellcheck disable=SC2093 # what follows is for PowerShell
exec "$bin" "$@"
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/secrets: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
