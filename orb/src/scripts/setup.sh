#!/bin/sh
# aws-oidc/setup: trades the job's OIDC token for AWS credentials.
# The binary does the work (and is where it is tested); this maps the
# PARAM_* values onto its flags, raw: `--expand-env` expands $VAR and ${VAR},
# and options left empty count as not given.

# bash reads $BASH_ENV by itself, sh (Alpine) does not; values may use what
# earlier steps exported there. Sourced before `set -u`, as bash would.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi
set -eu

set -- assume --expand-env \
  --role-arn "$PARAM_ROLE_ARN" \
  --session-name "$PARAM_ROLE_SESSION_NAME" \
  --duration "$PARAM_SESSION_DURATION" \
  --region "$PARAM_REGION" \
  --profile "$PARAM_PROFILE_NAME" \
  --audience "$PARAM_AUDIENCE" \
  --chain-role-arn "$PARAM_CHAIN_ROLE_ARN" \
  --external-id "$PARAM_EXTERNAL_ID" \
  --policy "$PARAM_SESSION_POLICY" \
  --policy-arn "$PARAM_POLICY_ARNS"
if [ "$PARAM_CONFIGURE_PROFILE_REGION" != true ]; then set -- "$@" --no-profile-region; fi
if [ "$PARAM_CONFIGURE_DEFAULT_REGION" = true ]; then set -- "$@" --default-region; fi
if [ "$PARAM_VERIFY" = true ]; then set -- "$@" --verify; fi
if [ "$PARAM_REFRESH" = true ]; then set -- "$@" --refresh; fi
# Last: its value is optional and defaults to $BASH_ENV.
if [ "$PARAM_SET_AWS_ENV_VARS" = true ]; then set -- "$@" --bash-env; fi

# The binary the install step put in place (it exports AWS_OIDC_BIN through $BASH_ENV).
bin="${AWS_OIDC_BIN:-$(command -v aws-oidc || :)}"
if [ ! -x "$bin" ]; then
  echo "aws-oidc/setup: aws-oidc is not installed: the install step did not run or failed" >&2
  exit 1
fi
exec "$bin" "$@"
