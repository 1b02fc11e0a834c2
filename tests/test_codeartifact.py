"""`aws-oidc codeartifact-login` against a SigV4-checking CodeArtifact
stand-in (tests/support/codeartifact.py) whose tokens real registries
accept: npm publishes to and installs from verdaccio, twine uploads to and
pip installs from pypiserver, each with only what aws-oidc wrote.  The
token appears in no output and no assertion message.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from support.codeartifact import CodeArtifact
from support.package_registries import pypiserver, tool, verdaccio, wheel
from support.steps import assert_no_secrets, run_aws_oidc, with_stored_keys

REGION = "eu-west-1"
OWNER = "123456789012"
KEY_ID = "AKIACODEARTIFACT0001"
SECRET = "codeartifact/test+secret/0000000000000000"
SESSION = "codeartifact-session-token"
PASSWORD = "registry-password-7f3a9c"


@pytest.fixture(scope="module")
def npm_registry(tmp_path_factory):
    with verdaccio(tmp_path_factory.mktemp("verdaccio"), PASSWORD) as found:
        yield found


@pytest.fixture(scope="module")
def pypi_registry(tmp_path_factory):
    with pypiserver(tmp_path_factory.mktemp("pypiserver"), PASSWORD) as url:
        yield url


def stand_in(token: str, endpoints: dict) -> CodeArtifact:
    return CodeArtifact({KEY_ID: (SECRET, SESSION)}, token, REGION, endpoints)


@pytest.fixture
def env(job_env, tmp_path):
    return {
        **with_stored_keys(job_env, tmp_path, KEY_ID, SECRET, REGION, SESSION),
        "npm_config_cache": str(tmp_path / "npm-cache"),
        "npm_config_update_notifier": "false",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def login(binary, env, fixture, *args):
    return run_aws_oidc(binary, ["codeartifact-login", "--domain", "acme", "--domain-owner", OWNER, *args],
                        {**env, "AWS_ENDPOINT_URL_CODEARTIFACT": fixture.url})  # fmt: skip


def later_step(env, command: list[str], cwd=None) -> subprocess.CompletedProcess:
    """`command` as a later step runs it: bash, after sourcing $BASH_ENV."""
    script = '. "$BASH_ENV"; exec "$@"'
    return subprocess.run(["bash", "-c", script, "step", *command], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def test_npm_publishes_and_installs_with_only_what_aws_oidc_wrote(aws_oidc_bin, env, npm_registry, tmp_path):
    url, token = npm_registry
    ca = stand_in(token, {("acme", "npm-store", "npm"): url})
    npmrc = tmp_path / "home" / ".npmrc"
    mine = "# the user's own\nfund=false\nsave-exact=true\n"
    npmrc.write_text(mine)
    try:
        got = login(aws_oidc_bin, env, ca, "--tool", "npm", "--repository", "npm-store", "--duration", "900")
        assert got.returncode == 0, got.stderr
        assert [c[0] for c in ca.calls] == ["POST /v1/authorization-token", "GET /v1/repository/endpoint"]
        assert ca.calls[0][1] == {"domain": "acme", "domain-owner": OWNER, "duration": "900"}
        assert ca.calls[1][1]["format"] == "npm"
        assert stat.S_IMODE(npmrc.stat().st_mode) == 0o600
        lines = npmrc.read_text().splitlines()
        assert lines[:3] == mine.splitlines() and f"registry={url}" in lines
        assert any(line.startswith("//127.0.0.1:") and ":_authToken=" in line for line in lines)

        package = tmp_path / "pkg"
        package.mkdir()
        (package / "package.json").write_text(json.dumps({"name": "aws-oidc-demo", "version": "1.0.0"}))
        (package / "index.js").write_text("module.exports = 'aws-oidc-demo';\n")
        published = subprocess.run(["npm", "publish"], cwd=package, env=env, capture_output=True, text=True,
                                   timeout=180)  # fmt: skip
        assert published.returncode == 0, published.stderr[-2000:]
        app = tmp_path / "app"
        app.mkdir()
        (app / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0", "private": True}))
        installed = subprocess.run(["npm", "install", "aws-oidc-demo"], cwd=app, env=env, capture_output=True,
                                   text=True, timeout=180)  # fmt: skip
        assert installed.returncode == 0, installed.stderr[-2000:]
        assert (app / "node_modules" / "aws-oidc-demo" / "index.js").exists()
        assert_no_secrets([got.stdout, got.stderr, published.stdout, published.stderr, installed.stdout,
                           installed.stderr], [token, SECRET, SESSION])  # fmt: skip

        # cleanup: the file is the user's own again, byte for byte.
        cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
        assert cleaned.returncode == 0, cleaned.stderr
        assert npmrc.read_text() == mine
        again = subprocess.run(["npm", "install", "--registry", url, "aws-oidc-demo"], cwd=app, env=env,
                               capture_output=True, text=True, timeout=180)  # fmt: skip
        assert again.returncode != 0, "verdaccio serves nobody without the token"
    finally:
        ca.stop()


def test_npm_scope_only_sends_that_scope_to_the_repository(aws_oidc_bin, env, npm_registry, tmp_path):
    url, token = npm_registry
    ca = stand_in(token, {("acme", "npm-store", "npm"): url})
    try:
        got = login(aws_oidc_bin, env, ca, "--tool", "npm", "--namespace", "@acme", "--repository", "npm-store")
        assert got.returncode == 0, got.stderr
        lines = (tmp_path / "home" / ".npmrc").read_text().splitlines()
        assert f"@acme:registry={url}" in lines and not any(line.startswith("registry=") for line in lines)
        package = tmp_path / "scoped"
        package.mkdir()
        (package / "package.json").write_text(json.dumps({"name": "@acme/tool", "version": "1.0.0"}))
        published = subprocess.run(["npm", "publish"], cwd=package, env=env, capture_output=True, text=True,
                                   timeout=180)  # fmt: skip
        assert published.returncode == 0, published.stderr[-2000:]
        assert_no_secrets([got.stderr, published.stdout, published.stderr], [token])
    finally:
        ca.stop()


def test_twine_uploads_and_pip_installs_with_only_what_aws_oidc_wrote(aws_oidc_bin, env, pypi_registry, tmp_path):
    ca = stand_in(PASSWORD, {("acme", "pypi-store", "pypi"): pypi_registry})
    home = tmp_path / "home"
    try:
        twine_login = login(aws_oidc_bin, env, ca, "--tool", "twine", "--repository", "pypi-store")
        assert twine_login.returncode == 0, twine_login.stderr
        pypirc = home / ".pypirc"
        assert stat.S_IMODE(pypirc.stat().st_mode) == 0o600
        built = wheel(tmp_path, "aws-oidc-demo-py", "1.0.0")
        uploaded = subprocess.run([tool("twine"), "upload", "--non-interactive", "--repository", "codeartifact",
                                   str(built)], env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
        assert uploaded.returncode == 0, uploaded.stdout[-2000:] + uploaded.stderr[-2000:]

        pip_login = login(aws_oidc_bin, env, ca, "--tool", "pip", "--repository", "pypi-store")
        assert pip_login.returncode == 0, pip_login.stderr
        netrc = home / ".netrc"
        assert stat.S_IMODE(netrc.stat().st_mode) == 0o600
        assert "PIP_INDEX_URL" in open(env["BASH_ENV"]).read()
        target = tmp_path / "site"
        installed = later_step(env, [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
                                     "aws-oidc-demo-py"])  # fmt: skip
        assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
        assert (target / "aws_oidc_demo_py.py").exists()
        # pip names the index it reads, with no password in it.
        assert f"Looking in indexes: {pypi_registry}simple/" in installed.stdout
        assert_no_secrets([twine_login.stderr, pip_login.stderr, uploaded.stdout, uploaded.stderr,
                           installed.stdout, installed.stderr], [PASSWORD, SECRET, SESSION])  # fmt: skip

        cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
        assert cleaned.returncode == 0, cleaned.stderr
        assert "machine" not in netrc.read_text()
        assert "codeartifact" not in pypirc.read_text()
        after = later_step(env, ["sh", "-c", 'test -z "${PIP_INDEX_URL+set}" && echo unset'])
        assert after.stdout == "unset\n", after.stderr
    finally:
        ca.stop()


def test_files_that_cannot_be_read_are_refused_and_left_byte_for_byte(aws_oidc_bin, env, tmp_path):
    ca = stand_in(PASSWORD, {})
    home = tmp_path / "home"
    try:
        for tool_name, path, text in [
            ("twine", home / ".pypirc", "this is not ini\n"),
            ("maven", home / ".m2" / "settings.xml", '{"not": "xml"}\n'),
            ("npm", home / ".npmrc", "a=1\n\0\n"),
        ]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            before = path.read_bytes()
            got = login(aws_oidc_bin, env, ca, "--tool", tool_name, "--repository", "r1")
            assert got.returncode == 1 and str(path) in got.stderr, got.stderr
            assert path.read_bytes() == before
        assert ca.calls == [], "nothing is asked of CodeArtifact when the result has nowhere to go"
    finally:
        ca.stop()


def test_maven_cargo_and_env_get_variables_a_later_step_reads(aws_oidc_bin, env, tmp_path):
    base = "http://127.0.0.1:9/"
    ca = stand_in(PASSWORD, {("acme", "r1", f): f"{base}{f}/r1/" for f in ("maven", "cargo", "generic")})
    try:
        for tool_name in ("maven", "cargo", "env"):
            got = login(aws_oidc_bin, env, ca, "--tool", tool_name, "--repository", "r1")
            assert got.returncode == 0, got.stderr
            assert_no_secrets([got.stdout, got.stderr], [PASSWORD])
        seen = later_step(env, ["env", "-0"]).stdout
        exported = dict(item.split("=", 1) for item in seen.split("\0") if "=" in item)
        assert (exported["CODEARTIFACT_AUTH_TOKEN"] == PASSWORD) is True
        assert exported["CODEARTIFACT_REPOSITORY_URL"] == f"{base}generic/r1/"
        assert exported["CARGO_REGISTRIES_CODEARTIFACT_INDEX"] == f"sparse+{base}cargo/r1/"
        assert (exported["CARGO_REGISTRIES_CODEARTIFACT_TOKEN"] == f"Bearer {PASSWORD}") is True
        settings = (tmp_path / "home" / ".m2" / "settings.xml").read_text()
        assert "${env.CODEARTIFACT_AUTH_TOKEN}" in settings and PASSWORD not in settings
        cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
        assert cleaned.returncode == 0, cleaned.stderr
        assert not (tmp_path / "home" / ".m2" / "settings.xml").exists()
    finally:
        ca.stop()


def test_errors_name_the_repository_and_what_to_allow(aws_oidc_bin, env, tmp_path):
    ca = stand_in(PASSWORD, {})
    try:
        missing = login(aws_oidc_bin, env, ca, "--tool", "env", "--repository", "nope")
        assert missing.returncode == 1 and "There is no repository nope in domain acme" in missing.stderr
        ca.denied.add(KEY_ID)
        denied = login(aws_oidc_bin, env, ca, "--tool", "env", "--repository", "r1")
        assert denied.returncode == 1 and "sts:GetServiceBearerToken" in denied.stderr
        bad = login(aws_oidc_bin, env, ca, "--tool", "env", "--repository", "r1", "--duration", "60")
        assert bad.returncode == 1 and "900 to 43200" in bad.stderr
        other = login(aws_oidc_bin, env, ca, "--tool", "bundler", "--repository", "r1")
        assert other.returncode == 1 and "npm, pip, uv" in other.stderr
        # Signed for another key: the stand-in's verifier refuses it.
        wrong = login(aws_oidc_bin, {**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}, ca, "--tool", "env",
                      "--repository", "r1")  # fmt: skip
        assert wrong.returncode == 1 and "InvalidSignatureException" in ca.refused
        assert_no_secrets([missing.stderr, denied.stderr, wrong.stderr], [SECRET, SESSION])
    finally:
        ca.stop()
    assert not os.path.exists(tmp_path / "home" / ".netrc")
