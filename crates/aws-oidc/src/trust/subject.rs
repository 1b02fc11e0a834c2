//! CircleCI's `sub` claim: its parts, and the patterns trust policies match it with.
//!
//! v1: `org/<org>/project/<project>/user/<user>`; v2 (`$CIRCLE_OIDC_TOKEN_V2`)
//! adds `/vcs-origin/<origin>/vcs-ref/<ref>`, e.g.
//! `.../vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main`.  The ref is
//! the only part a committer chooses, which is why [`REF_INJECTION`] exists.

/// The parts of a CircleCI subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject<'a> {
    /// Organization id.
    pub org: &'a str,
    /// Project id.
    pub project: &'a str,
    /// The user whose action started the job.
    pub user: &'a str,
    /// v2 only: where the code came from, e.g. `github.com/acme/app`.
    pub vcs_origin: Option<&'a str>,
    /// v2 only: the git ref, e.g. `refs/heads/main`.
    pub vcs_ref: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// Splits a CircleCI `sub`; `None` if it does not have CircleCI's shape.
    pub(crate) fn parse(sub: &'a str) -> Option<Self> {
        let rest = sub.strip_prefix("org/")?;
        let (org, rest) = rest.split_once("/project/")?;
        let (project, rest) = rest.split_once("/user/")?;
        let (user, vcs_origin, vcs_ref) = match rest.split_once("/vcs-origin/") {
            None => (rest, None, None),
            Some((user, vcs)) => {
                let (origin, r) = vcs.split_once("/vcs-ref/")?;
                (user, Some(origin), Some(r))
            }
        };
        if [org, project, user]
            .iter()
            .any(|s| s.is_empty() || s.contains('/'))
        {
            return None;
        }
        Some(Subject {
            org,
            project,
            user,
            vcs_origin,
            vcs_ref,
        })
    }
}

/// Matches a `sub` whose ref itself contains `/vcs-ref/`.  A committer who
/// names a branch `x/vcs-ref/refs/heads/main` would otherwise satisfy a
/// pattern like `.../vcs-origin/*/vcs-ref/refs/heads/main`, because IAM's `*`
/// also matches `/`.  Generated policies deny it when they restrict refs.
pub(crate) const REF_INJECTION: &str = "*/vcs-ref/*/vcs-ref/*";

/// `org/<org>/project/<project>/user/*`: any job of the project (v1 or v2 token).
pub(crate) fn project_pattern(org: &str, project: &str) -> String {
    format!("org/{org}/project/{project}/user/*")
}

/// Any job of the project on `git_ref` (a v2 token; `*` in the ref is a wildcard).
pub(crate) fn ref_pattern(org: &str, project: &str, git_ref: &str) -> String {
    format!("org/{org}/project/{project}/user/*/vcs-origin/*/vcs-ref/{git_ref}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v1_and_v2() {
        let v1 = Subject::parse("org/o/project/p/user/u").unwrap();
        assert_eq!(
            (v1.org, v1.project, v1.user, v1.vcs_ref),
            ("o", "p", "u", None)
        );
        let v2 = Subject::parse(
            "org/o/project/p/user/u/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/feat/x",
        )
        .unwrap();
        assert_eq!(v2.vcs_origin, Some("github.com/acme/app"));
        assert_eq!(v2.vcs_ref, Some("refs/heads/feat/x"));
        for bad in [
            "",
            "org/o",
            "org//project/p/user/u",
            "repo:acme/app:ref:main",
        ] {
            assert_eq!(Subject::parse(bad), None, "{bad}");
        }
    }
}
