"""`aws-oidc assume` end to end: the release binary, moto's STS on loopback,
and the real AWS CLI reading what the binary wrote.

Each test is a user story: a CircleCI job step with a token in its
environment runs the binary; a later step uses the AWS CLI.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import subprocess
from pathlib import Path

import pytest

from support.accounts import ROLE, SECOND_ROLE
from support.certs import make_chain
from support.loopback import ForwardProxy, TlsFront
from support.steps import assert_no_secrets, credentials_in, run_aws, run_aws_oidc, sourced_env


@pytest.fixture
def step(aws_oidc_bin, moto_server, tokens, job_env):
    """Runs `aws-oidc ARGS` in a job step whose token is in CIRCLE_OIDC_TOKEN_V2."""
    token = tokens.mint()
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": token, "AWS_REGION": "us-east-1"}

    def run(*args: str, extra_env: dict | None = None, endpoint: bool = True) -> subprocess.CompletedProcess:
        e = {**env, **(extra_env or {})}
        argv = list(args)
        if endpoint:
            argv += ["--endpoint-url", moto_server]
        result = run_aws_oidc(aws_oidc_bin, argv, e)
        assert token not in result.stdout + result.stderr, "the OIDC token leaked into output"
        return result

    run.env = env
    run.token = token
    run.aws_oidc_bin = aws_oidc_bin
    run.moto = moto_server
    return run


def caller_arn(env: dict[str, str], endpoint: str, *args: str) -> str:
    result = run_aws(env, "sts", "get-caller-identity", *args, endpoint=endpoint)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["Arn"]


def test_exports_credentials_that_the_aws_cli_uses_in_a_later_step(step, moto_server, job_env):
    result = step("assume", "--role-arn", ROLE, "--bash-env")
    assert result.returncode == 0, result.stderr
    # One line: the assumed role and when the credentials expire.
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "assumed arn:aws:sts::123456789012:assumed-role/deploy/deploy-42" in lines[0]
    assert re.search(r"expire \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 59 min\)", lines[0]), lines[0]
    assert result.stdout == ""

    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert later["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert later["AWS_REGION"] == later["AWS_DEFAULT_REGION"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", later["AWS_CREDENTIAL_EXPIRATION"])
    assert caller_arn(later, moto_server).endswith(":assumed-role/deploy/deploy-42")
    assert_no_secrets([result.stdout, result.stderr], credentials_in(later))


def test_bash_env_is_the_default_sink_in_a_circleci_job(step, job_env):
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 0, result.stderr
    assert "wrote $BASH_ENV" in result.stderr
    assert "export AWS_SESSION_TOKEN=" in Path(job_env["BASH_ENV"]).read_text()


def test_profile_works_with_the_aws_cli_and_is_private(step, moto_server, job_env):
    result = step("assume", "--role-arn", ROLE, "--profile", "deploy", "--region", "eu-west-2")
    assert result.returncode == 0, result.stderr
    home = Path(job_env["HOME"])
    creds = home / ".aws/credentials"
    config = home / ".aws/config"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / ".aws").stat().st_mode) == 0o700
    assert "[profile deploy]\nregion = eu-west-2\n" in config.read_text()
    # Only the profile was written: $BASH_ENV is untouched.
    assert Path(job_env["BASH_ENV"]).read_text() == ""

    env = {k: v for k, v in job_env.items()}
    assert caller_arn(env, moto_server, "--profile", "deploy").endswith("/deploy-42")
    # The region written to the profile is what the CLI uses.
    region = run_aws(env, "configure", "get", "region", "--profile", "deploy")
    assert region.stdout.strip() == "eu-west-2"


def test_profile_update_keeps_every_other_byte(step, job_env):
    aws_dir = Path(job_env["HOME"]) / ".aws"
    aws_dir.mkdir()
    before = "# managed by hand\r\n[other]\r\naws_access_key_id = AKIAOTHER\r\n\r\n[deploy]\r\naws_access_key_id = OLD\r\n; trailing comment\r\n"
    (aws_dir / "credentials").write_bytes(before.encode())
    result = step("assume", "--role-arn", ROLE, "--profile", "deploy")
    assert result.returncode == 0, result.stderr
    after = (aws_dir / "credentials").read_bytes().decode()
    assert after.startswith("# managed by hand\r\n[other]\r\naws_access_key_id = AKIAOTHER\r\n\r\n[deploy]\r\naws_access_key_id = ASIA")
    assert after.endswith("; trailing comment\r\n")
    assert "= OLD\r\n" not in after, "the old key must be replaced, not kept beside the new one"
    assert after.count("aws_session_token = ") == 1
    assert "\r\n" in after and "\n" not in after.replace("\r\n", "")


def test_two_profiles_side_by_side(step, moto_server, job_env):
    for name, region in (("dev", "us-east-1"), ("prod", "eu-west-1")):
        r = step("assume", "--role-arn", ROLE, "--profile", name, "--region", region, "--session-name", f"s-{name}")
        assert r.returncode == 0, r.stderr
    env = dict(job_env)
    assert caller_arn(env, moto_server, "--profile", "dev").endswith("/s-dev")
    assert caller_arn(env, moto_server, "--profile", "prod").endswith("/s-prod")


def test_json_output_is_the_credential_process_format(step, moto_server, job_env):
    result = step("assume", "--role-arn", ROLE, "--output", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["Version"] == 1
    assert set(doc) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["Expiration"])
    assert doc["SecretAccessKey"] not in result.stderr

    # The AWS CLI takes it as a credential_process.
    saved = Path(job_env["HOME"]) / "creds.json"
    saved.write_text(result.stdout)
    config = Path(job_env["HOME"]) / "process-config"
    config.write_text(f"[profile proc]\ncredential_process = cat {saved}\nregion = us-east-1\n")
    env = {**job_env, "AWS_CONFIG_FILE": str(config)}
    assert caller_arn(env, moto_server, "--profile", "proc").endswith("/deploy-42")


def test_dotenv_output_reads_back_in_sh(step, job_env, tmp_path):
    target = tmp_path / "aws.env"
    result = step("assume", "--role-arn", ROLE, "--output", "dotenv", str(target))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    out = subprocess.run(["sh", "-c", f'. "{target}"; printf %s "$AWS_ACCESS_KEY_ID"'], capture_output=True, text=True)
    assert out.stdout.startswith("ASIA")
    assert "export" not in target.read_text()


def test_role_chaining_and_verify(step, moto_server, job_env):
    result = step("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--chain-session-name", "hop", "--verify", "--bash-env")
    assert result.returncode == 0, result.stderr
    assert "assumed arn:aws:sts::123456789012:assumed-role/second/hop (via arn:aws:sts::123456789012:assumed-role/deploy/deploy-42)" in result.stderr
    assert "verified as arn:aws:sts::123456789012:assumed-role/second/hop" in result.stderr
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert caller_arn(later, moto_server).endswith("/second/hop")


def test_chaining_over_one_hour_is_refused_before_any_call(step):
    result = step("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--duration", "2h", endpoint=False,
                  extra_env={"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "role chaining" in result.stderr and "1 hour" in result.stderr


def test_endpoint_and_region_come_from_the_sdk_variables(step, moto_server):
    result = step("assume", "--role-arn", ROLE, "--output", "json", endpoint=False,
                  extra_env={"AWS_ENDPOINT_URL_STS": moto_server, "AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-southeast-2"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1


def test_expand_env_resolves_orb_style_parameters(step, job_env):
    result = step("assume", "--expand-env", "--role-arn", "${DEPLOY_ROLE}", "--region", "${UNSET_REGION:-ca-central-1}",
                  "--session-name", "$CIRCLE_JOB-x", "--bash-env",
                  extra_env={"DEPLOY_ROLE": ROLE})
    assert result.returncode == 0, result.stderr
    assert "assumed-role/deploy/deploy-x" in result.stderr
    assert "export AWS_REGION=ca-central-1" in Path(job_env["BASH_ENV"]).read_text()


def test_empty_role_arn_after_expansion_says_what_to_set(step):
    result = step("assume", "--expand-env", "--role-arn", "${AWS_ROLE_ARN}", "--bash-env")
    assert result.returncode == 1
    assert "role_arn is empty" in result.stderr and "AWS_ROLE_ARN" in result.stderr


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--role-arn", "arn:aws:iam::123:role/x"], "not 12 digits"),
        (["--role-arn", ROLE, "--duration", "100"], "900 to 43200"),
        (["--role-arn", ROLE, "--region", "moon"], "invalid region"),
        (["--role-arn", ROLE, "--policy", "{nope"], "not valid JSON"),
        (["--role-arn", ROLE, "--policy-arn", "arn:aws:iam::aws:role/x"], "invalid policy ARN"),
        (["--role-arn", ROLE, "--output", "yaml"], "unknown --output"),
        (["--role-arn", ROLE, "--profile", "bad]name"], "invalid profile name"),
    ],
)
def test_bad_input_fails_before_any_network_call(step, job_env, args, needle):
    # The endpoint is a closed port: a network call would fail differently.
    result = step("assume", *args, endpoint=False, extra_env={"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"})
    assert result.returncode == 1, result.stderr
    assert needle in result.stderr
    assert Path(job_env["BASH_ENV"]).read_text() == ""
    assert not (Path(job_env["HOME"]) / ".aws").exists()


def test_no_token_and_no_circleci_cli_explains_the_usual_causes(aws_oidc_bin, job_env):
    env = {**job_env, "AWS_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", "http://127.0.0.1:9"], env)
    assert result.returncode == 1
    for needle in ("no CircleCI OIDC token", "fork", "4.4", "context", "--token-file"):
        assert needle in result.stderr, needle


def test_expired_token_without_a_way_to_mint_is_a_clear_error(step, tokens):
    stale = tokens.mint(exp_in=-30)
    result = step("assume", "--role-arn", ROLE, extra_env={"CIRCLE_OIDC_TOKEN_V2": stale, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "expired at" in result.stderr and "one hour" in result.stderr
    assert stale not in result.stderr


def test_expired_env_token_is_replaced_by_circleci_run_oidc_get(step, tokens, tmp_path):
    fresh = tokens.mint(aud="custom-aud")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "circleci.log"
    cli = bindir / "circleci"
    cli.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\nprintf '%s\\n' '{fresh}'\n")
    cli.chmod(0o755)
    stale = tokens.mint(exp_in=-30)
    result = step("assume", "--role-arn", ROLE, "--output", "json",
                  extra_env={"CIRCLE_OIDC_TOKEN_V2": stale, "PATH": f"{bindir}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    # Minted with the audience of the job's own token, so the trust policy still matches.
    assert log.read_text().strip() == 'run oidc get --claims {"aud":"%s"}' % "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert fresh not in result.stdout + result.stderr


def test_token_file_is_read(step, tokens, tmp_path):
    path = tmp_path / "token"
    path.write_text(tokens.mint() + "\n")
    result = step("assume", "--role-arn", ROLE, "--token-file", str(path), "--output", "json",
                  extra_env={"CIRCLE_OIDC_TOKEN_V2": ""})
    assert result.returncode == 0, result.stderr


def test_a_token_that_is_not_a_jwt_is_refused_without_echoing_it(step):
    bogus = "this-is-not-a-jwt-but-a-secret-value"
    result = step("assume", "--role-arn", ROLE, extra_env={"CIRCLE_OIDC_TOKEN_V2": bogus})
    assert result.returncode == 1
    assert "not a JWT" in result.stderr
    assert bogus not in result.stderr


def test_unwritable_bash_env_fails_before_spending_the_token(step, job_env, tmp_path):
    # A directory cannot be appended to, even by root.
    result = step("assume", "--role-arn", ROLE, "--profile", "p", "--bash-env", str(tmp_path))
    assert result.returncode == 1
    assert "cannot append to" in result.stderr and "BASH_ENV" in result.stderr
    assert not (Path(job_env["HOME"]) / ".aws").exists(), "the profile was written although the step failed"


def test_broken_credentials_file_is_refused_and_left_as_it_was(step, job_env):
    aws_dir = Path(job_env["HOME"]) / ".aws"
    aws_dir.mkdir()
    broken = "[ok]\naws_access_key_id = X\nthis line is garbage\n"
    (aws_dir / "credentials").write_text(broken)
    result = step("assume", "--role-arn", ROLE, "--profile", "p", "--bash-env")
    assert result.returncode == 1
    assert "line 3" in result.stderr and "nothing was changed" in result.stderr
    assert (aws_dir / "credentials").read_text() == broken
    assert Path(job_env["BASH_ENV"]).read_text() == ""


def test_hostile_values_round_trip_through_bash_env(step, job_env):
    name = "it's $HOME `id` \"q\" ;x"
    result = step("assume", "--role-arn", ROLE, "--session-name", name, "--bash-env")
    assert result.returncode == 0, result.stderr
    # The session name is sanitised for STS; what reaches $BASH_ENV sources cleanly.
    assert "assumed-role/deploy/it-s-HOME-id-q-x" in result.stderr
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert later["AWS_ACCESS_KEY_ID"].startswith("ASIA")


def test_static_keys_in_the_environment_that_shadow_the_profile_are_called_out(step):
    result = step("assume", "--role-arn", ROLE, "--profile", "prod",
                  extra_env={"AWS_ACCESS_KEY_ID": "AKIAFROMEARLIERSTEP", "AWS_SECRET_ACCESS_KEY": "x"})
    assert result.returncode == 0, result.stderr
    assert "warning: AWS_ACCESS_KEY_ID is set" in result.stderr
    assert "set_aws_env_vars: false" in result.stderr


def test_https_endpoint_trusted_through_ssl_cert_file(step, moto_server, tmp_path):
    front = TlsFront(moto_server, tmp_path)
    try:
        ok = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url,
                  endpoint=False, extra_env={"SSL_CERT_FILE": str(front.ca)})
        assert ok.returncode == 0, ok.stderr
        # Without the CA the certificate is not trusted, and the error says where to look.
        bad = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url,
                   "--timeout", "5", endpoint=False)
        assert bad.returncode == 1
        assert "SSL_CERT_FILE" in bad.stderr
    finally:
        front.stop()


def test_requests_go_through_the_proxy_from_the_environment(step, moto_server):
    proxy = ForwardProxy()
    try:
        result = step("assume", "--role-arn", ROLE, "--output", "json", "--verify",
                      extra_env={"HTTP_PROXY": proxy.url, "NO_PROXY": ""})
        assert result.returncode == 0, result.stderr
        assert any(moto_server in line for line in proxy.seen), proxy.seen
        assert len(proxy.seen) == 2, proxy.seen  # the assume and the verify
        # NO_PROXY sends the request direct.
        proxy.seen.clear()
        direct = step("assume", "--role-arn", ROLE, "--output", "json",
                      extra_env={"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"})
        assert direct.returncode == 0, direct.stderr
        assert proxy.seen == []
    finally:
        proxy.stop()


def test_a_proxys_credentials_and_an_https_proxy(step, moto_server, tmp_path):
    """The proxy URL's user and password go to the proxy as Basic auth (on
    the forwarded request, or on the CONNECT of a tunnel), and an https://
    proxy is reached over TLS, trusted by the same CAs."""
    (tmp_path / "front").mkdir()
    front = TlsFront(moto_server, tmp_path / "front")
    proxy_ca = make_chain(tmp_path / "proxy", "proxy")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(front.ca.read_bytes() + proxy_ca.root.read_bytes())
    plain, tunnels, over_tls = ForwardProxy(), ForwardProxy(tunnels=True), ForwardProxy(tunnels=True, tls=proxy_ca)
    auth = "Basic " + base64.b64encode(b"ci-user:s3cret-proxy-pw").decode()

    def with_user(url: str) -> str:
        return url.replace("://", "://ci-user:s3cret-proxy-pw@")

    try:
        forwarded = step("assume", "--role-arn", ROLE, "--output", "json",
                         extra_env={"HTTP_PROXY": with_user(plain.url), "NO_PROXY": ""})
        assert forwarded.returncode == 0, forwarded.stderr
        assert plain.authorizations == [auth], plain.authorizations
        tunnelled = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url,
                         endpoint=False, extra_env={"HTTPS_PROXY": with_user(tunnels.url), "NO_PROXY": "",
                                                    "AWS_CA_BUNDLE": str(bundle)})
        assert tunnelled.returncode == 0, tunnelled.stderr
        assert tunnels.seen == [f"CONNECT 127.0.0.1:{front.port}"] and tunnels.authorizations == [auth]
        for name, endpoint, seen in (("HTTPS_PROXY", front.url, f"CONNECT 127.0.0.1:{front.port}"),
                                     ("HTTP_PROXY", moto_server, f"POST {moto_server}/")):
            over_tls.seen.clear()
            result = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", endpoint,
                          endpoint=False, extra_env={name: over_tls.url, "NO_PROXY": "", "AWS_CA_BUNDLE": str(bundle)})
            assert result.returncode == 0, result.stderr
            assert over_tls.seen == [seen], over_tls.seen
        assert "s3cret-proxy-pw" not in forwarded.stderr + tunnelled.stderr
    finally:
        for server in (front, plain, tunnels, over_tls):
            server.stop()


def test_help_teaches_each_option(aws_oidc_bin):
    out = subprocess.run([str(aws_oidc_bin), "assume", "--help"], capture_output=True, text=True).stdout
    for opt in ("--role-arn", "--region", "--session-name", "--duration", "--policy", "--policy-arn",
                "--endpoint-url", "--token-file", "--audience", "--bash-env", "--profile", "--output",
                "--verify", "--chain-role-arn", "--external-id", "--chain-session-name", "--expand-env"):
        assert opt in out, opt
    assert "AWS_ROLE_ARN" in out and "CIRCLE_OIDC_TOKEN_V2" in out
    version = subprocess.run([str(aws_oidc_bin), "--version"], capture_output=True, text=True).stdout
    cargo = (Path(__file__).parent.parent / "Cargo.toml").read_text()
    assert version.strip() == "aws-oidc " + re.search(r'^version = "(.+)"', cargo, re.M).group(1)


@pytest.mark.parametrize(
    "region, extra_env, host",
    [
        ("us-east-1", {}, "sts.us-east-1.amazonaws.com:443"),
        ("eu-west-2", {}, "sts.eu-west-2.amazonaws.com:443"),
        ("us-east-1", {"AWS_USE_FIPS_ENDPOINT": "true"}, "sts-fips.us-east-1.amazonaws.com:443"),
        ("cn-north-1", {}, "sts.cn-north-1.amazonaws.com.cn:443"),
    ],
)
def test_the_regional_endpoint_is_used_by_default(step, region, extra_env, host):
    # The proxy sees which host the HTTPS tunnel was for, and refuses it.
    proxy = ForwardProxy()
    try:
        result = step("assume", "--role-arn", ROLE, "--region", region, "--output", "json", "--timeout", "3",
                      endpoint=False, extra_env={"HTTPS_PROXY": proxy.url, "NO_PROXY": "", **extra_env})
        assert result.returncode == 1
        assert proxy.seen and all(line == f"CONNECT {host}" for line in proxy.seen), proxy.seen
        assert f"https://{host.removesuffix(':443')}" in result.stderr, "the error names the endpoint"
    finally:
        proxy.stop()


# --- issue 15: any aws-cli/setup config works, the region and token as the AWS CLI finds them ---

def test_no_region_anywhere_calls_the_global_endpoint_and_writes_no_region(step):
    # As the AWS CLI does with no region: STS's global endpoint, seen through the proxy's CONNECT.
    proxy = ForwardProxy()
    env = {k: v for k, v in step.env.items() if k != "AWS_REGION"}
    try:
        result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "json", "--timeout", "3"],
                              {**env, "HTTPS_PROXY": proxy.url, "NO_PROXY": ""})
        assert result.returncode == 1
        assert proxy.seen and all(line == "CONNECT sts.amazonaws.com:443" for line in proxy.seen), proxy.seen
        assert "https://sts.amazonaws.com" in result.stderr
    finally:
        proxy.stop()


def test_no_region_with_an_endpoint_writes_no_region_and_says_so(step, job_env, moto_server):
    env = {k: v for k, v in step.env.items() if k != "AWS_REGION"}
    result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", moto_server,
                                              "--profile", "ci", "--bash-env"], env)
    assert result.returncode == 0, result.stderr
    assert "no region given, so no region written" in result.stderr
    assert "global endpoint" not in result.stderr, "the explicit endpoint won"
    exported = Path(job_env["BASH_ENV"]).read_text()
    assert "AWS_ACCESS_KEY_ID" in exported and "AWS_REGION" not in exported
    config = Path(job_env["HOME"]) / ".aws" / "config"
    assert not config.exists() or "region" not in config.read_text()
    assert "aws_session_token" in (Path(job_env["HOME"]) / ".aws" / "credentials").read_text()
    # The later step sets its region, as CircleCI's OIDC tutorial does, and the CLI works.
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    later["AWS_DEFAULT_REGION"] = "us-east-1"
    assert caller_arn(later, moto_server).endswith("assumed-role/deploy/deploy-42")


def test_settings_that_need_a_region_are_refused_without_one(step):
    env = {k: v for k, v in step.env.items() if k != "AWS_REGION"}
    result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "json"],
                          {**env, "AWS_USE_FIPS_ENDPOINT": "true"})
    assert result.returncode == 1
    assert "AWS_USE_FIPS_ENDPOINT=true needs an AWS region" in result.stderr and "--region" in result.stderr


def test_the_region_comes_from_the_profile_after_the_variables(step, job_env, tmp_path):
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = eu-north-1\n[profile ci]\nregion = ap-east-1\n")
    env = {k: v for k, v in step.env.items() if k != "AWS_REGION"}
    env["AWS_CONFIG_FILE"] = str(config)
    result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", step.moto,
                                              "--output", "dotenv", str(tmp_path / "a.env")], env)
    assert result.returncode == 0, result.stderr
    assert "AWS_REGION=eu-north-1" in (tmp_path / "a.env").read_text()
    result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", step.moto,
                                              "--output", "dotenv", str(tmp_path / "b.env")],
                          {**env, "AWS_PROFILE": "ci"})
    assert result.returncode == 0, result.stderr
    assert "AWS_REGION=ap-east-1" in (tmp_path / "b.env").read_text()
    result = run_aws_oidc(step.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", step.moto,
                                              "--output", "dotenv", str(tmp_path / "c.env")],
                          {**env, "AWS_DEFAULT_REGION": "us-west-2"})
    assert "AWS_REGION=us-west-2" in (tmp_path / "c.env").read_text(), "the variable comes first"


def test_https_endpoint_trusted_through_aws_ca_bundle_alone(step, moto_server, tmp_path):
    front = TlsFront(moto_server, tmp_path)
    try:
        (tmp_path / "other").mkdir()
        other = TlsFront(moto_server, tmp_path / "other")
        other.stop()
        # The bundle is the only place the CA is; SSL_CERT_FILE names another CA, and AWS_CA_BUNDLE wins.
        ok = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url, endpoint=False,
                  extra_env={"AWS_CA_BUNDLE": str(front.ca), "SSL_CERT_FILE": str(other.ca)})
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["Version"] == 1
        untrusted = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url,
                         "--timeout", "5", endpoint=False, extra_env={"AWS_CA_BUNDLE": str(other.ca)})
        assert untrusted.returncode == 1
        assert "AWS_CA_BUNDLE" in untrusted.stderr
        missing = step("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", front.url,
                       endpoint=False, extra_env={"AWS_CA_BUNDLE": str(tmp_path / "nope.pem")})
        assert missing.returncode == 1
        assert "cannot use the CA bundle" in missing.stderr and "nope.pem" in missing.stderr
    finally:
        front.stop()


def test_in_a_job_the_jobs_token_wins_over_a_web_identity_token_file(step, tokens, tmp_path):
    # An IRSA token file left in a self-hosted runner's pod, for another identity.
    irsa = tmp_path / "irsa-token"
    irsa.write_text(tokens.mint(sub="system:serviceaccount:ci:runner"))
    result = step("assume", "--role-arn", ROLE, "--output", "json",
                  extra_env={"AWS_WEB_IDENTITY_TOKEN_FILE": str(irsa)})
    assert result.returncode == 0, result.stderr
    assert "with the token from $CIRCLE_OIDC_TOKEN_V2" in result.stderr
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in result.stderr and "ignored" in result.stderr
    chosen = step("assume", "--role-arn", ROLE, "--output", "json", "--token-file", str(irsa),
                  extra_env={"AWS_WEB_IDENTITY_TOKEN_FILE": str(irsa)})
    assert chosen.returncode == 0, chosen.stderr
    assert f"with the token from the token file {irsa}" in chosen.stderr
