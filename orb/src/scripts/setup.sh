#!/bin/sh
# aws-oidc/setup: circleci/aws-cli's setup in one step (each step costs a
# CircleCI job agent time of its own): install aws-oidc, install the AWS CLI
# where the image has none, then trade the job's OIDC token for the role's
# credentials, or write the stored keys when no role is given. The binary
# does the credential work and makes that choice (and is where both are
# tested); this maps the PARAM_* values onto its flags, raw: `--expand-env`
# expands them, and options left empty count as not given.
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

  set_credentials
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

# One call: the binary assumes the role, or with no role_arn (empty after
# expansion) writes the stored keys, or with neither writes the region
# alone, as circleci/aws-cli's setup does; $AWS_ROLE_ARN does not count, as
# --role-arn is always given. The key parameters go as they are (names,
# templates or values): the binary reads each form and never prints them.
set_credentials() {
  set -- assume --expand-env \
    --role-arn="$role_arn" \
    --stored-access-key-id="$key_id" \
    --stored-secret-access-key="$secret" \
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
  if is_true set_aws_env_vars "$PARAM_SET_AWS_ENV_VARS"; then
    # With circleci/aws-cli's AWS_CLI_STR_* copies (4.1.2 on). No region:
    # no circleci/aws-cli version exports one (each profile's own region
    # stays in charge). Only this shell can tell whether it reads
    # $BASH_ENV. Last: --bash-env's value is optional.
    set -- "$@" --aws-cli-exports --no-region-export
    shell_reads_bash_env || set -- "$@" --bash-env-unread
    set -- "$@" --bash-env
  fi
  "$aws_oidc_bin" "$@"
}

main
exit
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/setup: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
