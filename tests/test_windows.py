"""The Windows release binary, run under Wine against moto, as a Windows
executor's Git Bash steps would run it.

`aws-oidc.exe` comes from the release archive in `dist/`.  Wine has no
display here (none is needed) and one prefix serves the whole session (its
first start takes ~20 s).  Debian's Wine 8.0 lacks `ProcessPrng`, which
Rust's standard library takes from `bcryptprimitives.dll` on Windows 10 and
later: the test builds a stand-in from tests/wine/bcryptprimitives.c with
mingw-w64 and puts it beside the exe.  It is never shipped.

Wine hands the exe no `HOME`, and `USERPROFILE` is the prefix's
`C:\\users\\<user>`: so the profile and the cache land where a Windows user's
would, found by the `%USERPROFILE%` fallback.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

import pytest

from support.accounts import ROLE
from support.loopback import TlsFront
from support.steps import archive_name, release_under_test, sourced_env

REPO = Path(__file__).resolve().parent.parent
DIST, VERSION, TARGETS = release_under_test()
TARGET = "x86_64-pc-windows-gnu"
MINGW = "x86_64-w64-mingw32-gcc"

pytestmark = pytest.mark.skipif(TARGET not in TARGETS, reason=f"{TARGET} is not among the targets under test")


def windows_path(path: Path) -> str:
    """The Windows name of a file of this machine under Wine (drive Z: is /)."""
    return "Z:" + str(path).replace("/", "\\")


def msys_path(path: Path) -> str:
    """How Git Bash names the same file: /z/..."""
    return "/z" + str(PurePosixPath(path))


class Wine:
    """A Wine prefix with aws-oidc.exe, the stand-in DLL and a `circleci.exe`."""

    def __init__(self, root: Path) -> None:
        for tool in ("wine", MINGW):
            if shutil.which(tool) is None:
                pytest.fail(f"{tool} is not installed: `make tools` installs it (Debian: wine, gcc-mingw-w64-x86-64)")
        self.prefix = root / "prefix"
        self.bin = root / "bin"
        self.bin.mkdir()
        archive = DIST / archive_name(VERSION, TARGET, "tar.gz")
        if not archive.is_file():
            pytest.fail(f"{archive} does not exist: run `make dist` first (or `make test`)")
        with tarfile.open(archive) as tar:
            tar.extract("aws-oidc.exe", self.bin, filter="tar")
        self.exe = self.bin / "aws-oidc.exe"
        sources = REPO / "tests" / "wine"
        subprocess.run([MINGW, "-O2", "-shared", "-o", str(self.bin / "bcryptprimitives.dll"),
                        str(sources / "bcryptprimitives.c"), "-lbcrypt"], check=True)
        self.tools = root / "tools"
        self.tools.mkdir()
        subprocess.run([MINGW, "-O2", "-o", str(self.tools / "circleci.exe"), str(sources / "circleci.c")],
                       check=True)
        self.base_env = {
            "PATH": os.environ["PATH"],
            "WINEPREFIX": str(self.prefix),
            "WINEDEBUG": "-all",
            # No Mono or Gecko installer prompts while the prefix is made.
            "WINEDLLOVERRIDES": "mscoree,mshtml=",
            "LANG": "C.UTF-8",
        }
        subprocess.run(["wineboot", "--init"], env=self.base_env, capture_output=True, timeout=170, check=True)
        users = [u for u in (self.prefix / "drive_c" / "users").iterdir() if u.name != "Public"]
        assert len(users) == 1, users
        #: `%USERPROFILE%` as this machine sees it.
        self.profile = users[0]

    def run(self, args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
        # Whatever the test leaves to the profile is the test's alone.
        for left in (".aws", ".cache"):
            shutil.rmtree(self.profile / left, ignore_errors=True)
        return self.again(args, env, timeout)

    def again(self, args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
        """Runs without clearing the profile (a second call, say)."""
        return subprocess.run(["wine", str(self.exe), *args], env={**self.base_env, **env},
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def wine(tmp_path_factory) -> Wine:
    return Wine(tmp_path_factory.mktemp("wine"))


@pytest.fixture
def windows_job(tmp_path: Path, tokens) -> dict[str, str]:
    """What a Windows executor's step hands the exe: the job's token, CircleCI's
    variables, and (Git Bash's) PATH; no HOME."""
    return {
        "CIRCLECI": "true",
        "CIRCLE_JOB": "deploy",
        "CIRCLE_OIDC_TOKEN_V2": tokens.mint(),
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_the_exe_prints_its_version(wine):
    result = wine.run(["--version"], {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"aws-oidc {VERSION}"


@pytest.mark.parametrize("form", ["windows", "msys"])
def test_assume_appends_exports_that_bash_sources(wine, windows_job, moto_server, tmp_path, form):
    bash_env = tmp_path / "bash_env"
    bash_env.write_text("export EARLIER=1\n")
    named = windows_path(bash_env) if form == "windows" else msys_path(bash_env)
    result = wine.run(["assume", "--role-arn", ROLE, "--endpoint-url", moto_server],
                      {**windows_job, "BASH_ENV": named})
    assert result.returncode == 0, result.stderr
    assert "wrote $BASH_ENV" in result.stderr, "the file given is named as $BASH_ENV"
    written = bash_env.read_bytes()
    assert b"\r" not in written, "bash would keep a CR in every value"
    env = sourced_env(bash_env, {"PATH": os.environ["PATH"]})
    assert env["EARLIER"] == "1"
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["AWS_REGION"] == "us-east-1"


def test_a_profile_goes_under_userprofile_without_home(wine, windows_job, moto_server):
    result = wine.run(["assume", "--role-arn", ROLE, "--endpoint-url", moto_server, "--profile", "deploy"],
                      windows_job)
    assert result.returncode == 0, result.stderr
    credentials = (wine.profile / ".aws" / "credentials").read_bytes()
    config = (wine.profile / ".aws" / "config").read_bytes()
    assert credentials.startswith(b"[deploy]\n") and b"aws_session_token = " in credentials
    assert b"[profile deploy]\nregion = us-east-1\n" in config
    assert b"\r" not in credentials + config
    # No lock or temporary file left beside them but the locks themselves.
    left = sorted(p.name for p in (wine.profile / ".aws").iterdir())
    assert left == [".config.aws-oidc.lock", ".credentials.aws-oidc.lock", "config", "credentials"], left


def test_output_json_is_the_credential_process_document(wine, windows_job, moto_server):
    result = wine.run(["assume", "--role-arn", ROLE, "--endpoint-url", moto_server, "--output", "json"],
                      windows_job)
    assert result.returncode == 0, result.stderr
    creds = json.loads(result.stdout)
    assert creds["Version"] == 1 and creds["AccessKeyId"].startswith("ASIA")


def test_credential_process_serves_the_second_call_from_its_cache(wine, windows_job, moto_server):
    args = ["credential-process", "--role-arn", ROLE, "--endpoint-url", moto_server]
    first = wine.run(args, windows_job)
    assert first.returncode == 0, first.stderr
    second = wine.again(args, windows_job)
    assert second.returncode == 0, second.stderr
    # moto issues new keys on every call: the same keys twice came from the cache.
    assert json.loads(first.stdout)["AccessKeyId"] == json.loads(second.stdout)["AccessKeyId"]
    entries = list((wine.profile / ".cache" / "aws-oidc").glob("*.json"))
    assert len(entries) == 1, entries


def test_the_token_is_minted_by_circleci_exe_found_on_path(wine, windows_job, moto_server, tmp_path, tokens):
    token_file = tmp_path / "token"
    token_file.write_text(tokens.mint() + "\n")
    env = {k: v for k, v in windows_job.items() if k != "CIRCLE_OIDC_TOKEN_V2"}
    env |= {"WINEPATH": windows_path(wine.tools), "AWS_OIDC_TEST_TOKEN_FILE": windows_path(token_file)}
    result = wine.run(["assume", "--role-arn", ROLE, "--endpoint-url", moto_server, "--output", "json"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"].startswith("ASIA")


def test_https_to_sts_trusts_the_ca_in_ssl_cert_file(wine, windows_job, moto_server, tmp_path):
    front = TlsFront(moto_server, tmp_path)
    try:
        args = ["assume", "--role-arn", ROLE, "--endpoint-url", front.url, "--output", "json"]
        trusted = wine.run(args, {**windows_job, "SSL_CERT_FILE": windows_path(front.ca)})
        assert trusted.returncode == 0, trusted.stderr
        assert json.loads(trusted.stdout)["AccessKeyId"].startswith("ASIA")
        # Without the CA, Windows' own store does not know it: refused.
        untrusted = wine.run([*args, "--timeout", "10"], windows_job)
        assert untrusted.returncode != 0
    finally:
        front.stop()


def test_eks_token_prints_an_exec_credential_and_caches_it(wine, windows_job):
    """kubectl on Windows runs `aws-oidc.exe eks-token`: presigned locally, so no network."""
    env = {**windows_job, "AWS_ACCESS_KEY_ID": "AKIAWINEEKS000000001", "AWS_SECRET_ACCESS_KEY": "wine/eks+secret"}
    args = ["eks-token", "--cluster-name", "demo", "--region", "eu-west-1"]
    first = wine.run(args, env)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["kind"] == "ExecCredential"
    assert doc["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    token = doc["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
    assert url.startswith("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&")
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url
    # The second call reads the token from the cache under %USERPROFILE%.
    second = wine.again(args, env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["status"]["token"] == token
    assert "wine/eks+secret" not in first.stderr + second.stderr
