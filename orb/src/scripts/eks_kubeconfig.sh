#!/bin/sh
# aws-oidc/eks_kubeconfig: writes an EKS cluster into the kubeconfig.
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

set -- eks-kubeconfig --expand-env \
  --cluster-name "$PARAM_CLUSTER_NAME" \
  --region "$PARAM_AWS_REGION" \
  --alias "$PARAM_CLUSTER_CONTEXT_ALIAS" \
  --kubeconfig "$PARAM_KUBECONFIG_FILE_PATH" \
  --profile "$PARAM_AWS_PROFILE"
# Only when given: an empty --role-arn would still count as given on the
# command line, and $AWS_ROLE_ARN alone names the role setup already assumed.
if [ -n "$PARAM_ROLE_ARN" ]; then set -- "$@" --role-arn "$PARAM_ROLE_ARN"; fi

# The binary the install step put in place (it exports AWS_OIDC_BIN through $BASH_ENV).
bin="${AWS_OIDC_BIN:-$(command -v aws-oidc || :)}"
if [ ! -x "$bin" ]; then
  echo "aws-oidc/eks_kubeconfig: aws-oidc is not installed: the install step did not run or failed" >&2
  exit 1
fi
exec "$bin" "$@"
