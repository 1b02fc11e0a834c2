"""The world an orb job runs in, as the tests and their fixtures build it:
the packed orb and release from `dist/` (`Dist`), a loopback mirror of the
release downloads (`ReleaseMirror`), and a CircleCI job (`CiJob`) with moto
as STS, a private HOME and $BASH_ENV, and a `circleci` stand-in when a test
wants one.

`make orb` writes `dist/orb.yml` (and `make build` the archive and
`SHA256SUMS`) before pytest runs; AWS_OIDC_DIST points elsewhere.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import os
import platform
import shutil
import subprocess
import tarfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .accounts import REPO, VENV_BIN
from .orb_configs import REGION
from .orb_runner import JobResult, Runner, load_orb
from .steps import ARCHIVE_FORMATS as FORMATS
from .steps import RELEASE_TARGETS as TARGETS
from .steps import archive_name, pinned_sums


DIST = Path(os.environ.get("AWS_OIDC_DIST", REPO / "dist"))


ARCHIVE_SUFFIXES = tuple(f".{f}" for f in FORMATS)


class Dist:
    """The release under test: the packed orb, its version and this machine's archives."""

    def __init__(self, path: Path, orb_path: Path) -> None:
        self.path = path
        self.orb_path = orb_path
        self.orb = load_orb(orb_path)
        self.version = self.orb["commands"]["install_aws_oidc"]["parameters"]["version"]["default"]
        self.target = TARGETS.get(platform.machine())
        if self.target is None:
            pytest.skip(f"no aws-oidc build for {platform.machine()}")
        self.archives = {f: path / archive_name(self.version, self.target, f) for f in FORMATS}
        for archive in self.archives.values():
            if not archive.is_file():
                pytest.fail(f"{archive} does not exist: run `make build` first (or `make test`)")
        self.sha256s = {f: hashlib.sha256(a.read_bytes()).hexdigest() for f, a in self.archives.items()}

    def pinned(self) -> dict[str, str]:
        """archive name -> sha256, as the packed install step pins them."""
        return pinned_sums(self.orb)

    @staticmethod
    def format_of(path: str) -> str:
        return next(f for f in FORMATS if path.endswith(f".{f}"))


class ReleaseMirror:
    """The release archives on a loopback HTTP server, laid out like the
    releases page (`v<version>/<archive>`), with a log of the paths asked for."""

    def __init__(self, root: Path, dist: Dist) -> None:
        self.root = root
        self.archives = [root / f"v{dist.version}" / a.name for a in dist.archives.values()]
        self.archives[0].parent.mkdir(parents=True)
        for source, copy in zip(dist.archives.values(), self.archives):
            shutil.copyfile(source, copy)
        self.requests: list[str] = []
        self.user_agents: list[str] = []
        log, agents = self.requests, self.user_agents

        self.fault: str | None = None  # "404", "truncate" or "stall"
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                log.append(self.path)
                agents.append(self.headers.get("User-Agent", ""))
                if mirror.fault and self.path.endswith(ARCHIVE_SUFFIXES):
                    return mirror.misbehave(self)
                super().do_GET()

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def misbehave(self, handler: SimpleHTTPRequestHandler) -> None:
        """Answers a download the way a broken mirror or proxy would."""
        if self.fault == "404":
            handler.send_error(404)
            return
        body = (self.root / handler.path.lstrip("/")).read_bytes()
        if self.fault == "stall":
            # Accepts the connection, then never answers (bounded, so the server can stop).
            time.sleep(20)
            return
        # "truncate": promises the whole archive, sends half, hangs up.
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    def downloads(self) -> list[str]:
        return [p for p in self.requests if p.endswith(ARCHIVE_SUFFIXES)]

    def tamper(self) -> str:
        """Replaces every archive with one that holds another `aws-oidc`; returns its SHA-256."""
        script = b"#!/bin/sh\necho tampered\n"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            info = tarfile.TarInfo("aws-oidc")
            info.size, info.mode = len(script), 0o755
            tar.addfile(info, io.BytesIO(script))
        for archive in self.archives:
            archive.write_bytes(buf.getvalue())
        return hashlib.sha256(buf.getvalue()).hexdigest()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CiJob:
    """One CircleCI job's machine: its environment, HOME and $BASH_ENV, the
    token it is given, and the packed orb's steps run in it.

    Every `run` checks that no step printed a token or a key it knows of.
    """

    def __init__(self, tmp_path: Path, job_env: dict, moto_url: str, mirror: ReleaseMirror, dist: Dist, tokens):
        self.tmp = tmp_path
        self.dist = dist
        self.mirror = mirror
        #: The orb's download_url: the mirror, or an HTTPS front for it.
        self.download_url = mirror.url
        self.tokens = tokens
        self.home = Path(job_env["HOME"])
        # As CircleCI's (orb_runner R11): named for the job, and made by the
        # first step that writes it, so a job starts without one.
        self.bash_env = tmp_path / ".bash_env-deploy-0-build"
        job_env = {**job_env, "BASH_ENV": str(self.bash_env)}
        self.tmpdir = tmp_path / "tmp"
        self.tmpdir.mkdir()
        self.install_dir = self.home / ".local" / "bin"
        self.env = {
            **job_env,
            "TMPDIR": str(self.tmpdir),
            "AWS_ENDPOINT_URL_STS": moto_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_PAGER": "",
        }
        self.secrets: list[str] = []
        #: Defaults of orb parameters for every run (mirrors, test keys).
        self.orb_defaults: dict = {}

    # -- the job's inputs ----------------------------------------------------

    def mint(self, **claims) -> str:
        token = self.tokens.mint(**claims)
        self.secrets.append(token)
        return token

    def give_token(self, **claims) -> str:
        """Sets CIRCLE_OIDC_TOKEN_V2 and CIRCLE_OIDC_TOKEN as CircleCI does for
        a job with OIDC: two different tokens, the v2 one's `sub` with the VCS
        origin and ref, the v1 one's without. Returns the v2 token."""
        token = self.mint(**claims)
        self.env["CIRCLE_OIDC_TOKEN_V2"] = token
        self.env["CIRCLE_OIDC_TOKEN"] = self.mint(**{**claims, "vcs_origin": None, "vcs_ref": None})
        return token

    def circleci_cli(self, **claims) -> Path:
        """Lets the job's `circleci` CLI (the runner's stand-in) mint a fresh
        token with `claims` on `run oidc get`; returns the file its calls
        are logged to."""
        token_file, log = self.tmp / "circleci-token", self.tmp / "circleci-calls.log"
        token_file.write_text(self.mint(**claims) + "\n")
        self.env["AWS_OIDC_TEST_OIDC_TOKEN_FILE"] = str(token_file)
        self.env["AWS_OIDC_TEST_CIRCLECI_LOG"] = str(log)
        return log

    def tools_only(self, *names: str, busybox: tuple[str, ...] = ()) -> Path:
        """Replaces PATH with one directory holding only these tools (links to
        the installed ones) and these busybox applets."""
        bin_dir = self.tmp / "only-bin"
        bin_dir.mkdir()
        for name in names:
            found = shutil.which(name, path=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
            assert found, f"{name} is not installed"
            (bin_dir / name).symlink_to(found)
        for applet in busybox:
            (bin_dir / applet).symlink_to(shutil.which("busybox"))
        self.env["PATH"] = str(bin_dir)
        return bin_dir

    def record_calls(self, name: str) -> Path:
        """Puts a `name` first on PATH that logs its arguments (one line per
        call) and runs the installed one; returns the log."""
        real = shutil.which(name, path=self.env["PATH"])
        assert real, f"{name} is not installed"
        bin_dir = self.tmp / f"recorded-{name}"
        bin_dir.mkdir()
        log = bin_dir / "calls.log"
        (bin_dir / name).write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >>'{log}'\nexec '{real}' \"$@\"\n")
        (bin_dir / name).chmod(0o755)
        self.env["PATH"] = f"{bin_dir}:{self.env['PATH']}"
        return log

    # -- running -------------------------------------------------------------

    def run(self, config: dict | str, *, job: str | None = None, shell: list[str] | None = None,
            image: str = "linux", orb_defaults: dict | None = None) -> JobResult:
        """Runs `job` as CircleCI would on `image` ("linux": bash; "alpine":
        busybox sh); `shell` is what a job-level `shell:` would say."""
        runner = Runner(
            self.dist.orb,
            self.env,
            self.tmp / "project",
            image=image,
            shell=shell,
            orb_defaults={"download_url": self.download_url, **self.orb_defaults, **(orb_defaults or {})},
        )
        result = runner.run(config, job)
        self.assert_no_secrets(result)
        return result

    def assert_no_secrets(self, result: JobResult) -> None:
        secrets = [("an OIDC token", s) for s in self.secrets]
        secrets += [("a key from " + where, s) for where, s in self.issued_secrets()]
        for step in result.steps:
            for what, secret in secrets:
                # The message names the step, never the secret.
                assert secret not in step.output, f"step {step.name!r} printed {what}"

    def issued_secrets(self) -> list[tuple[str, str]]:
        found = []
        for name, section in self.credentials().items():
            for key in ("aws_secret_access_key", "aws_session_token"):
                if key in section:
                    found.append((f"~/.aws/credentials [{name}]", section[key]))
        for key in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if self.exported().get(key):
                found.append(("$BASH_ENV", self.exported()[key]))
        return found

    # -- what the job left behind ---------------------------------------------

    def exported(self) -> dict[str, str]:
        """What a later step sees after sourcing $BASH_ENV (only what it changes)."""
        before = self._env_of(source=False)
        after = self._env_of(source=True)
        return {k: v for k, v in after.items() if before.get(k) != v}

    def _env_of(self, *, source: bool) -> dict[str, str]:
        # CircleCI makes $BASH_ENV on its first write: a job may leave none.
        source = source and self.bash_env.exists()
        script = (f'. "{self.bash_env}"\n' if source else "") + "env -0"
        out = subprocess.run(["/bin/sh", "-c", script], env=self.env, capture_output=True, check=True).stdout
        return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)

    def installed(self) -> list[Path]:
        """What install_dir holds: after a failed install, nothing (not even
        a staged binary)."""
        return list(self.install_dir.iterdir()) if self.install_dir.exists() else []

    def credentials(self) -> dict[str, dict[str, str]]:
        return _ini(self.home / ".aws" / "credentials")

    def aws_config(self) -> dict[str, dict[str, str]]:
        return _ini(self.home / ".aws" / "config")


def _ini(path: Path) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    if path.exists():
        parser.read(path)
    return {name: dict(parser[name]) for name in parser.sections()}
