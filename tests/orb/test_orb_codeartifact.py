"""The orb's `codeartifact_login`, run as CircleCI runs it, against the
SigV4-checking CodeArtifact stand-in and a real pypiserver: a later step's
pip installs with only what the login wrote; `cleanup` takes it back."""

from __future__ import annotations

import shutil

from support.codeartifact import CodeArtifact
from support.orb_configs import REGION, config, run
from support.package_registries import pypiserver, wheel

KEY_ID = "AKIAORBCODEARTIFACT1"
SECRET = "orb/codeartifact+secret/00000000000000000"
PASSWORD = "orb-registry-password-5d1e"


def test_pip_in_a_later_step_installs_from_the_repository_and_cleanup_takes_it_back(ci, tmp_path):
    root = tmp_path / "pypi"
    with pypiserver(root, PASSWORD) as url:
        shutil.copy(wheel(tmp_path, "orb-demo", "2.0.0"), root / "packages")
        stand_in = CodeArtifact({KEY_ID: (SECRET, None)}, PASSWORD, REGION, {("acme", "py", "pypi"): url})
        try:
            # As static keys (or setup) leave them.
            ci.env.update({"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                           "AWS_ENDPOINT_URL_CODEARTIFACT": stand_in.url, "PIP_NO_CACHE_DIR": "1",
                           "PIP_DISABLE_PIP_VERSION_CHECK": "1"})  # fmt: skip
            ci.secrets += [PASSWORD, SECRET]
            target = tmp_path / "site"
            result = ci.run(config(
                {"aws-oidc/codeartifact_login": {"tool": "pip", "domain": "acme", "domain_owner": "123456789012",
                                                 "repository": "py", "duration": 900}},
                run("install", f"python -m pip install --no-deps --target {target} orb-demo"),
                {"aws-oidc/cleanup": {}},
                run("after cleanup", 'test -z "${PIP_INDEX_URL+set}" && ! grep -q machine ~/.netrc && echo gone'),
            ))  # fmt: skip
            assert result.ok, result.describe()
            assert "logged pip in to" in result.step("Log in to CodeArtifact").stderr
            assert (target / "orb_demo.py").exists()
            assert "gone" in result.step("after cleanup").output
            assert [c[1].get("duration") for c in stand_in.calls if "token" in c[0]] == ["900"]
        finally:
            stand_in.stop()


def test_a_repository_name_that_is_not_one_stops_the_step(ci):
    result = ci.run(config({"aws-oidc/codeartifact_login": {"tool": "npm", "domain": "acme",
                                                            "repository": "-x"}}))  # fmt: skip
    assert not result.ok
    assert "is not a CodeArtifact repository name" in result.step("Log in to CodeArtifact").output
