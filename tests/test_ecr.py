"""Pushing to ECR without the AWS CLI: `aws-oidc ecr-login` and the Docker credential helper.

Private registries: moto's ECR (`GetAuthorizationToken` answers
`AWS:<account>-auth-token`, with an expiry in 2015, which aws-oidc reports
as unknown and never caches).  ECR Public: the SigV4-verifying fixture in
`support/ecr_public.py`.  A real registry (Debian's `docker-registry`, htpasswd auth
for the user and password moto's token decodes to) and a real client
(Debian's `skopeo`) show that what aws-oidc writes is all a client needs:
once through `auths`, once through `credHelpers`, skopeo running the helper.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from pathlib import Path

from support.accounts import ACCOUNT_ID, ROLE
from support.ecr import HOST, KEY_ID, MOTO_PASSWORD, PUBLIC_PASSWORD, REGION, SECRET
from support.registry import anonymous_status, make_oci_image, running_registry, skopeo
from support.servers import running_moto
from support.steps import assert_no_secrets, run_aws_oidc, with_tool

OTHER_ACCOUNT = "210987654321"


def docker_config(env: dict) -> dict:
    return json.loads((Path(env["DOCKER_CONFIG"]) / "config.json").read_text())


def login_of(config: dict, host: str) -> str:
    return base64.b64decode(config["auths"][host]["auth"]).decode()


def ecr_login(binary, env, *args, **kwargs) -> subprocess.CompletedProcess:
    result = run_aws_oidc(binary, ["ecr-login", *args], env, **kwargs)
    assert_no_secrets([result.stdout, result.stderr], [MOTO_PASSWORD, PUBLIC_PASSWORD, SECRET])
    return result


def helper(binary: Path, tmp_path: Path) -> Path:
    """docker-credential-aws-oidc: a link to the binary, as the orb's install makes it."""
    link = tmp_path / "helper-bin" / "docker-credential-aws-oidc"
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(binary)
    return link


def test_logins_for_several_accounts_go_into_auths_and_every_other_key_stays(aws_oidc_bin, ecr_env):
    config_dir = Path(ecr_env["DOCKER_CONFIG"])
    config_dir.mkdir()
    before = {"auths": {"ghcr.io": {"auth": "a2VlcDprZWVw"}}, "proxies": {"default": {"noProxy": "*.internal"}},
              "credHelpers": {HOST: "ecr-login"}, "experimental": "enabled"}  # fmt: skip
    (config_dir / "config.json").write_text(json.dumps(before))
    result = ecr_login(aws_oidc_bin, ecr_env, ACCOUNT_ID, f"{OTHER_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com")
    assert result.returncode == 0, result.stderr
    config = docker_config(ecr_env)
    assert login_of(config, HOST) == f"AWS:{MOTO_PASSWORD}"
    assert login_of(config, f"{OTHER_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com") == f"AWS:{MOTO_PASSWORD}"
    assert config["auths"]["ghcr.io"] == before["auths"]["ghcr.io"]
    assert config["proxies"] == before["proxies"] and config["experimental"] == "enabled"
    # Docker would have asked the other helper first: its entry for this host goes.
    assert HOST not in config["credHelpers"]
    assert stat.S_IMODE((config_dir / "config.json").stat().st_mode) == 0o600
    # The registries and the expiry, never the token; moto's 2015 expiry is reported as unknown.
    assert HOST in result.stderr and "eu-west-1" in result.stderr
    assert "unknown (ECR answered 2015-01-01T00:00:00Z, in the past" in result.stderr


def test_without_a_registry_it_is_this_accounts_in_the_region(aws_oidc_bin, ecr_env):
    result = ecr_login(aws_oidc_bin, ecr_env)
    assert result.returncode == 0, result.stderr
    assert login_of(docker_config(ecr_env), HOST) == f"AWS:{MOTO_PASSWORD}"


def test_an_invalid_config_json_is_refused_and_left_byte_for_byte(aws_oidc_bin, ecr_env):
    config_dir = Path(ecr_env["DOCKER_CONFIG"])
    config_dir.mkdir()
    broken = b'{"auths": {"ghcr.io": {"auth": "a2VlcA=="}},\n  "credsStore": \n'
    (config_dir / "config.json").write_bytes(broken)
    result = ecr_login(aws_oidc_bin, ecr_env, ACCOUNT_ID)
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr and "nothing was changed" in result.stderr
    assert (config_dir / "config.json").read_bytes() == broken


def test_a_host_that_is_not_ecr_is_refused_unless_given_explicitly(aws_oidc_bin, ecr_env):
    result = ecr_login(aws_oidc_bin, ecr_env, "registry.example.com")
    assert result.returncode == 1
    assert "is not an ECR registry" in result.stderr and "HOST=ACCOUNT_ID" in result.stderr
    assert not (Path(ecr_env["DOCKER_CONFIG"]) / "config.json").exists()
    result = ecr_login(aws_oidc_bin, ecr_env, f"registry.example.com={ACCOUNT_ID}")
    assert result.returncode == 0, result.stderr
    assert login_of(docker_config(ecr_env), "registry.example.com") == f"AWS:{MOTO_PASSWORD}"


def test_public_ecr_is_signed_for_ecr_public_in_us_east_1(aws_oidc_bin, ecr_env, ecr_public):
    env = {**ecr_env, "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_ECR_PUBLIC": ecr_public.url}
    result = ecr_login(aws_oidc_bin, env, "--public")
    assert result.returncode == 0, result.stderr
    assert ecr_public.calls == 1 and ecr_public.refused == []
    assert login_of(docker_config(env), "public.ecr.aws") == f"AWS:{PUBLIC_PASSWORD}"
    assert "public.ecr.aws" in result.stderr and "(in 11 h" in result.stderr
    # Keys the fixture does not know are refused by its signature check, and explained.
    wrong = {**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    result = ecr_login(aws_oidc_bin, wrong, "public.ecr.aws")
    assert result.returncode == 1
    assert ecr_public.refused == ["InvalidSignatureException"]
    assert "does not accept the credentials" in result.stderr


def test_a_role_without_the_permission_gets_accessdenied_explained(aws_oidc_bin, ecr_env, ecr_public):
    ecr_public.denied.add(KEY_ID)
    env = {**ecr_env, "AWS_ENDPOINT_URL_ECR_PUBLIC": ecr_public.url}
    result = ecr_login(aws_oidc_bin, env, "--public")
    assert result.returncode == 1
    assert "AccessDeniedException" in result.stderr
    assert '"ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"' in result.stderr
    assert not (Path(env["DOCKER_CONFIG"]) / "config.json").exists()


def test_private_accessdenied_from_iam_is_explained(aws_oidc_bin, job_env, tokens, tmp_path):
    """moto enforcing IAM: a role that may only read S3 asks ECR for a token."""
    import boto3

    with running_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as url:
        iam = boto3.client("iam", endpoint_url=url, region_name=REGION,
                           aws_access_key_id="AKIASETUP", aws_secret_access_key="setup")  # fmt: skip
        iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "*"},
                                                      "Action": "sts:AssumeRoleWithWebIdentity"}]}))  # fmt: skip
        iam.put_role_policy(RoleName="deploy", PolicyName="s3-only", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))  # fmt: skip
        env = {**job_env, "AWS_REGION": REGION, "AWS_ENDPOINT_URL_STS": url, "AWS_ENDPOINT_URL_ECR": url,
               "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "DOCKER_CONFIG": str(tmp_path / "docker")}  # fmt: skip
        # The third unauthenticated action is the web-identity call; ECR's is checked.
        result = ecr_login(aws_oidc_bin, env, "--role-arn", ROLE, ACCOUNT_ID)
    assert result.returncode == 1, result.stderr
    assert "AccessDenied" in result.stderr
    assert '"Action": "ecr:GetAuthorizationToken", "Resource": "*"' in result.stderr
    assert "assumed-role/deploy" in result.stderr


def test_a_role_is_assumed_in_the_same_call(aws_oidc_bin, job_env, moto_server, tokens, tmp_path):
    env = {**job_env, "AWS_REGION": REGION, "AWS_ENDPOINT_URL_STS": moto_server,
           "AWS_ENDPOINT_URL_ECR": moto_server, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(),
           "DOCKER_CONFIG": str(tmp_path / "docker")}  # fmt: skip
    result = ecr_login(aws_oidc_bin, env, "--role-arn", ROLE)
    assert result.returncode == 0, result.stderr
    assert "assumed-role/deploy" in result.stderr
    assert login_of(docker_config(env), HOST) == f"AWS:{MOTO_PASSWORD}"
    # $AWS_ROLE_ARN alone names the role setup already assumed: no keys, no second assume.
    result = ecr_login(aws_oidc_bin, {**env, "AWS_ROLE_ARN": ROLE})
    assert result.returncode == 1 and "no AWS credentials" in result.stderr


def test_a_refreshing_profile_supplies_the_credentials(aws_oidc_bin, job_env, moto_server, tokens, tmp_path):
    env = {**job_env, "AWS_REGION": REGION, "AWS_ENDPOINT_URL_STS": moto_server,
           "AWS_ENDPOINT_URL_ECR": moto_server, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(),
           "DOCKER_CONFIG": str(tmp_path / "docker"), "AWS_OIDC_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    setup = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "ci", "--refresh"], env)
    assert setup.returncode == 0, setup.stderr
    result = ecr_login(aws_oidc_bin, env, "--profile", "ci")
    assert result.returncode == 0, result.stderr
    assert 'profile "ci" (credential_process)' in result.stderr
    assert login_of(docker_config(env), HOST) == f"AWS:{MOTO_PASSWORD}"


def test_docker_login_gets_the_password_on_stdin_only(aws_oidc_bin, ecr_env, tmp_path):
    log = tmp_path / "docker.log"
    env = with_tool(ecr_env, tmp_path / "fake-docker", "docker",
                    f"printf 'args: %s\\n' \"$*\" >>'{log}'\nprintf 'stdin: ' >>'{log}'\ncat >>'{log}'\necho >>'{log}'\n")
    result = ecr_login(aws_oidc_bin, env, "--docker-login", ACCOUNT_ID)
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert lines == [f"args: login --username AWS --password-stdin -- {HOST}", f"stdin: {MOTO_PASSWORD}"]
    assert not (Path(env["DOCKER_CONFIG"]) / "config.json").exists()


def test_the_helper_speaks_dockers_protocol_and_caches_tokens(aws_oidc_bin, ecr_env, ecr_public, tmp_path):
    env = {**ecr_env, "AWS_ENDPOINT_URL_ECR_PUBLIC": ecr_public.url,
           "PATH": f"{helper(aws_oidc_bin, tmp_path).parent}:{ecr_env['PATH']}"}  # fmt: skip
    result = ecr_login(aws_oidc_bin, env, "--helper", "--public", ACCOUNT_ID)
    assert result.returncode == 0, result.stderr
    config = docker_config(env)
    assert config["credHelpers"] == {HOST: "aws-oidc", "public.ecr.aws": "aws-oidc"}
    assert "auths" not in config or not config["auths"]
    assert ecr_public.calls == 1

    def get(host: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker-credential-aws-oidc", "get"], input=host, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    # ecr-login primed the cache: Docker's gets cost no ECR Public call while the token lasts.
    for _ in range(2):
        out = get("https://public.ecr.aws")
        assert out.returncode == 0, out.stdout + out.stderr
        assert json.loads(out.stdout) == {"ServerURL": "https://public.ecr.aws", "Username": "AWS",
                                          "Secret": PUBLIC_PASSWORD}  # fmt: skip
    assert ecr_public.calls == 1
    # moto's token has no usable expiry: served, but never cached.
    out = get(HOST)
    assert json.loads(out.stdout)["Secret"] == MOTO_PASSWORD
    cached = [p for p in Path(env["AWS_OIDC_CACHE_DIR"]).glob("*.json")]
    assert len(cached) == 1, "only ECR Public's token is cached"
    assert stat.S_IMODE(cached[0].stat().st_mode) == 0o600
    # Not ours: the protocol's "not found"; store is refused; list names the hosts.
    out = get("registry.example.com")
    assert (out.returncode, out.stdout.strip()) == (1, "credentials not found in native keychain")
    out = subprocess.run([aws_oidc_bin, "docker-credential", "store"], input="{}", env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 1 and "stores none" in out.stdout
    out = subprocess.run(["docker-credential-aws-oidc", "list"], env=env, capture_output=True, text=True)
    assert json.loads(out.stdout) == {HOST: "AWS", "public.ecr.aws": "AWS"}


def test_cleanup_takes_back_the_logins_and_keeps_every_other_entry(aws_oidc_bin, ecr_env):
    """`aws-oidc cleanup` (the orb's cleanup step, `when: always`) removes the
    `auths` entries ecr-login wrote: a registry password must not outlive the
    job on a runner that is not thrown away."""
    config_dir = Path(ecr_env["DOCKER_CONFIG"])
    config_dir.mkdir()
    before = {"auths": {"ghcr.io": {"auth": "a2VlcDprZWVw"}}, "credHelpers": {"gcr.io": "gcloud"}}
    (config_dir / "config.json").write_text(json.dumps(before))
    assert ecr_login(aws_oidc_bin, ecr_env, ACCOUNT_ID).returncode == 0
    assert login_of(docker_config(ecr_env), HOST) == f"AWS:{MOTO_PASSWORD}"
    cleanup = run_aws_oidc(aws_oidc_bin, ["cleanup"], ecr_env)
    assert cleanup.returncode == 0, cleanup.stderr
    assert f"removed the logins to {HOST} from Docker's config file" in cleanup.stderr
    assert docker_config(ecr_env) == before
    assert MOTO_PASSWORD not in (config_dir / "config.json").read_text()
    again = run_aws_oidc(aws_oidc_bin, ["cleanup"], ecr_env)
    assert again.returncode == 0 and "nothing to do" in again.stderr


def test_cleanup_that_cannot_read_the_config_says_so_and_fails(aws_oidc_bin, ecr_env):
    assert ecr_login(aws_oidc_bin, ecr_env, ACCOUNT_ID).returncode == 0
    config = Path(ecr_env["DOCKER_CONFIG"]) / "config.json"
    config.write_text('{"auths": {"broken by hand": ')
    cleanup = run_aws_oidc(aws_oidc_bin, ["cleanup"], ecr_env)
    assert cleanup.returncode == 1
    assert f"could not take back the logins to {HOST}" in cleanup.stderr and "by hand" in cleanup.stderr
    assert config.read_text() == '{"auths": {"broken by hand": ', "left exactly as it was"


def test_cleanup_takes_back_the_helper_entries_and_its_cached_tokens(aws_oidc_bin, ecr_env, ecr_public, tmp_path):
    env = {**ecr_env, "AWS_ENDPOINT_URL_ECR_PUBLIC": ecr_public.url,
           "PATH": f"{helper(aws_oidc_bin, tmp_path).parent}:{ecr_env['PATH']}"}  # fmt: skip
    config_dir = Path(env["DOCKER_CONFIG"])
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({"credHelpers": {"gcr.io": "gcloud"}}))
    assert ecr_login(aws_oidc_bin, env, "--helper", "--public", ACCOUNT_ID).returncode == 0
    cache = Path(env["AWS_OIDC_CACHE_DIR"])
    assert len(list(cache.glob("*.json"))) == 1, "ECR Public's token is cached"
    cleanup = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert cleanup.returncode == 0, cleanup.stderr
    assert docker_config(env) == {"credHelpers": {"gcr.io": "gcloud"}}
    assert list(cache.glob("*.json")) == [], "the cached registry token is gone"
    assert "deleted 1 file" in cleanup.stderr


def test_skopeo_pushes_and_pulls_with_only_what_aws_oidc_wrote(aws_oidc_bin, ecr_env, tmp_path):
    image = tmp_path / "image"
    layer = make_oci_image(image)
    with running_registry(tmp_path / "registry", "AWS", MOTO_PASSWORD) as registry:
        assert anonymous_status(registry) == 401
        # skopeo sees a HOME and PATH of its own, and nothing but what aws-oidc wrote there.
        client = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path / "skopeo-home"),
                  "DOCKER_CONFIG": ecr_env["DOCKER_CONFIG"]}  # fmt: skip
        denied = skopeo(client, "copy", "--dest-tls-verify=false", f"oci:{image}:v1", f"docker://{registry}/app:v1")
        assert denied.returncode != 0, "the registry took an image without credentials"

        # 1. auths: the registry given explicitly under its own name.
        result = ecr_login(aws_oidc_bin, ecr_env, f"{registry}={ACCOUNT_ID}")
        assert result.returncode == 0, result.stderr
        pushed = skopeo(client, "copy", "--dest-tls-verify=false", f"oci:{image}:v1", f"docker://{registry}/app:v1")
        assert pushed.returncode == 0, pushed.stderr
        pulled = skopeo(client, "copy", "--src-tls-verify=false", f"docker://{registry}/app:v1",
                        f"oci:{tmp_path / 'pulled-auths'}:v1")  # fmt: skip
        assert pulled.returncode == 0, pulled.stderr
        assert (tmp_path / "pulled-auths" / "blobs" / "sha256" / layer.split(":")[1]).is_file()

        # 2. credHelpers: skopeo runs docker-credential-aws-oidc, which asks moto's ECR.
        result = ecr_login(aws_oidc_bin, ecr_env, "--helper", f"{registry}={ACCOUNT_ID}")
        assert result.returncode == 0, result.stderr
        config = docker_config(ecr_env)
        assert config["credHelpers"][registry] == "aws-oidc" and registry not in config.get("auths", {})
        with_helper = {**client, "PATH": f"{helper(aws_oidc_bin, tmp_path).parent}:{client['PATH']}",
                       **{k: ecr_env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                  "AWS_ENDPOINT_URL_ECR", "AWS_OIDC_CACHE_DIR")}}  # fmt: skip
        pushed = skopeo(with_helper, "copy", "--dest-tls-verify=false", f"oci:{image}:v1",
                        f"docker://{registry}/app:v2")  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        pulled = skopeo(with_helper, "copy", "--src-tls-verify=false", f"docker://{registry}/app:v2",
                        f"oci:{tmp_path / 'pulled-helper'}:v2")  # fmt: skip
        assert pulled.returncode == 0, pulled.stderr
        assert (tmp_path / "pulled-helper" / "blobs" / "sha256" / layer.split(":")[1]).is_file()
        # Without the helper on PATH the same config gets nowhere.
        lost = skopeo(client, "copy", "--dest-tls-verify=false", f"oci:{image}:v1", f"docker://{registry}/app:v3")
        assert lost.returncode != 0
    assert_no_secrets([pushed.stderr, pulled.stderr, lost.stderr], [MOTO_PASSWORD])
    assert os.environ.get("AWS_SECRET_ACCESS_KEY") != SECRET
