#!/bin/sh
# aws-oidc/codeartifact_login: a CodeArtifact repository where the package
# tool reads it. The binary does the work (and is where it is tested); this
# maps the PARAM_* values onto its flags, raw: `--expand-env` expands $VAR
# and ${VAR}, and options left empty count as not given. The token never
# passes through this script.
# orb-pack:include(scripts/lib/prelude.sh)
step=codeartifact_login
read_bash_env
set -eu

# --opt=VALUE, so a value that starts with - is refused by the binary as
# the bad value it is, not taken for an option.
set -- codeartifact-login --expand-env \
  --tool="$PARAM_TOOL" \
  --domain="$PARAM_DOMAIN" \
  --domain-owner="$PARAM_DOMAIN_OWNER" \
  --repository="$PARAM_REPOSITORY" \
  --duration="$PARAM_DURATION" \
  --namespace="$PARAM_NAMESPACE" \
  --region="$PARAM_REGION" \
  --profile="$PARAM_PROFILE_NAME" \
  --role-arn="$PARAM_ROLE_ARN" \
  --session-name="$PARAM_ROLE_SESSION_NAME" \
  --audience="$PARAM_AUDIENCE"
if is_true extra_index "$PARAM_EXTRA_INDEX"; then set -- "$@" --extra-index; fi

bin=$(aws_oidc_path) || die "aws-oidc is not installed: the install step did not run or failed"
# shellcheck disable=SC2093 # what follows is for PowerShell
exec "$bin" "$@"
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/codeartifact_login: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
