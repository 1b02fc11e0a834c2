"""kubectl against EKS with no AWS CLI: `eks-kubeconfig` writes the entries,
kubectl runs `eks-token` as its exec plugin, a stand-in API server checks the
token as EKS does.

The parts are real: moto's server answers CreateCluster / DescribeCluster
and GetCallerIdentity; kubectl (the machine's) reads the kubeconfig that
aws-oidc wrote and runs aws-oidc for each token; the Kubernetes API stand-in
(tests/support/eks_api.py) speaks TLS and authenticates each bearer token: its
presigned URL's SigV4 signature, cluster name and age, then the caller's ARN
from STS, mapped to a user.

How the stand-in's CA reaches the kubeconfig: moto makes up a cluster's
endpoint and certificate data (random text, not a CA), so
`eks_api.moto_cluster` runs moto in this process and sets both, in moto's
EKS backend, to the stand-in's URL and CA; DescribeCluster then carries
them to aws-oidc, the kubeconfig and kubectl (see its docstring).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import ssl
import subprocess
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from support import eks_api
from support.accounts import ACCOUNT_ID, ROLE, VENV_BIN
from support.steps import assert_no_secrets, run_aws_oidc, with_stored_keys

REGION = "eu-west-1"
CLUSTER = "demo"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/{CLUSTER}"
# Clearly fake keys: moto takes any, and names their caller its default user.
KEY_ID = "AKIAEKSTESTKEY000001"
SECRET = "eks/test+secret/0000000000000000000000"
SESSION_TOKEN = "eks-test-session-token"
MOTO_DEFAULT_USER = f"arn:aws:sts::{ACCOUNT_ID}:user/moto"

# make tools installs it where none is (tools/install-tools.sh).
KUBECTL = shutil.which("kubectl") or "kubectl"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """moto (in this process) with cluster `demo`, served by the stand-in API server."""
    with eks_api.moto_cluster(tmp_path_factory.mktemp("kube-api"), name=CLUSTER, region=REGION,
                              account_id=ACCOUNT_ID, keys={KEY_ID: SECRET},
                              users={MOTO_DEFAULT_USER: "ci-keys", ROLE: "ci-role"}) as found:  # fmt: skip
        yield found


@pytest.fixture(scope="module")
def moto(cluster):
    return cluster[0]


@pytest.fixture(scope="module")
def api(cluster):
    return cluster[1]


@pytest.fixture
def eks_env(job_env, moto, tmp_path):
    """A job step after aws-oidc/setup exported keys, with EKS and STS on moto."""
    return with_stored_keys(job_env, tmp_path, KEY_ID, SECRET, REGION, SESSION_TOKEN, {"EKS": moto, "STS": moto})


def kubectl(env: dict[str, str], *args: str):
    return subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60)


def test_kubectl_reads_the_cluster_through_the_exec_plugin(aws_oidc_bin, api, eks_env, tmp_path):
    kubeconfig = tmp_path / "kube" / "config"
    # KUBECONFIG may list several files: the first is written, as kubectl writes it.
    env = {**eks_env, "KUBECONFIG": f"{kubeconfig}:{tmp_path / 'other'}"}
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER], env)
    assert wrote.returncode == 0, wrote.stderr
    assert CLUSTER_ARN in wrote.stderr and str(kubeconfig) in wrote.stderr
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == CLUSTER_ARN
    assert config["clusters"][0]["cluster"]["server"] == api.url
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    # Not on PATH here, so the absolute path of the binary that wrote it.
    assert exec_["command"] == str(aws_oidc_bin)
    assert exec_["args"] == ["eks-token", "--cluster-name", CLUSTER, "--region", REGION]
    assert exec_["interactiveMode"] == "Never"

    before = len(api.seen)
    first = kubectl(env, "get", "pods", "-o", "name")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "pod/web-0"
    raw = kubectl(env, "get", "--raw", "/api/v1/namespaces/default/pods")
    assert raw.returncode == 0, raw.stderr
    assert json.loads(raw.stdout)["items"][0]["metadata"]["name"] == "web-0"
    seen = api.seen[before:]
    assert {s["user"] for s in seen} == {"ci-keys"}
    # The second kubectl process got the first one's token from the cache.
    assert len({s["token_digest"] for s in seen}) == 1
    assert_no_secrets([wrote.stdout, wrote.stderr, first.stdout, first.stderr, raw.stderr],
                      [SECRET, SESSION_TOKEN])  # fmt: skip


def test_a_role_assumed_with_the_jobs_token_reaches_the_cluster(aws_oidc_bin, api, eks_env, tokens, tmp_path):
    env = {k: v for k, v in eks_env.items() if not k.startswith("AWS_SECRET") and k not in
           ("AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")}  # fmt: skip
    env["CIRCLE_OIDC_TOKEN_V2"] = tokens.mint()
    kubeconfig = tmp_path / "kubeconfig"
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER, "--role-arn", ROLE,
                                        "--alias", "ci", "--kubeconfig", str(kubeconfig)], env)  # fmt: skip
    assert wrote.returncode == 0, wrote.stderr
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == "ci"
    args = config["users"][0]["user"]["exec"]["args"]
    assert args[:5] == ["eks-token", "--cluster-name", CLUSTER, "--role-arn", ROLE]
    assert "--region" in args
    before = len(api.seen)
    got = kubectl({**env, "KUBECONFIG": str(kubeconfig)}, "get", "pods", "-o", "name")
    assert got.returncode == 0, got.stderr
    assert {s["user"] for s in api.seen[before:]} == {"ci-role"}
    assert_no_secrets([wrote.stderr, got.stderr], [env["CIRCLE_OIDC_TOKEN_V2"]])


def send(api, token: str) -> int:
    ctx = ssl.create_default_context(cafile=str(api.ca))
    req = urllib.request.Request(api.url + "/version", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def token_of(out: str) -> str:
    return json.loads(out)["status"]["token"]


def test_a_token_minted_for_another_cluster_is_refused(aws_oidc_bin, api, eks_env):
    ok = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], eks_env)
    other = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", "other"], eks_env)
    assert ok.returncode == 0 and other.returncode == 0, ok.stderr + other.stderr
    assert send(api, token_of(ok.stdout)) == 200
    refused = len(api.refused)
    assert send(api, token_of(other.stdout)) == 401
    assert "x-k8s-aws-id" in api.refused[refused]
    # Neither the keys nor the token show anywhere but stdout.
    assert_no_secrets([ok.stderr, other.stderr], [SECRET, SESSION_TOKEN, token_of(ok.stdout)])


def test_a_stale_or_reshaped_token_is_refused(api):
    p = eks_api.decode_token
    with pytest.raises(eks_api.Refused, match="prefix"):
        p("k8s-aws-v2.abc")
    url = ("https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKID%2F20200101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20200101T000000Z"
           "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0" * 64)  # fmt: skip
    b64 = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    with pytest.raises(eks_api.Refused, match="x-k8s-aws-id"):
        p("k8s-aws-v1." + b64)
    stale = p("k8s-aws-v1." + base64.urlsafe_b64encode(url.replace("host&", "host%3Bx-k8s-aws-id&").encode())
              .decode().rstrip("="))  # fmt: skip


    with pytest.raises(eks_api.Refused, match="older than 15 minutes"):
        eks_api.check_fresh(stale, datetime.datetime.now(datetime.timezone.utc))


def query_of(token: str) -> tuple[urllib.parse.SplitResult, list[tuple[str, str]]]:
    url = eks_api.decode_token(token).url
    parts = urllib.parse.urlsplit(url)
    return parts, urllib.parse.parse_qsl(parts.query)


def test_the_token_has_the_shape_of_aws_eks_get_token(aws_oidc_bin, job_env, tmp_path):
    # The same fixed credentials for both, real STS endpoint names, no network:
    # presigning is local.
    env = {**job_env, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SESSION_TOKEN": SESSION_TOKEN, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
           "AWS_OIDC_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    cli = subprocess.run([str(VENV_BIN / "aws"), "eks", "get-token", "--cluster-name", CLUSTER],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    ours = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], env)
    assert ours.returncode == 0, ours.stderr
    theirs_doc, ours_doc = json.loads(cli.stdout), json.loads(ours.stdout)
    assert ours_doc.keys() == theirs_doc.keys()
    assert ours_doc["kind"] == theirs_doc["kind"] == "ExecCredential"
    assert ours_doc["apiVersion"] == theirs_doc["apiVersion"]
    assert ours_doc["status"].keys() == theirs_doc["status"].keys()


    def at(doc):
        return datetime.datetime.strptime(doc["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")

    assert abs((at(ours_doc) - at(theirs_doc)).total_seconds()) < 60

    ours_url, ours_q = query_of(token_of(ours.stdout))
    cli_url, cli_q = query_of(token_of(cli.stdout))
    assert (ours_url.scheme, ours_url.netloc, ours_url.path) == (cli_url.scheme, cli_url.netloc, cli_url.path)
    assert [k for k, _ in ours_q] == [k for k, _ in cli_q], "the same parameters, in the same order"
    same = ("Action", "Version", "X-Amz-Algorithm", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token")
    assert {k: v for k, v in ours_q if k in same} == {k: v for k, v in cli_q if k in same}
    assert dict(ours_q)["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id"
    assert dict(ours_q)["X-Amz-Expires"] == "60"
    # Both verify under the same rules (same payload hash, same canonical form).
    for token in (token_of(ours.stdout), token_of(cli.stdout)):
        p = eks_api.decode_token(token)
        assert eks_api.verify_signature(p, SECRET, CLUSTER)
        assert not eks_api.verify_signature(p, SECRET, "other")


def test_a_kubeconfig_that_is_not_yaml_is_refused_and_left_as_it_was(aws_oidc_bin, api, eks_env, tmp_path):
    kubeconfig = tmp_path / "config"
    bad = b"apiVersion: v1\nclusters: [\n\t- broken\n"
    kubeconfig.write_bytes(bad)
    os.chmod(kubeconfig, 0o644)
    got = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER, "--kubeconfig", str(kubeconfig)],
                       eks_env)  # fmt: skip
    assert got.returncode == 1
    assert "is not valid YAML" in got.stderr and "left as it was" in got.stderr
    assert kubeconfig.read_bytes() == bad
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o644


def test_other_entries_survive_the_merge(aws_oidc_bin, api, eks_env, tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "local",
        "clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "local", "user": {"token": "local-token"}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": "local", "namespace": "dev"}}],
    }))  # fmt: skip
    got = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER, "--kubeconfig", str(kubeconfig)],
                       eks_env)  # fmt: skip
    assert got.returncode == 0, got.stderr
    after = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in after["clusters"]] == ["local", CLUSTER_ARN]
    assert after["users"][0] == {"name": "local", "user": {"token": "local-token"}}
    assert after["contexts"][0]["context"]["namespace"] == "dev"
    assert after["current-context"] == CLUSTER_ARN
    # kubectl still reads the other context.
    names = kubectl({**eks_env, "KUBECONFIG": str(kubeconfig)}, "config", "get-contexts", "-o", "name")
    assert names.returncode == 0, names.stderr
    assert set(names.stdout.split()) == {"local", CLUSTER_ARN}


# Other entries that YAML 1.1 (kubectl's reader) and YAML 1.2 read differently:
# `yes`/`on`/`y` are booleans and `0o17`/`017` numbers to kubectl, `!!binary`
# is bytes, escapes are control characters, comments and quoting are the
# author's.  Loaded by kubectl before the merge, so it must be after it.
YAML_1_1_KUBECONFIG = """\
# written by hand
apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: yes
    tls-server-name: "a\\x01b"
    extensions:
    - name: x
      extension: {a: on, b: 0o17, c: 017, d: !!binary AAEC, e: y, f: 1_000, g: "\\u00e9"}
  name: kind # local
-
  name: odd
  cluster:
    server: https://10.0.0.1
    insecure-skip-tls-verify: on
users:
  - name: kind
    user:
      token: abc
contexts:
- context: {cluster: kind, user: kind}
  name: kind
current-context: "kind"
preferences: {}
"""


def test_other_entries_mean_the_same_to_kubectl_after_the_merge_and_cleanup_gives_the_file_back(
        aws_oidc_bin, api, eks_env, tmp_path):  # fmt: skip
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(YAML_1_1_KUBECONFIG)
    env = {**eks_env, "KUBECONFIG": str(kubeconfig), "CIRCLE_WORKFLOW_JOB_ID": "job-eks-yaml-1-1"}

    def view():
        got = kubectl(env, "config", "view", "--raw", "-o", "json")
        assert got.returncode == 0, got.stderr
        return json.loads(got.stdout)

    before = view()
    assert before["clusters"][0]["cluster"]["insecure-skip-tls-verify"] is True
    assert before["clusters"][0]["cluster"]["extensions"][0]["extension"]["b"] == 15
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER], env)
    assert wrote.returncode == 0, wrote.stderr
    after = view()
    # kubectl lists entries by name, whatever the file's order.
    for key in ("clusters", "users", "contexts"):
        was = {e["name"]: e for e in before[key]}
        now = {e["name"]: e for e in after[key] if e["name"] in was}
        assert now == was, key
    assert sorted(c["name"] for c in after["clusters"]) == sorted(["kind", "odd", CLUSTER_ARN])
    assert after["current-context"] == CLUSTER_ARN
    # Every line the author wrote is still there, comments included.
    lines = iter(kubeconfig.read_text().splitlines())
    for line in YAML_1_1_KUBECONFIG.splitlines():
        if not line.startswith("current-context"):
            assert any(got == line for got in lines), line
    got = kubectl(env, "get", "pods", "-o", "name")
    assert got.returncode == 0 and got.stdout.strip() == "pod/web-0", got.stderr

    cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert kubeconfig.read_text() == YAML_1_1_KUBECONFIG
    assert view() == before


def test_an_unknown_cluster_gets_eks_error_explained(aws_oidc_bin, api, eks_env, tmp_path):
    kubeconfig = tmp_path / "config"
    got = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", "missing", "--kubeconfig", str(kubeconfig)],
                       eks_env)  # fmt: skip
    assert got.returncode == 1
    assert "ResourceNotFoundException" in got.stderr
    # Keys from the environment name no account; EKS's answer names none either.
    assert "no cluster missing in eu-west-1 for the account of the credentials ($AWS_ACCESS_KEY_ID)" in got.stderr
    assert "check --region" in got.stderr
    assert not kubeconfig.exists()
    assert_no_secrets([got.stderr], [SECRET, SESSION_TOKEN])


def test_eks_needs_a_region_and_a_cluster_name(aws_oidc_bin, eks_env):
    env = {k: v for k, v in eks_env.items() if k != "AWS_REGION"}
    got = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], env)
    assert got.returncode == 1 and "regional" in got.stderr
    got = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER_ARN], eks_env)
    assert got.returncode == 1 and "not the ARN" in got.stderr


def test_cleanup_takes_back_the_kubeconfig_entries_and_the_cached_tokens(aws_oidc_bin, api, eks_env, tmp_path):
    kubeconfig = tmp_path / "config"
    before = {
        "apiVersion": "v1", "kind": "Config", "current-context": "local",
        "clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "local", "user": {"token": "local-token"}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": "local"}}],
    }  # fmt: skip
    kubeconfig.write_text(yaml.safe_dump(before))
    env = {**eks_env, "KUBECONFIG": str(kubeconfig), "CIRCLE_WORKFLOW_JOB_ID": "job-eks-cleanup"}
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER, "--alias", "ci"], env)
    assert wrote.returncode == 0, wrote.stderr
    got = kubectl(env, "get", "pods", "-o", "name")
    assert got.returncode == 0, got.stderr
    cache = Path(env["AWS_OIDC_CACHE_DIR"])
    tokens = [p for p in cache.glob("*.json") if "k8s-aws-v1." in p.read_text()]
    assert len(tokens) == 1, "kubectl's token was cached"

    cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert f"kubeconfig {kubeconfig}: removed cluster {CLUSTER_ARN}, user {CLUSTER_ARN}, context ci" in cleaned.stderr
    assert "current-context back to local" in cleaned.stderr
    assert not tokens[0].exists()
    after = yaml.safe_load(kubeconfig.read_text())
    assert after["current-context"] == "local"
    for key in ("clusters", "users", "contexts"):
        assert after[key] == before[key], key
    # Nothing is left to take back.
    again = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert again.returncode == 0 and "nothing to do" in again.stderr


def test_a_failed_write_shows_no_token(aws_oidc_bin, eks_env):
    first = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], eks_env)
    assert first.returncode == 0, first.stderr
    token = token_of(first.stdout)
    # The cached token, written to a full device: the error says so, without the token.
    with open("/dev/full", "w") as full:
        failed = subprocess.run([str(aws_oidc_bin), "eks-token", "--cluster-name", CLUSTER], env=eks_env,
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)  # fmt: skip
    assert failed.returncode == 1
    assert "aws-oidc: error:" in failed.stderr
    assert_no_secrets([failed.stderr], [token, SECRET, SESSION_TOKEN])


def test_eks_token_prints_the_version_kubectl_asks_for(aws_oidc_bin, eks_env):
    info = json.dumps({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
                       "spec": {"interactive": False}})  # fmt: skip
    got = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], {**eks_env, "KUBERNETES_EXEC_INFO": info})
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["apiVersion"] == "client.authentication.k8s.io/v1"
    bad = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER, "--api-version", "v2"], eks_env)
    assert bad.returncode == 1 and "use v1beta1 or v1" in bad.stderr and bad.stdout == ""


def test_cleanup_leaves_a_kubeconfig_that_is_no_longer_yaml_and_still_removes_the_tokens(aws_oidc_bin, api, eks_env,
                                                                                        tmp_path):
    kubeconfig = tmp_path / "config"
    env = {**eks_env, "KUBECONFIG": str(kubeconfig), "CIRCLE_WORKFLOW_JOB_ID": "job-eks-broken"}
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER], env)
    assert wrote.returncode == 0, wrote.stderr
    token = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], env)
    assert token.returncode == 0, token.stderr
    broken = b"clusters: [\n\tbroken\n"
    kubeconfig.write_bytes(broken)
    cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    # Named, and the step fails so someone looks; everything else was taken back.
    assert cleaned.returncode == 1, cleaned.stderr
    assert f"could not take back the kubeconfig entries it added to {kubeconfig}" in cleaned.stderr
    assert kubeconfig.read_bytes() == broken
    assert not [p for p in Path(env["AWS_OIDC_CACHE_DIR"]).glob("*.json") if "k8s-aws-v1." in p.read_text()]


DEEP = {"block": b"- " * 20_000 + b"x\n", "flow": b"[" * 20_000 + b"]" * 20_000 + b"\n"}


@pytest.mark.parametrize("shape", DEEP)
def test_a_kubeconfig_nested_20000_deep_is_refused_not_a_stack_overflow(aws_oidc_bin, api, eks_env, tmp_path, shape):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_bytes(DEEP[shape])
    got = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER, "--kubeconfig", str(kubeconfig)],
                       eks_env)  # fmt: skip
    # A signal (SIGSEGV) shows as a negative return code.
    assert got.returncode > 0, got.returncode
    assert str(kubeconfig) in got.stderr and "left as it was" in got.stderr, got.stderr
    assert kubeconfig.read_bytes() == DEEP[shape]


@pytest.mark.parametrize("shape", DEEP)
def test_cleanup_of_a_kubeconfig_nested_20000_deep_still_unsets_the_exports_and_removes_the_profile(
        aws_oidc_bin, api, eks_env, tmp_path, shape):
    kubeconfig = tmp_path / "config"
    env = {**eks_env, "KUBECONFIG": str(kubeconfig), "CIRCLE_WORKFLOW_JOB_ID": f"job-eks-deep-{shape}"}
    wrote = run_aws_oidc(aws_oidc_bin, ["eks-kubeconfig", "--cluster-name", CLUSTER], env)
    assert wrote.returncode == 0, wrote.stderr
    # Static keys into $BASH_ENV and a profile: what cleanup must still take back.
    keys = run_aws_oidc(aws_oidc_bin, ["static-keys", "--profile", "ci", "--bash-env"], env)
    assert keys.returncode == 0, keys.stderr
    credentials = Path(env["HOME"]) / ".aws" / "credentials"
    assert "[ci]" in credentials.read_text()
    kubeconfig.write_bytes(DEEP[shape])
    for attempt in range(2):
        cleaned = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
        assert cleaned.returncode > 0, cleaned.returncode
        assert f"could not take back the kubeconfig entries it added to {kubeconfig}" in cleaned.stderr
        assert kubeconfig.read_bytes() == DEEP[shape]
    assert "[ci]" not in credentials.read_text()
    assert "unset AWS_ACCESS_KEY_ID" in Path(env["BASH_ENV"]).read_text()


def test_token_only_prints_the_bare_token_kubectl_gets_from_the_cache(aws_oidc_bin, api, eks_env):
    # What curl or a Terraform/Helm provider takes: `k8s-aws-v1.` and nothing else.
    full = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER], eks_env)
    bare = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER, "--token-only"], eks_env)
    assert full.returncode == 0 and bare.returncode == 0, full.stderr + bare.stderr
    token = bare.stdout.removesuffix("\n")
    assert bare.stdout.endswith("\n") and "\n" not in token
    assert token.startswith("k8s-aws-v1.")
    # The same cache: the token kubectl was handed, not a second one.
    assert (token == token_of(full.stdout)) is True
    assert send(api, token) == 200
    assert_no_secrets([bare.stderr], [token, SECRET, SESSION_TOKEN])
    # --no-cache signs anew, still bare; an ExecCredential version makes no sense with it.
    fresh = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER, "--token-only", "--no-cache"], eks_env)
    assert fresh.returncode == 0 and fresh.stdout.startswith("k8s-aws-v1."), fresh.stderr
    assert send(api, fresh.stdout.strip()) == 200
    both = run_aws_oidc(aws_oidc_bin, ["eks-token", "--cluster-name", CLUSTER, "--token-only", "--api-version", "v1"],
                        eks_env)  # fmt: skip
    assert both.returncode == 2 and both.stdout == "" and "--api-version" in both.stderr
