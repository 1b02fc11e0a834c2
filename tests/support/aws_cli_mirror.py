"""A loopback stand-in for https://awscli.amazonaws.com: AWS CLI v2 archives
with the official layout and names, each with a detached PGP signature made
with a throwaway key, so that the orb's `install` runs its whole Linux path
(download, signature, unzip, AWS's `aws/install`) offline.

The archive holds what AWS's does where the orb looks: `aws/install`, a
POSIX sh installer taking the real one's options (`-i DIR`, `-b DIR`,
`--update`) and making its links (`INSTALL_DIR/v2/<version>/bin/aws`,
`INSTALL_DIR/v2/current`, `BINARY_DIR/aws`), refusing to overwrite an
install without `--update` as the real one does; and `aws/dist/aws`, which
answers `--version` as AWS CLI v2 does and hands every other command to the
test venv's real AWS CLI, so a later `aws sts get-caller-identity` reaches
moto.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .accounts import VENV_BIN

#: What `awscli-exe-linux-<machine>.zip` (no version in the name) installs.
LATEST = "2.31.7"
#: A version a test asks for by number.
PINNED = "2.22.35"

#: Every gpg call is bounded: a test never waits on a stuck agent.
GPG_TIMEOUT = 60


def machine() -> str:
    """`uname -m` as AWS names its Linux archives."""
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())


def archive_name(version: str | None = None) -> str:
    """AWS's name for the Linux archive: the latest, or `version`'s."""
    return f"awscli-exe-linux-{machine()}{'-' + version if version else ''}.zip"


class SigningKey:
    """A throwaway PGP key in a GNUPGHOME of its own (no passphrase), standing
    in for the AWS CLI team's: the orb is given its public half as
    `aws_cli_signing_key`."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="aws-cli-test-gnupg-"))
        self.home.chmod(0o700)
        self._gpg("--quick-gen-key", "aws-oidc tests <aws-cli-test@example.invalid>", "ed25519", "sign", "1d")
        listing = self._gpg("--with-colons", "--list-secret-keys").stdout.decode()
        self.fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        self.public_key = self._gpg("--armor", "--export", self.fingerprint).stdout.decode()

    def _gpg(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", *args],
            env={**os.environ, "GNUPGHOME": str(self.home)},
            input=data,
            capture_output=True,
            check=True,
            timeout=GPG_TIMEOUT,
        )

    def sign(self, data: bytes) -> bytes:
        """An armoured detached signature of `data`, as AWS's `.sig` files are."""
        return self._gpg("--armor", "--detach-sign", "--local-user", self.fingerprint, "--output", "-",
                         data=data).stdout

    def close(self) -> None:
        # Signing started an agent for this GNUPGHOME: stop it before its directory goes.
        subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(self.home)},
                       capture_output=True, timeout=GPG_TIMEOUT)
        shutil.rmtree(self.home, ignore_errors=True)


# AWS's installer, reduced to what the orb relies on; its messages are ours.
INSTALLER = r"""#!/bin/sh
# Stand-in for AWS CLI v2's aws/install: the same options and layout.
set -eu
install_dir=/usr/local/aws-cli
bin_dir=/usr/local/bin
update=false
while [ $# -gt 0 ]; do
  case $1 in
    -i | --install-dir) install_dir=$2; shift 2 ;;
    -b | --bin-dir) bin_dir=$2; shift 2 ;;
    -u | --update) update=true; shift ;;
    *) echo "aws/install: unknown option $1" >&2; exit 2 ;;
  esac
done
here=$(cd "${0%/*}" && pwd)
version=@VERSION@
if [ -e "$install_dir/v2/current" ] && ! $update; then
  echo "Found preexisting AWS CLI installation: $install_dir/v2/current. Please rerun install script with --update flag." >&2
  exit 1
fi
mkdir -p "$install_dir/v2/$version/bin" "$bin_dir"
rm -rf "$install_dir/v2/$version/dist"
cp -R "$here/dist" "$install_dir/v2/$version/dist"
ln -sf ../dist/aws "$install_dir/v2/$version/bin/aws"
ln -sf ../dist/aws_completer "$install_dir/v2/$version/bin/aws_completer"
rm -f "$install_dir/v2/current"
ln -s "$version" "$install_dir/v2/current"
ln -sf "$install_dir/v2/current/bin/aws" "$bin_dir/aws"
ln -sf "$install_dir/v2/current/bin/aws_completer" "$bin_dir/aws_completer"
echo "You can now run: $bin_dir/aws --version"
"""

AWS = """#!/bin/sh
# Stand-in for AWS CLI v2's aws: its --version, else the test venv's AWS CLI.
case ${1:-} in
  --version) echo "aws-cli/@VERSION@ Python/3.11 Linux/@MACHINE@ exe/@MACHINE@"; exit 0 ;;
esac
exec '@REAL_AWS@' "$@"
"""

COMPLETER = "#!/bin/sh\nexit 0\n"


def stand_in_archive(version: str, *, evil: bool = False) -> bytes:
    """A zip laid out as AWS's Linux archive for `version`, executable bits
    kept. `evil`: what an attacker would serve, an installer that installs."""
    real_aws = VENV_BIN / "aws"
    files = {
        "aws/install": INSTALLER.replace("@VERSION@", version + ("-evil" if evil else "")),
        "aws/dist/aws": AWS.replace("@VERSION@", version).replace("@MACHINE@", machine())
                           .replace("@REAL_AWS@", str(real_aws)),
        "aws/dist/aws_completer": COMPLETER,
        "aws/README.md": "Stand-in AWS CLI v2 for the aws-oidc orb's tests.\n",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for directory in ("aws/", "aws/dist/"):
            info = zipfile.ZipInfo(directory)
            info.create_system = 3  # Unix: unzip applies the modes below
            info.external_attr = (0o40755 << 16) | 0x10
            zf.writestr(info, b"")
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            mode = 0o644 if name.endswith(".md") else 0o755
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return buf.getvalue()


class AwsCliMirror:
    """AWS's download site on 127.0.0.1 (an ephemeral port), serving the
    latest and the PINNED version's archives and their `.sig` files, with a
    log of the paths asked for. Use as a context manager or `close()` it."""

    def __init__(self, root: Path, key: SigningKey, versions: tuple[str, ...] = (PINNED,)) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.key = key
        self.archives: dict[str, Path] = {}
        for version, name in [(LATEST, archive_name())] + [(v, archive_name(v)) for v in versions]:
            self.archives[version] = self._publish(name, stand_in_archive(version))
        self.requests: list[str] = []
        log = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                log.append(self.path)
                super().do_GET()

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.server.daemon_threads = True
        self.server.timeout = 10
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _publish(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        (self.root / f"{name}.sig").write_bytes(self.key.sign(data))
        return path

    def tamper(self, what: str = "archive") -> None:
        """Makes every download fail its signature check: "archive" serves
        another archive (whose installer would install) beside the genuine
        signatures; "signature" serves signatures of other bytes."""
        for version, path in self.archives.items():
            if what == "archive":
                path.write_bytes(stand_in_archive(version, evil=True))
            elif what == "signature":
                path.with_name(path.name + ".sig").write_bytes(self.key.sign(b"not the archive"))
            else:
                raise ValueError(f"tamper: 'archive' or 'signature', not {what!r}")

    def downloads(self) -> list[str]:
        """The file names asked for, in order."""
        return [p.rsplit("/", 1)[-1] for p in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> AwsCliMirror:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
