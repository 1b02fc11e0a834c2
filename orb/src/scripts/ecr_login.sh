#!/bin/sh
# aws-oidc/ecr_login: ECR logins in Docker's config.json. The binary does
# the work (and is where it is tested); this maps the PARAM_* values onto
# its flags, raw: `--expand-env` expands $VAR and ${VAR}, and options left
# empty count as not given.

# bash reads $BASH_ENV by itself, sh (Alpine) does not; the credentials
# setup exported are there. Sourced before `set -u`, as bash would.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi
set -eu

set -- ecr-login --expand-env \
  --region "$PARAM_REGION" \
  --profile "$PARAM_PROFILE_NAME" \
  --role-arn "$PARAM_ROLE_ARN" \
  --session-name "$PARAM_ROLE_SESSION_NAME" \
  --audience "$PARAM_AUDIENCE"
if [ "$PARAM_PUBLIC" = true ]; then set -- "$@" --public; fi
if [ "$PARAM_HELPER" = true ]; then set -- "$@" --helper; fi
if [ "$PARAM_DOCKER_LOGIN" = true ]; then set -- "$@" --docker-login; fi
# Last: the registries, one value the binary splits at spaces and commas.
set -- "$@" -- "$PARAM_REGISTRIES"

# The binary the install step put in place (it exports AWS_OIDC_BIN through $BASH_ENV).
bin="${AWS_OIDC_BIN:-$(command -v aws-oidc || :)}"
if [ ! -x "$bin" ]; then
  echo "aws-oidc/ecr_login: aws-oidc is not installed: the install step did not run or failed" >&2
  exit 1
fi
exec "$bin" "$@"
