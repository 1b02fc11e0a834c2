#!/usr/bin/env bash
# make demo: the main job, end to end, on this machine.
#
# 1. moto's STS server on a free loopback port (stands in for AWS);
# 2. a signed token shaped like CircleCI's, in CIRCLE_OIDC_TOKEN_V2;
# 3. `aws-oidc assume` as a CircleCI step runs it, writing $BASH_ENV;
# 4. the next step sources $BASH_ENV and the AWS CLI calls STS with the keys.
set -euo pipefail
cd "$(dirname "$0")/.."

py=.venv/bin/python
bin=${AWS_OIDC_BIN:-target/x86_64-unknown-linux-musl/release/aws-oidc}
work=$(mktemp -d)
trap 'kill "${moto_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
  "$py" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.1
done

token=$("$py" - <<'PY'
import time, uuid, jwt
from cryptography.hazmat.primitives.asymmetric import rsa
org, project = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "0a1b2c3d-1111-4222-8333-444455556666"
now = int(time.time())
claims = {
    "iss": f"https://oidc.circleci.com/org/{org}", "aud": org, "iat": now, "exp": now + 3600,
    "sub": f"org/{org}/project/{project}/user/9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff"
           "/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main",
    "oidc.circleci.com/project-id": project, "jti": str(uuid.uuid4()),
}
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
print(jwt.encode(claims, key, algorithm="RS256"))
PY
)

export HOME="$work/home" BASH_ENV="$work/bash_env" CIRCLE_JOB=deploy CIRCLE_BUILD_NUM=42
export CIRCLE_OIDC_TOKEN_V2="$token" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port"
mkdir -p "$HOME"; : >"$BASH_ENV"

echo "== step 1: aws-oidc assume (what the orb's setup step runs)"
echo "\$ aws-oidc assume --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1"
"$bin" assume --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1

echo
echo "== \$BASH_ENV now holds (secrets redacted):"
sed -E 's/^(export AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN|ACCESS_KEY_ID))=.*/\1=<redacted>/' "$BASH_ENV"

echo
echo "== step 2: a later step uses the AWS CLI with those credentials"
echo "\$ aws sts get-caller-identity"
bash -c '. "$BASH_ENV"; exec .venv/bin/aws sts get-caller-identity --endpoint-url "$AWS_ENDPOINT_URL_STS"'
