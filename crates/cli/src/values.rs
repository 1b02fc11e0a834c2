//! Raw flags turned once into the values the library takes.
//!
//! With `--expand-env`, `$VAR` and `${VAR}` in an option's value are
//! expanded from the environment (like `circleci env subst`; the orb passes
//! its parameters unexpanded), here and only here; blank, before or after,
//! is not given.  The region chain is read here too, once per command.

use anyhow::{Context as _, Result};
use aws_oidc::expand;
use aws_oidc::process_env;

/// How a command reads its option values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values {
    expand: bool,
}

impl Values {
    /// Values expanded from the environment when `expand` (`--expand-env`).
    pub(crate) fn new(expand: bool) -> Self {
        Values { expand }
    }

    /// One option's value (`option` names it in an error).
    pub(crate) fn opt(self, value: Option<String>, option: &'static str) -> Result<Option<String>> {
        let value = match value {
            Some(v) if self.expand => {
                Some(expand(&v, &process_env).with_context(|| format!("cannot expand {option}"))?)
            }
            other => other,
        };
        Ok(value.filter(|v| !v.trim().is_empty()))
    }

    /// Each value of a repeatable option, blank ones left out.
    pub(crate) fn each(self, values: &[String], option: &'static str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for v in values {
            out.extend(self.opt(Some(v.clone()), option)?);
        }
        Ok(out)
    }

    /// The region: `--region`, then `$AWS_REGION`, `$AWS_DEFAULT_REGION`
    /// and the profile's; `None` when none is set anywhere.
    pub(crate) fn region(self, flag: Option<String>) -> Result<Option<String>> {
        let flag = self.opt(flag, "--region")?;
        Ok(aws_oidc::region(flag.as_deref(), &process_env)?)
    }

    /// The region of a regional service: none is an error saying that
    /// `what` (`"EKS clusters are"`) needs one.
    #[cfg(any(feature = "eks", feature = "secrets"))]
    pub(crate) fn required_region(
        self,
        flag: Option<String>,
        what: &'static str,
    ) -> Result<String> {
        let flag = self.opt(flag, "--region")?;
        Ok(aws_oidc::required_region(
            flag.as_deref(),
            &process_env,
            what,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_expanded_only_when_asked_and_blank_is_not_given() {
        // PATH is set wherever the tests run.
        let on = Values::new(true);
        let off = Values::new(false);
        assert_eq!(
            off.opt(Some("$PATH".into()), "--x").unwrap().as_deref(),
            Some("$PATH")
        );
        assert_eq!(
            on.opt(Some("$PATH".into()), "--x").unwrap(),
            process_env("PATH")
        );
        assert_eq!(
            on.opt(Some("$$x".into()), "--x").unwrap().as_deref(),
            Some("$x")
        );
        assert_eq!(
            on.opt(Some("${AWS_OIDC_SURELY_UNSET}".into()), "--x")
                .unwrap(),
            None
        );
        assert_eq!(off.opt(Some("  ".into()), "--x").unwrap(), None);
        assert_eq!(
            on.each(&["a".into(), " ".into(), "b".into()], "--x")
                .unwrap(),
            ["a", "b"]
        );
        let err = on.opt(Some("${unclosed".into()), "--role-arn").unwrap_err();
        assert!(
            format!("{err:#}").starts_with("cannot expand --role-arn: unclosed ${"),
            "{err:#}"
        );
    }
}
