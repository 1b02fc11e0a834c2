#!/bin/sh
# aws-oidc/cleanup: takes back what aws-oidc wrote in this job. The binary
# knows what that was (its ledger); this only finds the binary.

# bash reads $BASH_ENV by itself, sh (Alpine) does not: it names the binary.
if [ -f "${BASH_ENV:-}" ]; then
  # shellcheck disable=SC1090
  . "$BASH_ENV"
fi
set -eu

bin="${AWS_OIDC_BIN:-$(command -v aws-oidc || :)}"
if [ ! -x "$bin" ]; then
  # Nothing was installed, so nothing was written: a cleanup after a failed
  # install must not fail the job a second time.
  echo "aws-oidc/cleanup: aws-oidc is not installed, so it wrote nothing: nothing to do"
  exit 0
fi
exec "$bin" cleanup
