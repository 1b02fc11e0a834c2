#!/bin/sh
# aws-oidc/setup: circleci/aws-cli's setup in one step (each step costs a
# CircleCI job agent time of its own): install aws-oidc, install the AWS CLI
# where the image has none, then trade the job's OIDC token for the role's
# credentials, or write the stored keys when no role is given. The binary
# does the credential work (and is where it is tested); this maps the
# PARAM_* values onto its flags, raw: `--expand-env` expands them, and
# options left empty count as not given.
# Each value is joined to its flag with `=`, so that one starting with `-`
# stays a value and is never read as an option.
# orb-pack:include(scripts/lib/prelude.sh)
step=setup
read_bash_env
set -eu
# orb-pack:include(scripts/lib/install_aws_oidc.sh)
# orb-pack:include(scripts/lib/install_aws_cli.sh)

main() {
  read_setup_parameters
  install_aws_oidc "$PARAM_AWS_OIDC_VERSION" "$PARAM_AWS_OIDC_INSTALL_DIR" "$PARAM_DOWNLOAD_URL"
  if is_true disable_aws_install "$PARAM_DISABLE_AWS_INSTALL"; then
    echo "aws-oidc/setup: disable_aws_install: the AWS CLI is not installed (aws-oidc needs none)"
  else
    install_aws_cli "$PARAM_VERSION" "$install_dir" "$binary_dir" "$override_installed" \
      "$use_brew" "$PARAM_AWS_CLI_DOWNLOAD_URL" "$PARAM_AWS_CLI_SIGNING_KEY"
    # As circleci/aws-cli's install does: only where the job set no pager itself.
    if $disable_aws_pager && [ -z "${AWS_PAGER+set}" ] && [ -n "${BASH_ENV:-}" ]; then
      echo 'export AWS_PAGER=""' >>"$BASH_ENV"
    fi
  fi

  if [ -n "$role_arn" ]; then
    assume_role
  else
    write_stored_keys
  fi
  # The install's last chores ran beside the above.
  install_aws_oidc_done
}

# Each parameter in whichever spelling the config used (v3's kebab-case or
# v4/v5's snake_case), booleans as true or false. The defaults are the
# parameters' text, `$` and all.
# shellcheck disable=SC2016
read_setup_parameters() {
  pick role_arn "$PARAM_ROLE_ARN" role-arn "$PARAM_ROLE_ARN_V3" ""
  role_arn=$picked
  pick role_session_name "$PARAM_ROLE_SESSION_NAME" role-session-name "$PARAM_ROLE_SESSION_NAME_V3" '${CIRCLE_JOB}'
  session_name=$picked
  pick session_duration "$PARAM_SESSION_DURATION" session-duration "$PARAM_SESSION_DURATION_V3" 3600
  duration=$picked
  pick profile_name "$PARAM_PROFILE_NAME" profile-name "$PARAM_PROFILE_NAME_V3" default
  profile=$picked
  pick install_dir "$PARAM_INSTALL_DIR" install-dir "$PARAM_INSTALL_DIR_V3" /usr/local/aws-cli
  install_dir=$picked
  pick binary_dir "$PARAM_BINARY_DIR" binary-dir "$PARAM_BINARY_DIR_V3" /usr/local/bin
  binary_dir=$picked
  # v3 names the variables that hold the region and the keys.
  region=$PARAM_REGION
  if [ "$PARAM_AWS_REGION_V3" != AWS_DEFAULT_REGION ]; then
    pick region "$PARAM_REGION" aws-region "\${$PARAM_AWS_REGION_V3}" '${AWS_DEFAULT_REGION}'
    region=$picked
  fi
  key_id=$PARAM_AWS_ACCESS_KEY_ID
  if [ "$PARAM_AWS_ACCESS_KEY_ID_V3" != AWS_ACCESS_KEY_ID ]; then
    pick aws_access_key_id "$PARAM_AWS_ACCESS_KEY_ID" aws-access-key-id "\$$PARAM_AWS_ACCESS_KEY_ID_V3" '$AWS_ACCESS_KEY_ID'
    key_id=$picked
  fi
  secret=$PARAM_AWS_SECRET_ACCESS_KEY
  if [ "$PARAM_AWS_SECRET_ACCESS_KEY_V3" != AWS_SECRET_ACCESS_KEY ]; then
    pick aws_secret_access_key "$PARAM_AWS_SECRET_ACCESS_KEY" aws-secret-access-key "\$$PARAM_AWS_SECRET_ACCESS_KEY_V3" '$AWS_SECRET_ACCESS_KEY'
    secret=$picked
  fi
  pick_bool override_installed "$PARAM_OVERRIDE_INSTALLED" override-installed "$PARAM_OVERRIDE_INSTALLED_V3" false
  override_installed=$picked
  pick_bool disable_aws_pager "$PARAM_DISABLE_AWS_PAGER" disable-aws-pager "$PARAM_DISABLE_AWS_PAGER_V3" true
  disable_aws_pager=$picked
  pick_bool configure_default_region "$PARAM_CONFIGURE_DEFAULT_REGION" configure-default-region "$PARAM_CONFIGURE_DEFAULT_REGION_V3" true
  default_region=$picked
  pick_bool configure_profile_region "$PARAM_CONFIGURE_PROFILE_REGION" configure-profile-region "$PARAM_CONFIGURE_PROFILE_REGION_V3" true
  profile_region=$picked
  if is_true use_brew "$PARAM_USE_BREW"; then use_brew=true; else use_brew=false; fi
}

# A role ARN: assume it with the job's OIDC token.
assume_role() {
  set -- assume --expand-env \
    --role-arn="$role_arn" \
    --session-name="$session_name" \
    --duration="$duration" \
    --audience="$PARAM_AUDIENCE" \
    --chain-role-arn="$PARAM_CHAIN_ROLE_ARN" \
    --external-id="$PARAM_EXTERNAL_ID" \
    --policy="$PARAM_SESSION_POLICY" \
    --policy-arn="$PARAM_POLICY_ARNS" \
    --allowed-account-ids="$PARAM_ALLOWED_ACCOUNT_IDS" \
    --region="$region" --profile="$profile"
  if is_true verify "$PARAM_VERIFY"; then set -- "$@" --verify; fi
  if is_true refresh "$PARAM_REFRESH"; then set -- "$@" --refresh; fi
  if [ -n "$PARAM_SKIP_IF_VALID" ]; then set -- "$@" --skip-if-valid="$PARAM_SKIP_IF_VALID"; fi
  if is_true circleci_tags "$PARAM_CIRCLECI_TAGS"; then set -- "$@" --circleci-tags; fi
  $profile_region || set -- "$@" --no-profile-region
  if $default_region; then set -- "$@" --default-region; fi
  exports=false
  if is_true set_aws_env_vars "$PARAM_SET_AWS_ENV_VARS"; then
    exports=true
    # No region: no circleci/aws-cli version exports one (each profile's
    # own region stays in charge). Last: its value is optional and
    # defaults to $BASH_ENV.
    set -- "$@" --no-region-export --bash-env
  fi
  "$aws_oidc_bin" "$@"
  if $exports && [ -n "${BASH_ENV:-}" ]; then
    # circleci/aws-cli (4.1.2 on) also exports these copies; some configs
    # read them. They copy the variables just written, so no key is here.
    # shellcheck disable=SC2016 # expanded when $BASH_ENV is read, not now
    printf '%s\n' \
      'export AWS_CLI_STR_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID}"' \
      'export AWS_CLI_STR_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY}"' \
      'export AWS_CLI_STR_SESSION_TOKEN="${AWS_SESSION_TOKEN}"' >>"$BASH_ENV"
    if ! shell_reads_bash_env; then
      echo "aws-oidc/setup: note: this step's shell is not bash, and /bin/sh (dash, busybox) does not read \$BASH_ENV: later steps see the exported keys only if they run in bash or source it themselves (. \"\$BASH_ENV\"). The profile \"$profile\" in ~/.aws works in every step (aws --profile, AWS_PROFILE)."
    fi
  fi
}

# No role ARN: the stored keys, written into the profile as circleci/aws-cli
# writes them (and, like it, not exported: the job's environment has them).
write_stored_keys() {
  key_source aws_access_key_id "$key_id"
  key_id_var=$source_var
  key_source aws_secret_access_key "$secret"
  secret_var=$source_var
  if [ -z "$key_id_var" ] || [ -z "$secret_var" ]; then
    # circleci/aws-cli then writes empty keys and goes on: a job that has
    # credentials of its own (or runs no aws at all) still works. Writing
    # empty keys would hide those, so only the region is written.
    echo "aws-oidc/setup: no role_arn and no stored keys (aws_access_key_id and aws_secret_access_key are empty): no credentials written. For OIDC, set role_arn."
    write_region_only
    return
  fi
  set -- static-keys --expand-env \
    --access-key-id-var="$key_id_var" \
    --secret-access-key-var="$secret_var" \
    --region="$region" --profile="$profile"
  $profile_region || set -- "$@" --no-profile-region
  if $default_region; then set -- "$@" --default-region; fi
  AWS_OIDC_STORED_KEY_ID=${staged_key_id:-} AWS_OIDC_STORED_SECRET=${staged_secret:-} \
    "$aws_oidc_bin" "$@"
}

# Sets $source_var to the variable that holds the value of key parameter $1
# (value $2), or to nothing when that value is empty. Accepted forms:
# $NAME or ${NAME} (v5.2+'s templates, v3's names), NAME when a variable of
# that name is set (v4's names), and any other template or literal, expanded
# as circleci/aws-cli v5.2+ does and handed over in a variable of our own.
# The value itself is never printed.
key_source() {
  case $2 in
    \$\{*\}) source_var=${2#??} source_var=${source_var%?} ;;
    \$*) source_var=${2#?} ;;
    *) source_var=$2 ;;
  esac
  case $source_var in
    '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*) source_var="" ;;
  esac
  if [ -n "$source_var" ] && [ "$source_var" = "$2" ]; then
    # A bare word: v4's variable name when such a variable is set.
    expand_env "\${$source_var+set}"
    [ "$expanded" = set ] || source_var=""
  fi
  if [ -n "$source_var" ]; then
    expand_env "\${$source_var}"
    [ -n "$expanded" ] || source_var=""
    return 0
  fi
  expand_env "$2"
  [ -n "$expanded" ] || return 0
  case $1 in
    aws_access_key_id) staged_key_id=$expanded source_var=AWS_OIDC_STORED_KEY_ID ;;
    *) staged_secret=$expanded source_var=AWS_OIDC_STORED_SECRET ;;
  esac
}

# Neither role nor keys: the region alone, with the AWS CLI as
# circleci/aws-cli does (aws-oidc writes regions only with credentials).
write_region_only() {
  expand_env "$region"
  [ -n "$expanded" ] || return 0
  if ! command -v aws >/dev/null 2>&1; then
    echo "aws-oidc/setup: no AWS CLI to write the region $expanded with: set AWS_REGION in the job instead"
    return 0
  fi
  if $default_region; then aws configure set default.region "$expanded"; fi
  if $profile_region; then aws configure set region "$expanded" --profile="$profile"; fi
}

main
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/setup: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
