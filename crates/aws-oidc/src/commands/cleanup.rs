//! `cleanup`: take back what aws-oidc wrote in this job.

use super::{open_cache, CommandError, Report};
use crate::cleanup::Cleaned;
use crate::env::Env;

/// What `cleanup` did.
#[derive(Debug, PartialEq, Eq)]
pub enum CleanupReport {
    /// No cache directory, so nothing was recorded.
    NoCache,
    /// Nothing was recorded in this job.
    NothingRecorded,
    /// What was taken back, and what was not.
    Cleaned(Cleaned),
}

impl CleanupReport {
    /// The message lines, each for `aws-oidc: `.
    pub fn lines(&self) -> Vec<String> {
        let cleaned = match self {
            CleanupReport::NoCache => {
                return vec![
                    "cleanup: no cache directory, so nothing was recorded: nothing to do".into(),
                ]
            }
            CleanupReport::NothingRecorded => {
                return vec!["cleanup: nothing recorded in this job: nothing to do".into()]
            }
            CleanupReport::Cleaned(cleaned) => cleaned,
        };
        let did = cleaned.done();
        let mut lines = Vec::new();
        if !did.is_empty() {
            lines.push(format!("cleanup: {}", did.join("; ")));
        }
        for what in &cleaned.left {
            lines.push(format!("cleanup: could not take back {what}"));
        }
        lines
    }

    /// Whether something could not be taken back (it stays recorded, so
    /// that running cleanup again, once the file is fixed, finishes).
    pub fn incomplete(&self) -> bool {
        matches!(self, CleanupReport::Cleaned(c) if !c.left.is_empty())
    }
}

/// Takes back everything the job's ledger recorded.
pub fn cleanup(env: Env, report: &mut dyn Report) -> Result<CleanupReport, CommandError> {
    let Some(cache) = open_cache(env, report) else {
        return Ok(CleanupReport::NoCache);
    };
    let cleaned = cache.ledger(env).cleanup()?;
    if cleaned.is_empty() {
        return Ok(CleanupReport::NothingRecorded);
    }
    Ok(CleanupReport::Cleaned(cleaned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_says_what_it_took_back_and_what_it_could_not() {
        assert_eq!(
            CleanupReport::NothingRecorded.lines(),
            ["cleanup: nothing recorded in this job: nothing to do"]
        );
        assert!(!CleanupReport::NoCache.incomplete());
        let report = CleanupReport::Cleaned(Cleaned {
            profiles: vec!["ci".into()],
            left: vec!["the profile \"x\" in /f: not an INI file".into()],
            ..Cleaned::default()
        });
        let lines = report.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("cleanup: "), "{lines:?}");
        assert_eq!(
            lines[1],
            "cleanup: could not take back the profile \"x\" in /f: not an INI file"
        );
        assert!(report.incomplete());
    }
}
