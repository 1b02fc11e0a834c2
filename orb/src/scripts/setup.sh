#!/bin/sh
# aws-oidc/setup: trades the job's OIDC token for AWS credentials.
# The binary does the work (and is where it is tested); this maps the
# PARAM_* values onto its flags, raw: `--expand-env` expands $VAR and ${VAR},
# and options left empty count as not given. What is left here is what
# aws-cli/setup's parameters ask of the step itself: which of its two paths
# to take (a role, or stored keys), the pager, and a word on the parameters
# that install the AWS CLI.

# bash reads $BASH_ENV by itself, sh (Alpine) does not; values may use what
# earlier steps exported there. Sourced before `set -u`, as bash would.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi
set -eu

die() {
  printf 'aws-oidc/setup: %s\n' "$*" >&2
  exit 1
}

# True when $1 is empty, or is one reference ($NAME or ${NAME}) to a variable
# that is unset or empty: the forms a role ARN parameter takes when it is
# meant to come from the environment (its default is ${AWS_ROLE_ARN}). Any
# other text counts as given, and the binary expands and checks it.
expands_to_empty() {
  case $1 in
    '') return 0 ;;
    \$\{*\}) ref=${1#??}; ref=${ref%?} ;;
    '$'*) ref=${1#?} ;;
    *) return 1 ;;
  esac
  case $ref in
    '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*) return 1 ;;
  esac
  eval "[ -z \"\${$ref:-}\" ]"
}

# Sets $name to the variable name parameter $1 (value $2) holds, as
# aws-cli/setup takes it: NAME, $NAME or ${NAME}. The value itself is never
# printed: it may be a key pasted where its variable's name belongs.
variable_name() {
  case $2 in
    \$\{*\}) name=${2#??}; name=${name%?} ;;
    '$'*) name=${2#?} ;;
    *) name=$2 ;;
  esac
  case $name in
    '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*)
      die "$1 must be the name of an environment variable that holds the key (such as $3), not the key itself"
      ;;
  esac
}

# aws-cli/setup's parameters for installing the AWS CLI: accepted, so that its
# configs compile, and named in one line when they ask for something.
not_applicable=""
[ "$PARAM_VERSION" = latest ] || not_applicable="$not_applicable version"
[ "$PARAM_OVERRIDE_INSTALLED" = false ] || not_applicable="$not_applicable override_installed"
[ "$PARAM_INSTALL_DIR" = /usr/local/aws-cli ] || not_applicable="$not_applicable install_dir"
[ "$PARAM_BINARY_DIR" = /usr/local/bin ] || not_applicable="$not_applicable binary_dir"
[ "$PARAM_USE_BREW" = false ] || not_applicable="$not_applicable use_brew"
[ "$PARAM_DISABLE_AWS_INSTALL" = false ] || not_applicable="$not_applicable disable_aws_install"
if [ -n "$not_applicable" ]; then
  echo "aws-oidc/setup: not applicable, ignored:$not_applicable (aws-cli/setup's parameters for installing the AWS CLI, which aws-oidc does not install: use an image that has it, such as this orb's default executor)"
fi

if [ "$PARAM_DISABLE_AWS_PAGER" = true ] && [ -n "${BASH_ENV:-}" ]; then
  echo 'export AWS_PAGER=""' >>"$BASH_ENV"
fi

# aws-cli/setup's two paths: a role ARN (here or in AWS_ROLE_ARN) is assumed
# with the job's OIDC token; without one, the stored keys its two parameters
# name are written. With neither, `assume` says what is missing.
variable_name aws_access_key_id "$PARAM_AWS_ACCESS_KEY_ID" AWS_ACCESS_KEY_ID
key_id_var=$name
variable_name aws_secret_access_key "$PARAM_AWS_SECRET_ACCESS_KEY" AWS_SECRET_ACCESS_KEY
secret_var=$name
if expands_to_empty "$PARAM_ROLE_ARN" && ! expands_to_empty "\${$key_id_var}"; then
  set -- static-keys --expand-env \
    --access-key-id-var "$key_id_var" \
    --secret-access-key-var "$secret_var"
else
  set -- assume --expand-env \
    --role-arn "$PARAM_ROLE_ARN" \
    --session-name "$PARAM_ROLE_SESSION_NAME" \
    --duration "$PARAM_SESSION_DURATION" \
    --audience "$PARAM_AUDIENCE" \
    --chain-role-arn "$PARAM_CHAIN_ROLE_ARN" \
    --external-id "$PARAM_EXTERNAL_ID" \
    --policy "$PARAM_SESSION_POLICY" \
    --policy-arn "$PARAM_POLICY_ARNS"
  if [ "$PARAM_VERIFY" = true ]; then set -- "$@" --verify; fi
  if [ "$PARAM_REFRESH" = true ]; then set -- "$@" --refresh; fi
  set -- "$@" --allowed-account-ids "$PARAM_ALLOWED_ACCOUNT_IDS"
  if [ -n "$PARAM_SKIP_IF_VALID" ]; then set -- "$@" --skip-if-valid "$PARAM_SKIP_IF_VALID"; fi
  if [ "$PARAM_CIRCLECI_TAGS" = true ]; then set -- "$@" --circleci-tags; fi
fi
set -- "$@" --region "$PARAM_REGION" --profile "$PARAM_PROFILE_NAME"
if [ "$PARAM_CONFIGURE_PROFILE_REGION" != true ]; then set -- "$@" --no-profile-region; fi
if [ "$PARAM_CONFIGURE_DEFAULT_REGION" = true ]; then set -- "$@" --default-region; fi
# Last: its value is optional and defaults to $BASH_ENV.
if [ "$PARAM_SET_AWS_ENV_VARS" = true ]; then set -- "$@" --bash-env; fi

# The binary the install step put in place (it exports AWS_OIDC_BIN through $BASH_ENV).
bin="${AWS_OIDC_BIN:-$(command -v aws-oidc || :)}"
if [ ! -x "$bin" ]; then
  die "aws-oidc is not installed: the install step did not run or failed"
fi
exec "$bin" "$@"
