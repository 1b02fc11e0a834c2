#!/bin/sh
# What a later step sees: `aws sts get-caller-identity` must name a session
# of the expected role, so the credentials came from that role and no other.
#
#   check-caller.sh ROLE_ARN [PROFILE [SESSION_NAME]]
#
# POSIX sh: it runs on Alpine too.
set -eu

die() {
  printf 'check-caller: %s\n' "$*" >&2
  exit 1
}

# bash reads $BASH_ENV by itself; sh does not, so source it as a later step
# of the job would see it.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi

role_arn=${1:-}
profile=${2:-}
session=${3:-}
case $role_arn in
  arn:*:iam::*:role/*) ;;
  *) die "expected a role ARN, got '$role_arn': is the aws-oidc-integration context attached to this job?" ;;
esac

# arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME -> arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION
partition=$(printf '%s' "$role_arn" | cut -d: -f2)
account=$(printf '%s' "$role_arn" | cut -d: -f5)
expected="arn:$partition:sts::$account:assumed-role/${role_arn##*/}/$session"

arn=$(aws sts get-caller-identity ${profile:+--profile "$profile"} --query Arn --output text)
echo "caller${profile:+ (profile $profile)}: $arn"
case $arn in
  "$expected"*) [ -z "$session" ] || [ "$arn" = "$expected" ] || die "expected $expected, got $arn" ;;
  *) die "expected a session of $role_arn (${expected}...), got $arn" ;;
esac
