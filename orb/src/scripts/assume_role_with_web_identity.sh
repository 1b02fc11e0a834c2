#!/bin/sh
# aws-oidc/assume_role_with_web_identity (and v3's
# assume-role-with-web-identity): circleci/aws-cli's lower-level step that
# assumes role_arn with the job's OIDC token and exports the keys, writing
# no profile. With set_aws_env_vars false, the keys go to
# /tmp/<profile_name>.keys instead, as circleci/aws-cli v4 writes them.
# Each value is joined to its flag with `=`, so that one starting with `-`
# stays a value and is never read as an option.
# orb-pack:include(scripts/lib/prelude.sh)
step=assume_role_with_web_identity
read_bash_env
set -eu

[ -n "$PARAM_ROLE_ARN" ] || die "role_arn is empty: give the ARN of the role to assume"
bin=$(aws_oidc_path) || die "aws-oidc is not installed: run aws-oidc/setup or aws-oidc/install_aws_oidc first"
if is_true set_aws_env_vars "$PARAM_SET_AWS_ENV_VARS"; then
  [ -n "${BASH_ENV:-}" ] || die "BASH_ENV is not set: no file to export the keys through"
  target=$BASH_ENV
else
  expand_env "$PARAM_PROFILE_NAME"
  target="/tmp/$expanded.keys"
fi
"$bin" assume --expand-env \
  --role-arn="$PARAM_ROLE_ARN" \
  --session-name="$PARAM_ROLE_SESSION_NAME" \
  --duration="$PARAM_SESSION_DURATION" \
  --region="$PARAM_REGION" \
  --no-region-export --bash-env="$target"
# circleci/aws-cli's copies of the keys (v4 exported only these); they copy
# the variables just written, so no key is in this script.
# shellcheck disable=SC2016 # expanded when the file is read, not now
printf '%s\n' \
  'export AWS_CLI_STR_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID}"' \
  'export AWS_CLI_STR_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY}"' \
  'export AWS_CLI_STR_SESSION_TOKEN="${AWS_SESSION_TOKEN}"' >>"$target"
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/assume_role_with_web_identity: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
