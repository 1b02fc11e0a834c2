#!/bin/sh
# aws-oidc/ecr_login: ECR logins in Docker's config.json. The binary does
# the work (and is where it is tested); this maps the PARAM_* values onto
# its flags, raw: `--expand-env` expands $VAR and ${VAR}, and options left
# empty count as not given.
# Each value is joined to its flag with `=`, so that one starting with `-`
# stays a value and is never read as an option.
# orb-pack:include(scripts/lib/prelude.sh)
step=ecr_login
read_bash_env
set -eu

set -- ecr-login --expand-env \
  --region="$PARAM_REGION" \
  --profile="$PARAM_PROFILE_NAME" \
  --role-arn="$PARAM_ROLE_ARN" \
  --session-name="$PARAM_ROLE_SESSION_NAME" \
  --audience="$PARAM_AUDIENCE"
if is_true public "$PARAM_PUBLIC"; then set -- "$@" --public; fi
if is_true helper "$PARAM_HELPER"; then set -- "$@" --helper; fi
if is_true docker_login "$PARAM_DOCKER_LOGIN"; then set -- "$@" --docker-login; fi
# Last: the registries, one value the binary splits at spaces and commas.
set -- "$@" -- "$PARAM_REGISTRIES"

bin=$(aws_oidc_path) || die "aws-oidc is not installed: the install step did not run or failed"
# shellcheck disable=SC2093 # what follows is for PowerShell
exec "$bin" "$@"
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/ecr_login: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
