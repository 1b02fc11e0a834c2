"""aws-oidc/eks_kubeconfig in a job: setup assumes a role with the job's token,
eks_kubeconfig writes the cluster into the kubeconfig, and kubectl in a later
step reads the cluster, its exec plugin running the installed aws-oidc.

The cluster is moto's and the API server the stand-in of tests/support/eks_api.py,
which checks each token as EKS does and maps the role to a user.
"""

from __future__ import annotations

import pytest
import yaml

from support import eks_api
from support.orb_ci import CiJob
from support.orb_configs import ACCOUNT, REGION, config, role, run

CLUSTER = "production"
# The key the test creates the cluster with; the job's own keys come from moto.
KEY_ID, SECRET = "AKIAORBEKSTEST000001", "orb-eks-test-secret"


@pytest.fixture(scope="module")
def eks(tmp_path_factory):
    with eks_api.moto_cluster(tmp_path_factory.mktemp("kube-api"), name=CLUSTER, region=REGION, account_id=ACCOUNT,
                              keys={KEY_ID: SECRET}, users={role("eks-deployer"): "deployer"}) as found:  # fmt: skip
        yield found


@pytest.fixture
def eks_ci(tmp_path, job_env, mirror, dist, tokens, eks) -> CiJob:
    moto_url, _ = eks
    job = CiJob(tmp_path, job_env, moto_url, mirror, dist, tokens)
    job.env["AWS_ENDPOINT_URL_EKS"] = moto_url
    return job


@pytest.mark.parametrize("how", ["after setup", "role_arn", "refreshing profile"])
def test_kubectl_reads_the_cluster_after_eks_kubeconfig(eks_ci, eks, how):
    _, api = eks
    eks_ci.give_token()
    if how == "after setup":
        steps = [{"aws-oidc/setup": {"role_arn": role("eks-deployer")}},
                 {"aws-oidc/eks_kubeconfig": {"cluster_name": CLUSTER, "cluster_context_alias": "prod"}}]  # fmt: skip
    elif how == "refreshing profile":
        # The exec plugin names the profile, whose credential_process assumes the role whenever due.
        steps = [{"aws-oidc/setup": {"role_arn": role("eks-deployer"), "profile_name": "eks",
                                     "set_aws_env_vars": False, "refresh": True}},
                 {"aws-oidc/eks_kubeconfig": {"cluster_name": CLUSTER, "cluster_context_alias": "prod",
                                              "aws_profile": "eks"}}]  # fmt: skip
    else:
        steps = [{"aws-oidc/eks_kubeconfig": {"cluster_name": "${CLUSTER}", "role_arn": role("eks-deployer"),
                                              "cluster_context_alias": "prod"}}]  # fmt: skip
        eks_ci.env["CLUSTER"] = CLUSTER
    before = len(api.seen)
    result = eks_ci.run(config(*steps, run("pods", "kubectl get pods -o name")))
    assert result.ok, result.describe()
    assert result.step("pods").stdout.strip() == "pod/web-0"
    assert {s["user"] for s in api.seen[before:]} == {"deployer"}

    kubeconfig = yaml.safe_load((eks_ci.home / ".kube" / "config").read_text())
    assert kubeconfig["current-context"] == "prod"
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    # The installed aws-oidc is the one on PATH: named, not pathed.
    assert exec_["command"] == "aws-oidc"
    assert ("--role-arn" in exec_["args"]) == (how == "role_arn")
    assert ("--profile" in exec_["args"]) == (how == "refreshing profile")
