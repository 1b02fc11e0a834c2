//! What an STS failure means for this token and this role, and what to change.
//!
//! STS's own messages are terse ("Not authorized to perform
//! sts:AssumeRoleWithWebIdentity").  Here each one is turned into the cause
//! and the fix, using what we know locally: the token's `iss`, `aud` and
//! `sub` (not secret), the role's account, the region and endpoint.

use crate::failure::{CallFailure, FailureKind};
use crate::request::RoleArn;
use crate::token::Claims;
use crate::trust::generate::allow_statement;
use crate::trust::Provider;

/// What the explanation can draw on.
#[derive(Debug, Clone)]
pub(crate) struct Context<'a> {
    /// The web-identity role.
    pub role_arn: &'a RoleArn,
    /// The chained role, if any.
    pub chain_role_arn: Option<&'a RoleArn>,
    /// The token's claims.
    pub claims: &'a Claims,
    /// Where the token came from, e.g. `$CIRCLE_OIDC_TOKEN_V2`.
    pub token_source: String,
    /// The region.
    pub region: &'a str,
    /// The STS endpoint.
    pub endpoint: String,
    /// The requested duration.
    pub duration: u32,
}

impl Context<'_> {
    fn provider(&self) -> String {
        crate::redact::printable(
            self.claims
                .provider_host_path()
                .unwrap_or("oidc.circleci.com/org/<org-id>"),
        )
    }

    fn provider_arn(&self) -> String {
        Provider::arn_for(
            self.role_arn.partition(),
            self.role_arn.account(),
            &self.provider(),
        )
    }

    fn aud(&self) -> String {
        self.claims
            .audiences()
            .first()
            .map(|s| crate::redact::printable(s))
            .unwrap_or_else(|| "<org-id>".into())
    }

    /// The trust-policy statement this token would match, least privilege,
    /// as the trust-policy generator writes it.
    fn trust_statement(&self) -> String {
        let sub = self
            .claims
            .subject()
            .unwrap_or("org/<org-id>/project/<project-id>/user/*");
        // Suggest the project, any user (and any ref): what a deploy role usually wants.
        let project_sub = match sub.find("/user/") {
            Some(i) => format!("{}/user/*", &sub[..i]),
            None => sub.to_string(),
        };
        let provider = Provider::for_role(self.role_arn, &self.provider());
        let statement = allow_statement(&provider, &self.aud(), &project_sub);
        let text = serde_json::to_string_pretty(&statement).unwrap_or_default();
        text.lines()
            .map(|line| format!("      {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn facts(&self) -> String {
        format!(
            "  role:     {}\n  token:    {} (from {})\n  region:   {} (STS endpoint {})",
            self.role_arn,
            self.claims.summary(),
            self.token_source,
            self.region,
            self.endpoint
        )
    }
}

/// A full explanation: the failure, what it means, what to do, and the facts.
pub(crate) fn explain(f: &CallFailure, ctx: &Context) -> String {
    let code = f.code.as_deref().unwrap_or_default();
    let message = f.message.as_deref().unwrap_or_default();
    let role = ctx.role_arn;
    let acct = role.account();
    let p = ctx.provider();
    let meaning = match (&f.kind, f.operation, code) {
        (FailureKind::Service, "AssumeRoleWithWebIdentity", "AccessDenied") => format!(
            "The trust policy of role {role} does not allow this token (or the role does not exist \
             in account {acct}).\n\
             The trust policy must have a statement like this, matching the token's claims:\n{}\n\
             Check:\n\
             - Principal.Federated names the provider for this token's issuer, in the role's account;\n\
             - the {p}:aud condition equals the token's aud ({aud});\n\
             - the {p}:sub pattern matches the token's sub exactly, using StringLike (not StringEquals) \
               for any * wildcard;\n\
             - with CircleCI's v2 sub, a ref like refs/heads/main is part of sub \
               (\"org/.../vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main\").",
            ctx.trust_statement(),
            aud = ctx.aud(),
        ),
        (FailureKind::Service, "AssumeRole", "AccessDenied") if message.contains("sts:TagSession") => format!(
            "Role chaining with session tags was refused: {next}'s trust policy lets {first} assume it \
             but not tag the session. Add sts:TagSession to the statement that allows sts:AssumeRole \
             (\"Action\": [\"sts:AssumeRole\", \"sts:TagSession\"]), or drop --tag/--circleci-tags.",
            first = role,
            next = ctx.chain_role_arn.map(|r| r.to_string()).unwrap_or_else(|| "the chained role".into()),
        ),
        (FailureKind::Service, "AssumeRole", "AccessDenied") => format!(
            "Role chaining was refused: {first} may not assume {next}.\n\
             - {next}'s trust policy must allow Principal {{\"AWS\": \"{first}\"}} (or its account root) \
               with Action sts:AssumeRole{ext};\n\
             - {first} needs an identity policy allowing sts:AssumeRole on {next}.",
            first = role,
            next = ctx.chain_role_arn.map(|r| r.to_string()).unwrap_or_else(|| "the chained role".into()),
            ext = " (and a sts:ExternalId condition matching --external-id, if it has one)",
        ),
        (FailureKind::Service, _, "InvalidIdentityToken") if message.contains("No OpenIDConnect provider") => format!(
            "Account {acct} has no IAM OIDC identity provider for this token's issuer \
             (https://{p}). The provider must be in the role's account.\n\
             Create it (once per account):\n  \
             aws iam create-open-id-connect-provider --url https://{p} --client-id-list {aud}\n\
             or in the IAM console: Identity providers > Add provider > OpenID Connect, \
             provider URL https://{p}, audience {aud}.",
            aud = ctx.aud(),
        ),
        (FailureKind::Service, _, "InvalidIdentityToken") if message.contains("audience") => format!(
            "The IAM provider for https://{p} does not list this token's audience ({aud}) as a \
             client ID.\n\
             - Add it: aws iam add-client-id-to-open-id-connect-provider \
               --open-id-connect-provider-arn {arn} --client-id {aud}\n\
             - or, if you set a custom audience (--audience / the orb's `audience`), use one the \
               provider lists (CircleCI's default audience is the org id).",
            aud = ctx.aud(),
            arn = ctx.provider_arn(),
        ),
        (FailureKind::Service, _, "InvalidIdentityToken") if message.contains("verification key") => format!(
            "STS could not fetch the issuer's signing keys from https://{p} after {} attempts. \
             This is usually a passing outage at the issuer or STS: run the step again. If it \
             persists, check https://status.circleci.com.",
            f.attempts
        ),
        (FailureKind::Service, _, "InvalidIdentityToken") => format!(
            "STS rejected the token itself. It must be an unmodified CircleCI OIDC token from this \
             job ({}); if it was copied, check it was not truncated or re-encoded.",
            ctx.token_source
        ),
        (FailureKind::Service, _, "IDPCommunicationError") => format!(
            "STS could not reach the identity provider at https://{p} after {} attempts. \
             This is usually passing: run the step again.",
            f.attempts
        ),
        (FailureKind::Service, _, "IDPRejectedClaim") => format!(
            "The identity provider rejected a claim in the token. Check the IAM provider for \
             https://{p} in account {acct} (its audiences and thumbprints) and that the token is \
             a CircleCI token for this org."
        ),
        (FailureKind::Service, _, "ExpiredTokenException") => format!(
            "The token had expired when STS checked it. CircleCI tokens live one hour from the \
             start of the job. Put the `circleci` CLI on PATH so a fresh token can be minted \
             (`circleci run oidc get`), or run this step earlier in the job; if the job is young, \
             check this machine's clock. Token from {}.",
            ctx.token_source
        ),
        (FailureKind::Service, "AssumeRole", "ValidationError") if message.contains("chaining") => {
            "Role chaining limits the second session to 1 hour: use --duration 3600 or less.".to_string()
        }
        (FailureKind::Service, _, "ValidationError") if message.contains("MaxSessionDuration") => format!(
            "The requested duration ({d}s) is above the role's maximum session duration.\n\
             - ask for less: --duration (orb: session_duration) at most the role's maximum \
               (1 hour unless changed);\n\
             - or raise the maximum: aws iam update-role --role-name {name} --max-session-duration {d}",
            d = ctx.duration,
            name = role.name(),
        ),
        (FailureKind::Service, _, "ValidationError") => format!(
            "STS refused a parameter: {message}\nCheck --role-arn, --session-name, --duration and the \
             session policies against STS's limits."
        ),
        (FailureKind::Service, _, "RegionDisabledException") => format!(
            "STS is not activated in region {} for account {acct}. Activate it in the IAM console \
             (Account settings > Security Token Service (STS) > Endpoints), or use another region \
             with --region (orb: region).",
            ctx.region
        ),
        (FailureKind::Service, _, "MalformedPolicyDocument") => format!(
            "The session policy (--policy, orb: session_policy) is not a valid IAM policy: {message}"
        ),
        (FailureKind::Service, _, "PackedPolicyTooLarge") => {
            "The session policies are too large once STS packs them. Shorten --policy, or pass fewer \
             --policy-arn, or move permissions into the role's own policies."
                .to_string()
        }
        (FailureKind::Service, _, "InvalidClientTokenId" | "SignatureDoesNotMatch") => {
            "STS did not accept the temporary credentials it had just issued. If an --endpoint-url \
             or proxy is in use, check it forwards requests unchanged."
                .to_string()
        }
        (FailureKind::Service, _, c) if c.starts_with("Throttl") || c == "RequestLimitExceeded" => format!(
            "STS kept throttling after {} attempts. Too many jobs are assuming roles at once in this \
             account: stagger them, or run the step again.",
            f.attempts
        ),
        (FailureKind::Service, _, _) if f.status.is_some_and(|s| s >= 500) => format!(
            "STS had an internal error {} times in a row. This is on the AWS side: run the step \
             again, and check the AWS Health Dashboard if it persists.",
            f.attempts
        ),
        (FailureKind::Service, _, _) => format!("STS answered {code}: {message}"),
        (FailureKind::Timeout, _, _) => format!(
            "No answer from {} in time. Check the network from this job, the region, any proxy \
             (HTTPS_PROXY, NO_PROXY), and --endpoint-url; --timeout sets the limit.",
            ctx.endpoint
        ),
        (FailureKind::Connect(_), _, _) => format!(
            "Could not connect to {}. Check the network from this job, DNS, the proxy settings \
             (HTTPS_PROXY, NO_PROXY), --endpoint-url, and that AWS_CA_BUNDLE or SSL_CERT_FILE (if set) holds the CA \
             that signed the endpoint's certificate.",
            ctx.endpoint
        ),
        (FailureKind::Response(_), _, _) => format!(
            "The answer from {} could not be read (truncated or not STS's XML). A proxy or a wrong \
             --endpoint-url is the usual cause.",
            ctx.endpoint
        ),
        (FailureKind::Other(_), _, _) => "The request could not be sent.".to_string(),
    };
    format!("{f}\n\n{meaning}\n\n{}", ctx.facts())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::decode_claims;
    use base64::Engine as _;

    fn claims() -> Claims {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = serde_json::json!({
            "iss": "https://oidc.circleci.com/org/org-1",
            "aud": "org-1",
            "sub": "org/org-1/project/p-1/user/u-1/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main",
            "exp": 4_000_000_000u64,
        });
        decode_claims(&format!(
            "{}.{}.sig",
            e.encode("{}"),
            e.encode(payload.to_string())
        ))
        .unwrap()
    }

    fn failure(op: &'static str, code: &str, message: &str, status: u16) -> CallFailure {
        CallFailure {
            operation: op,
            kind: FailureKind::Service,
            code: Some(code.into()),
            message: Some(message.into()),
            status: Some(status),
            attempts: 1,
        }
    }

    fn explain_one(f: &CallFailure) -> String {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/deploy").unwrap();
        let chain = RoleArn::parse("arn:aws:iam::210987654321:role/next").unwrap();
        let c = claims();
        let ctx = Context {
            role_arn: &role,
            chain_role_arn: Some(&chain),
            claims: &c,
            token_source: "$CIRCLE_OIDC_TOKEN_V2".into(),
            region: "us-east-1",
            endpoint: "https://sts.us-east-1.amazonaws.com".into(),
            duration: 7200,
        };
        explain(f, &ctx)
    }

    #[test]
    fn access_denied_shows_the_trust_policy_to_write() {
        let text = explain_one(&failure(
            "AssumeRoleWithWebIdentity",
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            403,
        ));
        for needle in [
            "arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/org-1",
            "\"oidc.circleci.com/org/org-1:aud\": \"org-1\"",
            "\"oidc.circleci.com/org/org-1:sub\": \"org/org-1/project/p-1/user/*\"",
            "StringLike (not StringEquals)",
            "sub=org/org-1/project/p-1/user/u-1",
            "Not authorized",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn claims_with_control_characters_cannot_forge_lines() {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = serde_json::json!({
            "iss": "https://oidc.circleci.com/org/org-1\n\u{1b}[31mFAKE",
            "aud": "org-1\naws-oidc: assumed arn:aws:iam::1:role/x",
            "sub": "org/org-1/project/p-1/user/u-1\naws-oidc: forged line\u{1b}[2J",
            "exp": 4_000_000_000u64,
        });
        let claims = decode_claims(&format!(
            "{}.{}.sig",
            e.encode("{}"),
            e.encode(payload.to_string())
        ))
        .unwrap();
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/deploy").unwrap();
        let ctx = Context {
            role_arn: &role,
            chain_role_arn: None,
            claims: &claims,
            token_source: "$CIRCLE_OIDC_TOKEN_V2".into(),
            region: "us-east-1",
            endpoint: "https://sts.us-east-1.amazonaws.com".into(),
            duration: 3600,
        };
        let text = explain(
            &failure(
                "AssumeRoleWithWebIdentity",
                "AccessDenied",
                "Not authorized",
                403,
            ),
            &ctx,
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("aws-oidc:")), "{text}");
    }

    #[test]
    fn each_sts_error_gets_its_own_fix() {
        let cases = [
            (failure("AssumeRoleWithWebIdentity", "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://oidc.circleci.com/org/org-1", 400),
             "create-open-id-connect-provider --url https://oidc.circleci.com/org/org-1 --client-id-list org-1"),
            (failure("AssumeRoleWithWebIdentity", "InvalidIdentityToken", "Incorrect token audience", 400), "add-client-id-to-open-id-connect-provider"),
            (failure("AssumeRoleWithWebIdentity", "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider", 400), "signing keys"),
            (failure("AssumeRoleWithWebIdentity", "IDPRejectedClaim", "x", 403), "rejected a claim"),
            (failure("AssumeRoleWithWebIdentity", "IDPCommunicationError", "x", 400), "could not reach the identity provider"),
            (failure("AssumeRoleWithWebIdentity", "ExpiredTokenException", "Token expired", 400), "circleci run oidc get"),
            (failure("AssumeRoleWithWebIdentity", "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400),
             "update-role --role-name deploy --max-session-duration 7200"),
            (failure("AssumeRole", "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400), "1 hour"),
            (failure("AssumeRoleWithWebIdentity", "RegionDisabledException", "x", 403), "not activated in region us-east-1"),
            (failure("AssumeRoleWithWebIdentity", "MalformedPolicyDocument", "bad", 400), "session_policy"),
            (failure("AssumeRoleWithWebIdentity", "PackedPolicyTooLarge", "x", 400), "too large"),
            (failure("AssumeRole", "AccessDenied", "x", 403), "arn:aws:iam::210987654321:role/next"),
            (failure("AssumeRoleWithWebIdentity", "Throttling", "Rate exceeded", 400), "kept throttling"),
            (failure("AssumeRoleWithWebIdentity", "InternalFailure", "", 500), "internal error"),
        ];
        for (f, needle) in cases {
            let text = explain_one(&f);
            assert!(
                text.contains(needle),
                "{:?}: missing {needle:?} in\n{text}",
                f.code
            );
            assert!(
                text.contains("region:   us-east-1"),
                "facts missing in\n{text}"
            );
        }
        let mut t = failure("AssumeRoleWithWebIdentity", "", "", 0);
        t.kind = FailureKind::Connect("connection refused".into());
        assert!(explain_one(&t).contains("HTTPS_PROXY"));
    }
}
