#!/bin/sh
# aws-oidc/role_arn_setup (and v3's role-arn-setup): a profile that assumes
# role_arn with source_profile's credentials, written into ~/.aws/config
# with the AWS CLI as circleci/aws-cli writes it. The AWS CLI (which setup
# installs) then does the assuming itself, whenever the profile is used.
# orb-pack:include(scripts/lib/prelude.sh)
step=role_arn_setup
read_bash_env
set -eu

expand_env "$PARAM_PROFILE_NAME"
profile=$expanded
expand_env "$PARAM_ROLE_ARN"
role_arn=$expanded
expand_env "$PARAM_SOURCE_PROFILE"
source_profile=$expanded
[ -n "$profile" ] || die "profile_name is empty: name the profile to write"
[ -n "$role_arn" ] || die "role_arn is empty: give the ARN of the role the profile assumes"
[ -n "$source_profile" ] || die "source_profile is empty: name the profile whose credentials assume the role (setup's profile_name)"
credentials=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
[ -f "$credentials" ] || die "$credentials does not exist: run setup first (its profile is the source_profile)"
command -v aws >/dev/null 2>&1 || die "the AWS CLI is not installed: run setup (or install) first, which installs it"

# `aws configure set` takes the profile out of the dotted name: a name with
# dots or spaces goes through --profile instead.
aws configure set role_arn "$role_arn" --profile "$profile"
aws configure set source_profile "$source_profile" --profile "$profile"
echo "aws-oidc/$step: profile \"$profile\" assumes $role_arn with the credentials of profile \"$source_profile\" (aws --profile \"$profile\" ...)"
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/role_arn_setup: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
