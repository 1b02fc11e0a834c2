#!/bin/sh
# aws-oidc/eks_kubeconfig: writes an EKS cluster into the kubeconfig.
# The binary does the work (and is where it is tested); this maps the
# PARAM_* values onto its flags, raw: `--expand-env` expands $VAR and ${VAR},
# and options left empty count as not given.
# Each value is joined to its flag with `=`, so that one starting with `-`
# stays a value and is never read as an option.
# orb-pack:include(scripts/lib/prelude.sh)
step=eks_kubeconfig
read_bash_env
set -eu

set -- eks-kubeconfig --expand-env \
  --cluster-name="$PARAM_CLUSTER_NAME" \
  --region="$PARAM_AWS_REGION" \
  --alias="$PARAM_CLUSTER_CONTEXT_ALIAS" \
  --kubeconfig="$PARAM_KUBECONFIG_FILE_PATH" \
  --profile="$PARAM_AWS_PROFILE"
# Only when given: an empty --role-arn would still count as given on the
# command line, and $AWS_ROLE_ARN alone names the role setup already assumed.
if [ -n "$PARAM_ROLE_ARN" ]; then set -- "$@" --role-arn="$PARAM_ROLE_ARN"; fi

bin=$(aws_oidc_path) || die "aws-oidc is not installed: the install step did not run or failed"
# shellcheck disable=SC2093 # what follows is for PowerShell
exec "$bin" "$@"
#> > $null
# PowerShell (a Windows job's default shell) reads on here.
# shellcheck disable=SC2317 # for PowerShell
Write-Host "aws-oidc/eks_kubeconfig: this step is a POSIX shell script, and this job's shell is PowerShell. Set shell: bash.exe on this job (Git for Windows provides it), as the aws-cli orb asks on Windows."
# shellcheck disable=SC2317 # for PowerShell
exit 1
