"""The AWS side of the set-up: `aws-oidc claims`, `trust-policy` and `check`.

Generated policies are validated by the real tools (parliament, cfn-lint,
python-hcl2) and by the strict STS fixture, which evaluates trust policies
with its own, independently written evaluator.  `aws-oidc check` must agree
with that evaluator on a few hundred generated (policy, token) pairs.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import types
import urllib.request
from pathlib import Path

import jwt
import pytest

from support.accounts import ACCOUNT_ID, ORG_ID, PROJECT_ID, ROLE, USER_ID, VENV_BIN, private_pem
from support.certs import make_chain
from support.loopback import Issuer
from support.servers import running_moto
from support.steps import run_aws_oidc
from strict_sts import evaluate as fixture_evaluate
from strict_sts.server import Handler

PROVIDER = f"oidc.circleci.com/org/{ORG_ID}"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER}"
OTHER_PROJECT = "0a1b2c3d-1111-4222-8333-000000000000"
ACTION = "sts:AssumeRoleWithWebIdentity"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: no token unless given, nothing from the developer's AWS set-up."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def generate(binary, tmp_path, *args: str, fmt: str = "json") -> subprocess.CompletedProcess:
    base = ["trust-policy", "--org-id", ORG_ID, "--account-id", ACCOUNT_ID, "--format", fmt]
    return run_aws_oidc(binary, [*base, *args], env_for(tmp_path))


def no_secret(result: subprocess.CompletedProcess, token: str) -> None:
    assert token not in result.stdout + result.stderr, "the OIDC token leaked"
    assert "panicked" not in result.stderr


# --- claims -------------------------------------------------------------------------


def test_claims_shows_every_part_of_the_token_but_never_the_token(aws_oidc_bin, tokens, tmp_path):
    token = tokens.mint(context_ids=["c-1", "c-2"], ssh_rerun=True)
    result = run_aws_oidc(aws_oidc_bin, ["claims"], env_for(tmp_path, CIRCLE_OIDC_TOKEN_V2=token))
    assert result.returncode == 0, result.stderr
    no_secret(result, token)
    out = result.stdout
    assert "Token from $CIRCLE_OIDC_TOKEN_V2" in out
    for label, value in [("issuer", f"https://{PROVIDER}"), ("audience", ORG_ID), ("org", ORG_ID),
                         ("project", PROJECT_ID), ("user", USER_ID), ("vcs-origin", "github.com/acme/app"),
                         ("vcs-ref", "refs/heads/main"), ("project-id", PROJECT_ID),
                         ("context-ids", "c-1, c-2"), ("ssh-rerun", "true")]:
        assert re.search(rf"^\s+{re.escape(label)}\s+{re.escape(value)}$", out, re.M), f"{label} in\n{out}"
    assert re.search(r"expires\s+\S+Z \(in 59 min\)", out), out
    assert f"{PROVIDER}:sub = org/{ORG_ID}/project/{PROJECT_ID}/user/{USER_ID}" in out
    assert f"{PROVIDER}:oidc.circleci.com/project-id = {PROJECT_ID}" in out
    assert "context-ids" not in out.split("Condition keys")[1].split("(CircleCI")[0]


def test_claims_names_the_newer_claims_and_says_when_a_token_has_none(aws_oidc_bin, tokens, tmp_path):
    newer = {"oidc.circleci.com/org-id": ORG_ID, "oidc.circleci.com/pipeline-id": "p-7",
             "oidc.circleci.com/pipeline-definition-id": "pd-3"}
    token = tokens.mint(**newer)
    out = run_aws_oidc(aws_oidc_bin, ["claims"], env_for(tmp_path, CIRCLE_OIDC_TOKEN_V2=token)).stdout
    for label, value in [("org-id", ORG_ID), ("pipeline-id", "p-7"), ("pipeline-definition-id", "pd-3")]:
        assert re.search(rf"^\s+{label}\s+{re.escape(value)}$", out, re.M), f"{label} in\n{out}"
    assert "pipeline-id=" not in out, "the newer claims are still lumped into other claims"
    older = run_aws_oidc(aws_oidc_bin, ["claims"], env_for(tmp_path, CIRCLE_OIDC_TOKEN_V2=tokens.mint())).stdout
    assert re.search(r"^\s+pipeline-id\s+\(absent: an older token\)$", older, re.M), older


def test_claims_json_and_an_expired_v1_token_from_a_file(aws_oidc_bin, tokens, tmp_path):
    token = tokens.mint(vcs_origin=None, vcs_ref=None, exp_in=-600)
    path = write(tmp_path / "token", token + "\n")
    human = run_aws_oidc(aws_oidc_bin, ["claims", "--token-file", str(path)], env_for(tmp_path))
    assert human.returncode == 0, human.stderr
    assert "EXPIRED" in human.stdout and "(absent: a v1 token)" in human.stdout
    result = run_aws_oidc(aws_oidc_bin, ["claims", "--json", "--token-file", str(path)], env_for(tmp_path))
    assert result.returncode == 0, result.stderr
    no_secret(result, token)
    doc = json.loads(result.stdout)
    assert doc["claims"]["sub"] == f"org/{ORG_ID}/project/{PROJECT_ID}/user/{USER_ID}"
    assert doc["sub"] == {"org": ORG_ID, "project": PROJECT_ID, "user": USER_ID, "vcs-origin": None, "vcs-ref": None}
    assert doc["seconds_left"] < -500
    assert doc["condition_keys"][f"{PROVIDER}:aud"] == ORG_ID


def test_claims_without_a_token_says_why(aws_oidc_bin, tmp_path):
    result = run_aws_oidc(aws_oidc_bin, ["claims"], env_for(tmp_path))
    assert result.returncode == 1
    assert "no CircleCI OIDC token" in result.stderr


# --- trust-policy: the real validators ----------------------------------------------

# parliament audits identity policies: it requires a Resource (and stops
# checking a statement without one), knows only SAML and four built-in web
# identity principals, and has no condition keys for generic OIDC providers.
# The test adds "Resource": "*" so parliament checks everything else, and
# accepts only these findings, each a known false positive for OIDC trust
# policies.
PARLIAMENT_FALSE_POSITIVES = {"RESOURCE_STAR", "UNKNOWN_FEDERATION_SOURCE", "UNKNOWN_CONDITION_FOR_ACTION"}


def parliament_findings(policy: dict) -> list:
    from parliament import analyze_policy_string

    policy = json.loads(json.dumps(policy))
    for st in policy["Statement"]:
        st["Resource"] = "*"
    return analyze_policy_string(json.dumps(policy)).findings


def assert_parliament_clean(policy: dict) -> None:
    for f in parliament_findings(policy):
        if f.issue == "UNKNOWN_CONDITION_FOR_ACTION":
            assert f"{PROVIDER}:" in f.detail, f"{f.issue}: {f.detail}"
        assert f.issue in PARLIAMENT_FALSE_POSITIVES, f"parliament: {f.issue} {f.detail}"
        if f.issue == "UNKNOWN_FEDERATION_SOURCE":
            assert f.detail == PROVIDER_ARN


@pytest.mark.parametrize("args", [
    [],
    ["--branch", "main", "--branch", "release/*", "--ref", "refs/tags/v*"],
    ["--project-id", OTHER_PROJECT, "--audience", "sts.amazonaws.com"],
])
def test_generated_json_passes_parliament(aws_oidc_bin, tmp_path, args):
    result = generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID, *args)
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert_parliament_clean(policy)
    st = policy["Statement"][0]
    assert st["Condition"]["StringEquals"] == {f"{PROVIDER}:aud": "sts.amazonaws.com" if "--audience" in args else ORG_ID}
    assert set(st["Condition"]) == {"StringEquals", "StringLike"}


def test_parliament_still_catches_real_mistakes(aws_oidc_bin, tmp_path):
    """The allowlist above must not hide a broken policy."""
    policy = json.loads(generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID).stdout)
    policy["Statement"][0]["Action"] = "sts:AssumeRoleWithWebIdentty"
    policy["Statement"][0]["Condition"]["Bool"] = {"aws:SecureTransport": "yes"}
    issues = {f.issue for f in parliament_findings(policy)}
    assert issues - PARLIAMENT_FALSE_POSITIVES, issues


def test_cloudformation_passes_cfn_lint(aws_oidc_bin, tmp_path):
    for extra in ([], ["--provider-arn", PROVIDER_ARN]):
        args = ["--project-id", PROJECT_ID, "--branch", "main", "--role-name", "deploy",
                "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
        if extra:
            cmd = ["trust-policy", "--org-id", ORG_ID, "--format", "cloudformation", *extra, *args]
            result = run_aws_oidc(aws_oidc_bin, cmd, env_for(tmp_path))
        else:
            result = generate(aws_oidc_bin, tmp_path, *args, fmt="cloudformation")
        assert result.returncode == 0, result.stderr
        template = write(tmp_path / "template.json", result.stdout)
        lint = subprocess.run([str(VENV_BIN / "cfn-lint"), "--format", "parseable", str(template)],
                              capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        doc = json.loads(result.stdout)
        role = doc["Resources"]["CircleCiRole"]["Properties"]
        federated = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"]
        assert federated == (PROVIDER_ARN if extra else {"Ref": "CircleCiOidcProvider"})
        assert ("CircleCiOidcProvider" in doc["Resources"]) == (not extra)


def hcl_expression_to_json(expr: str, provider_ref: str, arn: str) -> dict:
    """python-hcl2 gives `jsonencode(...)` back as HCL text: turn that object into JSON."""
    body = expr.removeprefix("${jsonencode(").removesuffix(")}")
    body = body.replace(provider_ref, json.dumps(arn))
    body = re.sub(r'(?<![\w"])([A-Za-z_][A-Za-z0-9_]*) = ', r'"\1": ', body)
    body = body.replace('" = ', '": ')
    return json.loads(body)


def test_terraform_parses_and_holds_the_same_policy(aws_oidc_bin, tmp_path):
    import hcl2

    args = ["--project-id", PROJECT_ID, "--branch", "main", "--role-name", "deploy",
            "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tf = generate(aws_oidc_bin, tmp_path, *args, fmt="terraform")
    assert tf.returncode == 0, tf.stderr
    doc = hcl2.loads(tf.stdout)
    resources = {}
    for block in doc["resource"]:
        for rtype, named in block.items():
            for name, body in named.items():
                resources[(rtype.strip('"'), name.strip('"'))] = body
    provider = resources[("aws_iam_openid_connect_provider", "circleci")]
    assert provider["url"] == f'"https://{PROVIDER}"'
    role = resources[("aws_iam_role", "circleci")]
    assert role["name"] == '"deploy"'
    embedded = hcl_expression_to_json(role["assume_role_policy"], "aws_iam_openid_connect_provider.circleci.arn", PROVIDER_ARN)
    plain = json.loads(generate(aws_oidc_bin, tmp_path, *args[:4]).stdout)
    assert embedded == plain
    attachment = resources[("aws_iam_role_policy_attachment", "circleci_0")]
    assert attachment["policy_arn"] == '"arn:aws:iam::aws:policy/ReadOnlyAccess"'


@pytest.mark.parametrize("flag, needle", [
    (["--context-id", "c-1"], "Organization Settings > Contexts"),
    (["--no-ssh-rerun"], "oidc.circleci.com/ssh-rerun claim is not"),
])
def test_what_iam_cannot_check_is_refused_with_the_reason(aws_oidc_bin, tmp_path, flag, needle):
    result = generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID, *flag)
    assert result.returncode == 1
    assert result.stdout == ""
    assert needle in result.stderr
    assert "condition keys IAM offers for CircleCI tokens" in result.stderr
    helptext = run_aws_oidc(aws_oidc_bin, ["trust-policy", "--help"], env_for(tmp_path)).stdout
    assert "IAM cannot check the" in " ".join(helptext.split())


def test_bad_inputs_are_refused_before_anything_is_printed(aws_oidc_bin, tmp_path):
    for args, needle in [
        (["--project-id", "not-a-uuid"], "CircleCI ids are UUIDs"),
        ([], "no --project-id"),
        (["--project-id", PROJECT_ID, "--ref", "heads/main"], "starts with refs/"),
        (["--project-id", PROJECT_ID, "--branch", "a${aws:username}"], "policy variable"),
        (["--project-id", PROJECT_ID, "--role-name", "a b"], "--role-name"),
    ]:
        result = generate(aws_oidc_bin, tmp_path, *args, fmt="terraform")
        assert result.returncode == 1 and needle in result.stderr, (args, result.stderr)
        assert result.stdout == ""


# --- generated policies against the strict STS fixture ------------------------------


@pytest.fixture
def sts_with(strict_sts, tokens):
    """Configures the strict fixture's role with a trust policy."""

    def configure(policy: dict) -> None:
        strict_sts.configure({
            "account_id": ACCOUNT_ID,
            "signing_keys": {"test": private_pem(tokens.key)},
            "providers": [{"url": PROVIDER, "client_ids": [ORG_ID]}],
            "roles": {ROLE: {"trust_policy": policy}},
        })

    return configure


def assume(binary, strict_sts, tmp_path, token: str, *extra: str) -> subprocess.CompletedProcess:
    env = env_for(tmp_path, CIRCLE_OIDC_TOKEN_V2=token, AWS_REGION="us-east-1",
                  AWS_ENDPOINT_URL_STS=strict_sts.url)
    result = run_aws_oidc(binary, ["assume", "--role-arn", ROLE, "--output", "json", *extra], env)
    no_secret(result, token)
    return result


def test_generated_policy_admits_the_intended_jobs_and_no_others(aws_oidc_bin, strict_sts, sts_with, tokens, tmp_path):
    policy = json.loads(generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID, "--branch", "main").stdout)
    sts_with(policy)
    cases = [
        ({}, True),
        ({"vcs_ref": "refs/heads/dev"}, False),
        ({"project_id": OTHER_PROJECT}, False),
        ({"vcs_ref": "refs/heads/x/vcs-ref/refs/heads/main"}, False),
        ({"vcs_origin": None, "vcs_ref": None}, False),  # a v1 token has no ref to check
    ]
    for claims, allowed in cases:
        result = assume(aws_oidc_bin, strict_sts, tmp_path, tokens.mint(**claims))
        assert (result.returncode == 0) == allowed, (claims, result.stderr)
        if not allowed:
            assert "AccessDenied" in result.stderr

    project_wide = json.loads(generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID).stdout)
    sts_with(project_wide)
    for claims in ({}, {"vcs_origin": None, "vcs_ref": None}, {"vcs_ref": "refs/tags/v1"}):
        assert assume(aws_oidc_bin, strict_sts, tmp_path, tokens.mint(**claims)).returncode == 0, claims
    assert assume(aws_oidc_bin, strict_sts, tmp_path, tokens.mint(project_id=OTHER_PROJECT)).returncode == 1


# --- check ----------------------------------------------------------------------------


def test_check_explains_each_condition_and_exits_1_on_denial(aws_oidc_bin, tokens, tmp_path):
    policy = json.loads(generate(aws_oidc_bin, tmp_path, "--project-id", OTHER_PROJECT).stdout)
    policy["Statement"][0]["Condition"]["StringEquals"][f"{PROVIDER}:oidc.circleci.com/context-ids"] = "c-1"
    path = write(tmp_path / "trust.json", json.dumps(policy))
    token = tokens.mint(context_ids=["c-1"])
    env = env_for(tmp_path, CIRCLE_OIDC_TOKEN_V2=token)
    result = run_aws_oidc(aws_oidc_bin, ["check", "--policy", str(path), "--role-arn", ROLE], env)
    no_secret(result, token)
    assert result.returncode == 1
    out = result.stdout
    assert f"ok   StringEquals {PROVIDER}:aud" in out
    assert f"FAIL StringLike {PROVIDER}:sub" in out and f"/project/{OTHER_PROJECT}/user/*" in out
    assert "IAM does not make CircleCI's oidc.circleci.com/context-ids claim a condition key" in out
    assert "result: DENIED" in out
    assert "does not allow this token" in result.stderr

    ok = write(tmp_path / "ok.json", generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID).stdout)
    allowed = run_aws_oidc(aws_oidc_bin, ["check", "--policy", str(ok), "--account-id", ACCOUNT_ID], env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert 'result: ALLOWED by statement 0 "AllowCircleCiJobs"' in allowed.stdout
    wrong_account = run_aws_oidc(aws_oidc_bin, ["check", "--policy", str(ok), "--account-id", "210987654321"], env)
    assert wrong_account.returncode == 1 and "FAIL Principal" in wrong_account.stdout


def test_assume_with_trust_policy_prints_the_failing_condition(aws_oidc_bin, strict_sts, sts_with, tokens, tmp_path):
    role_policy = json.loads(generate(aws_oidc_bin, tmp_path, "--project-id", OTHER_PROJECT).stdout)
    sts_with(role_policy)
    token = tokens.mint()
    same = write(tmp_path / "role-trust.json", json.dumps(role_policy))
    result = assume(aws_oidc_bin, strict_sts, tmp_path, token, "--trust-policy", str(same))
    assert result.returncode == 1
    err = result.stderr
    assert "AccessDenied (HTTP 403)" in err
    assert f"Checking the trust policy in {same} against this token" in err
    assert f"FAIL StringLike {PROVIDER}:sub" in err and OTHER_PROJECT in err
    assert strict_sts.calls() == 1

    # A local copy that allows the token means the role's real policy is another one.
    local = write(tmp_path / "local.json", generate(aws_oidc_bin, tmp_path, "--project-id", PROJECT_ID).stdout)
    stale = assume(aws_oidc_bin, strict_sts, tmp_path, token, "--trust-policy", str(local))
    assert stale.returncode == 1
    assert "allows this token, so it is not the role's trust policy" in stale.stderr
    assert "aws iam get-role --role-name deploy --query Role.AssumeRolePolicyDocument" in stale.stderr

    bad = write(tmp_path / "bad.json", "{not json")
    refused = assume(aws_oidc_bin, strict_sts, tmp_path, token, "--trust-policy", str(bad))
    assert refused.returncode == 1 and "is not JSON" in refused.stderr
    assert strict_sts.calls() == 2, "a bad --trust-policy is refused before any STS call"


# --- check agrees with the strict fixture's evaluator -------------------------------------

OTHER_PROVIDER = "oidc.circleci.com/org/00000000-0000-4000-8000-000000000000"
EXPOSED = ["oidc.circleci.com/context-ids", "oidc.circleci.com/ssh-rerun"]
SESSION = "deploy-42"
CONTEXTS = ["ctx-a", "ctx-b", "ctx-c"]


def random_claims(rng: random.Random, tokens) -> dict:
    ref = rng.choice(["refs/heads/main", "refs/heads/dev", "refs/tags/v1.2", None])
    claims = tokens.claims(
        project_id=rng.choice([PROJECT_ID, PROJECT_ID, OTHER_PROJECT]),
        aud=rng.choice([None, None, "sts.amazonaws.com"]),
        vcs_origin=None if ref is None else "github.com/acme/app",
        vcs_ref=ref,
        context_ids=rng.sample(CONTEXTS, rng.randint(0, 3)),
        ssh_rerun=rng.random() < 0.3,
    )
    if rng.random() < 0.1:
        del claims["oidc.circleci.com/project-id"]
    return claims


def random_condition(rng: random.Random, claims: dict) -> dict:
    sub = claims["sub"]
    pools = {
        f"{PROVIDER}:aud": [ORG_ID, "sts.amazonaws.com", ORG_ID.upper(), "6f1b*", "*", "x"],
        f"{PROVIDER}:sub": [sub, sub.upper(), f"org/{ORG_ID}/project/{PROJECT_ID}/user/*",
                            f"org/{ORG_ID}/project/{OTHER_PROJECT}/user/*", "*/vcs-ref/refs/heads/main",
                            f"org/{ORG_ID}/project/{PROJECT_ID}/user/*/vcs-origin/*/vcs-ref/refs/tags/v?.?", "*"],
        f"{PROVIDER}:oidc.circleci.com/project-id": [PROJECT_ID, OTHER_PROJECT, "0a1b*"],
        f"{PROVIDER}:oidc.circleci.com/context-ids": [*CONTEXTS, "ctx-*", "CTX-A"],
        f"{PROVIDER}:oidc.circleci.com/ssh-rerun": ["true", "false", True, False],
        f"{PROVIDER}:oidc.circleci.com/vcs-ref": ["refs/heads/main"],  # never a key: always missing
        f"{OTHER_PROVIDER}:sub": [sub],
        "sts:RoleSessionName": [SESSION, "deploy-*", "other"],
    }
    condition: dict = {}
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(list(pools))
        if key.endswith("ssh-rerun") and rng.random() < 0.7:
            base = "Bool"
        elif rng.random() < 0.1:
            base = "Null"
        else:
            base = rng.choice(["StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                               "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"])
        if base == "Null":
            operator, values = "Null", [rng.choice(["true", "false", True])]
        else:
            prefix = rng.choice(["", "", "", "ForAnyValue:", "ForAllValues:"])
            operator = prefix + base + ("IfExists" if rng.random() < 0.25 else "")
            values = rng.sample(pools[key], rng.randint(1, min(3, len(pools[key]))))
        if rng.random() < 0.1:
            key = key.upper()
        condition.setdefault(operator, {})[key] = values[0] if len(values) == 1 and rng.random() < 0.5 else values
    return condition


def random_policy(rng: random.Random, claims: dict) -> dict:
    statements = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        st: dict = {"Effect": "Deny" if rng.random() < 0.2 else "Allow"}
        principal = rng.choice([
            {"Federated": PROVIDER_ARN}, {"Federated": PROVIDER_ARN}, {"Federated": PROVIDER_ARN}, "*",
            {"Federated": f"arn:aws:iam::210987654321:oidc-provider/{PROVIDER}"},
            {"Federated": [f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{OTHER_PROVIDER}", PROVIDER_ARN]},
            {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        ])
        st["NotPrincipal" if rng.random() < 0.05 else "Principal"] = principal
        action = rng.choice([ACTION, ACTION, ACTION, "sts:*", "sts:AssumeRole", ["sts:AssumeRole", "STS:assumerolewith*"]])
        st["NotAction" if rng.random() < 0.05 else "Action"] = action
        if rng.random() < 0.9:
            st["Condition"] = random_condition(rng, claims)
        if rng.random() < 0.3:
            st["Sid"] = f"S{len(statements)}"
        statements.append(st)
    return {"Version": "2012-10-17", "Statement": statements if len(statements) > 1 or rng.random() < 0.8 else statements[0]}


def test_check_agrees_with_the_strict_fixtures_evaluator(aws_oidc_bin, tokens, tmp_path):
    rng = random.Random(20260505)
    cfg = types.SimpleNamespace(claim_condition_keys=EXPOSED)
    expose = [arg for claim in EXPOSED for arg in ("--expose-claim", claim)]
    outcomes = {True: 0, False: 0}
    for i in range(300):
        claims = random_claims(rng, tokens)
        policy = random_policy(rng, claims)
        context = Handler._web_identity_context(cfg, PROVIDER, claims, SESSION)
        expected = fixture_evaluate(policy, context, PROVIDER_ARN, ACTION)
        token = jwt.encode(claims, tokens.key, algorithm="RS256", headers={"kid": "test"})
        policy_file = write(tmp_path / "policy.json", json.dumps(policy))
        token_file = write(tmp_path / "token", token)
        result = run_aws_oidc(aws_oidc_bin, ["check", "--policy", str(policy_file), "--token-file", str(token_file),
                                             "--account-id", ACCOUNT_ID, "--session-name", SESSION, *expose],
                              env_for(tmp_path))
        assert "result: " in result.stdout, f"case {i}: {result.stderr}\n{json.dumps(policy)}"
        got = result.returncode == 0
        assert got == expected, (
            f"case {i}: aws-oidc check says {'allowed' if got else 'denied'}, strict_sts says "
            f"{'allowed' if expected else 'denied'}\npolicy: {json.dumps(policy)}\n"
            f"context: {json.dumps(context)}\n{result.stdout}"
        )
        outcomes[got] += 1
    # Both outcomes must be well represented, or the agreement says little.
    assert min(outcomes.values()) >= 60, outcomes


# --- docs/aws-setup.md: every command in it, run ---------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "aws-setup.md"


def doc_blocks() -> list[tuple[str, str]]:
    """The fenced ```sh blocks of the doc, each with the doc-test marker before it (if any)."""
    text = DOC.read_text()
    blocks = []
    for m in re.finditer(r"(?:<!-- doc-test: ([a-z-]+) -->\n)?```sh\n(.*?)```", text, re.S):
        blocks.append((m.group(1) or "", m.group(2)))
    return blocks


@pytest.fixture
def moto_with_managed_policies():
    """A moto server of our own whose accounts know AWS managed policies, as real ones do."""
    with running_moto({"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}) as url:
        yield url


def test_every_command_in_the_aws_setup_doc_runs(aws_oidc_bin, moto_with_managed_policies, strict_sts, tokens,
                                                 job_env, tmp_path):
    """Runs each ```sh block of docs/aws-setup.md in order, in one directory.

    IAM calls go to moto (`<!-- doc-test: fresh-account -->` before a block
    resets it, as each alternative starts from an empty account), STS calls
    to the strict fixture, which gets moto's providers and roles before each
    block: so `aws-oidc assume` there succeeds only if the role that the doc's
    own commands created trusts the job's token.  moto does not implement
    AWS::IAM::OIDCProvider in CloudFormation, so that template is checked by
    cfn-lint in test_cloudformation_passes_cfn_lint.  In the block marked
    `loopback-issuer`, https://oidc.circleci.com is a loopback HTTPS issuer
    (the test for `thumbprint` itself is in test_thumbprint.py).  The one
    block marked `not-in-moto` is not run: moto has no
    AddClientIDToOpenIDConnectProvider.
    """
    import boto3


    moto_server = moto_with_managed_policies
    blocks = doc_blocks()
    assert len(blocks) >= 8, "the doc should show its commands in ```sh blocks"
    token = tokens.mint()
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = Issuer(chain)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aws-oidc").symlink_to(aws_oidc_bin)
    work = tmp_path / "work"
    work.mkdir()
    env = {**job_env, "PATH": f"{bindir}:{VENV_BIN}:/usr/bin:/bin", "CIRCLE_OIDC_TOKEN_V2": token,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_IAM": moto_server, "AWS_ENDPOINT_URL_CLOUDFORMATION": moto_server,
           "AWS_ENDPOINT_URL_STS": strict_sts.url, "AWS_PAGER": ""}
    iam = boto3.client("iam", endpoint_url=moto_server, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    def sync_strict_sts() -> None:
        providers = [{"url": p["Url"], "client_ids": p["ClientIDList"]}
                     for p in (iam.get_open_id_connect_provider(OpenIDConnectProviderArn=x["Arn"])
                               for x in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])]
        roles = {r["Arn"]: {"trust_policy": r["AssumeRolePolicyDocument"],
                            "max_session_duration": r.get("MaxSessionDuration", 3600)}
                 for r in iam.list_roles()["Roles"]}
        strict_sts.configure({"account_id": ACCOUNT_ID, "signing_keys": {"test": private_pem(tokens.key)},
                              "providers": providers, "roles": roles})

    values = next(block for marker, block in blocks if marker == "values")
    outputs = []
    try:
        for marker, block in blocks:
            if marker == "not-in-moto":
                assert block.startswith("aws iam add-client-id-to-open-id-connect-provider"), block
                continue
            if marker == "fresh-account":
                urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
            env_block = env
            if marker == "loopback-issuer":
                block = block.replace("https://oidc.circleci.com", issuer.url)
                env_block = {**env, "SSL_CERT_FILE": str(chain.root)}
            sync_strict_sts()
            script = block if marker == "values" else values + block
            result = subprocess.run(["sh", "-euc", script], cwd=work, env=env_block, capture_output=True,
                                    text=True, timeout=120)
            assert result.returncode == 0, f"this doc block failed:\n{block}\n{result.stdout}\n{result.stderr}"
            assert token not in result.stdout + result.stderr
            outputs.append((block, result.stdout + result.stderr))
    finally:
        issuer.stop()
    joined = "\n".join(block for block, _ in outputs)
    for command in ["aws-oidc claims", "aws-oidc trust-policy", "aws-oidc check", "aws-oidc assume",
                    "aws-oidc thumbprint", "aws cloudformation deploy", "aws iam update-role"]:
        assert command in joined, f"the doc runs no {command}"
    # What the doc made: a Terraform file that parses, and roles the job could assume.
    import hcl2

    hcl2.loads((work / "circleci-oidc.tf").read_text())
    assumed = [out for block, out in outputs if "aws-oidc assume" in block]
    assert len(assumed) >= 2 and all(
        "aws-oidc: assumed arn:aws:sts::123456789012:assumed-role/circleci-deploy/" in out for out in assumed
    ), assumed
    assert any("result: ALLOWED" in out for block, out in outputs if "aws-oidc check" in block)
