"""What the end-to-end tests, their fixtures and `tools/bench.py` share.

Test modules import from here and never from one another; conftest files
hold fixtures only.

- `accounts`: the fake CircleCI org and AWS account, tokens, trust policies;
- `servers`: moto's server and the strict STS fixture as processes;
- `certs`: the one maker of test CAs and certificate chains;
- `loopback`: HTTP(S) servers on 127.0.0.1 (TLS front, forward proxy, issuer);
- `steps`: running the release binary and the AWS CLI as a CircleCI step does;
- `registry`, `ecr_public`: a real registry, and an ECR Public look-alike;
- `ecr`: the ECR the `ecr-login` tests log in to (hosts, passwords, keys);
- `eks_api`: a Kubernetes API stand-in that authenticates tokens as EKS does;
- `orb_runner`, `orb_configs`, `orb_schema`, `orb_ci`: running packed orb
  configs as CircleCI would, the configs the tests write, CircleCI's schema,
  and the job those configs run in (release, download mirror, moto).
"""
