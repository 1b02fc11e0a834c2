"""The install step's download over HTTPS, as from the releases page: curl
verifies through the system's hashed CA directory where the job names no CA
file, falls back to its own CA settings where that does not verify, and is
left as it is where the job names a CA file.

The mirror sits behind a loopback TLS front whose CA no system store holds;
each test puts it (or not) where curl can find it. A recorder in front of the
real curl logs how the step called it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.certs import add_to_ca_dir, make_chain
from support.loopback import TlsFront

from support.orb_configs import SETUP, assumed, caller_arn, config, role


@pytest.fixture
def front(ci, tmp_path: Path):
    """The release mirror over HTTPS; the orb's download_url points at it."""
    (tmp_path / "front").mkdir()
    tls = TlsFront(ci.mirror.url, tmp_path / "front")
    ci.download_url = tls.url
    try:
        yield tls
    finally:
        tls.stop()


@pytest.fixture
def unrelated_ca(tmp_path: Path) -> Path:
    """A CA that signed nothing the mirror sends (of another name, so that
    OpenSSL never takes one for the other)."""
    return make_chain(tmp_path / "unrelated", "unrelated").root


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def setup_and_whoami() -> dict:
    return config({"aws-oidc/setup": {"role_arn": role("https")}}, caller_arn())


def test_curl_verifies_through_the_hashed_ca_directory(ci, front, unrelated_ca, tmp_path):
    """No CA file named: curl looks the issuer up in SSL_CERT_DIR (a list, as
    OpenSSL reads it), with one certificate of its first directory as CA file.
    curl's own bundle does not hold the test CA: only the directory verifies."""
    ci.give_token()
    first = add_to_ca_dir(tmp_path / "system-certs", unrelated_ca)
    second = add_to_ca_dir(tmp_path / "added-certs", front.ca)
    ci.env["SSL_CERT_DIR"] = f"{first}:{second}"
    log = ci.record_calls("curl")

    result = ci.run(setup_and_whoami())

    assert result.ok, result.describe()
    assert result.step("whoami").stdout.strip() == assumed("https", "deploy")
    [call] = calls(log)
    [first_cert] = first.iterdir()
    assert f"--capath {first}:{second} --cacert {first_cert} {front.url}/" in call
    assert "did not verify" not in result.step(SETUP).output


def test_where_the_directory_does_not_verify_curl_runs_again_with_its_own_settings(
    ci, front, unrelated_ca, tmp_path
):
    """The test CA is known to curl through ~/.curlrc only: the first call
    (the directory) fails verification, the second (curl as it is) succeeds,
    and the step says so without curl's error."""
    ci.give_token()
    ci.env["SSL_CERT_DIR"] = str(add_to_ca_dir(tmp_path / "system-certs", unrelated_ca))
    (ci.home / ".curlrc").write_text(f'cacert = "{front.ca}"\n')
    log = ci.record_calls("curl")

    result = ci.run(setup_and_whoami())

    assert result.ok, result.describe()
    install = result.step(SETUP)
    first, second = calls(log)
    assert "--capath" in first and "--capath" not in second and "--cacert" not in second
    assert "did not verify the download: trying again with curl's own CA settings" in install.stdout
    assert "curl: (60)" not in install.output
    assert (ci.install_dir / "aws-oidc").is_file()


def test_a_server_nothing_trusts_fails_with_curls_reason_and_installs_nothing(ci, front, unrelated_ca, tmp_path):
    ci.give_token()
    ci.env["SSL_CERT_DIR"] = str(add_to_ca_dir(tmp_path / "system-certs", unrelated_ca))
    log = ci.record_calls("curl")

    result = ci.run(setup_and_whoami())

    install = result.step(SETUP)
    assert install.status == "failed"
    assert len(calls(log)) == 2
    assert "curl: (60)" in install.stderr and "download failed" in install.stderr
    assert "assumed" not in install.output
    assert ci.installed() == []


@pytest.mark.parametrize("variable", ["CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_job_that_names_a_ca_file_gets_curl_as_it_is(ci, front, tmp_path, variable):
    """A CA file of the job's own (a proxy's CA, say) is what curl reads; the
    directory is not tried first."""
    ci.give_token()
    ci.env[variable] = str(front.ca)
    ci.env["SSL_CERT_DIR"] = str(add_to_ca_dir(tmp_path / "certs", front.ca))
    log = ci.record_calls("curl")

    result = ci.run(setup_and_whoami())

    assert result.ok, result.describe()
    [call] = calls(log)
    assert "--capath" not in call and "--cacert" not in call


def test_a_404_is_not_tried_twice_and_curl_says_why(ci, front, tmp_path):
    ci.give_token()
    ci.env["SSL_CERT_DIR"] = str(add_to_ca_dir(tmp_path / "certs", front.ca))
    ci.mirror.fault = "404"
    log = ci.record_calls("curl")

    result = ci.run(setup_and_whoami())

    install = result.step(SETUP)
    assert install.status == "failed"
    assert len(calls(log)) == 1
    assert "404" in install.stderr and "download failed" in install.stderr
