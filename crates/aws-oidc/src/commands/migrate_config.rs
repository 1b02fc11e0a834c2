//! `migrate-config`: a CircleCI config moved from the circleci/aws-cli orb to aws-oidc's, in place.

use std::fmt;
use std::path::PathBuf;

use super::one_or;
use crate::files::FileError;
use crate::migrate::{migrate, read_config, write_config, MigrateError, Migration, ORB};

/// This release, which the rewritten config's orb names.
const VERSION: &str = env!("CARGO_PKG_VERSION");

crate::error_debug::debug_by_display!(MigrateConfigError);
/// Why the config was left as it is.
#[derive(thiserror::Error)]
pub enum MigrateConfigError {
    /// It could not be read.
    #[error("cannot read {shown}")]
    Read {
        /// The file, as given.
        shown: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not text.
    #[error("{0} is not UTF-8 text, so not a CircleCI config")]
    NotUtf8(String),
    /// It is not YAML this reads.
    #[error(
        "{shown}:{line}: {reason}; it was left as it is (`circleci config validate` says more)"
    )]
    Syntax {
        /// The file, as given.
        shown: String,
        /// The line.
        line: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// It uses what neither orb has, or what this cannot rewrite safely.
    #[error(
        "{shown} has what this cannot migrate ({} line{} above); it was left as it is",
        lines.len(),
        one_or(lines.len(), "", "s")
    )]
    Unsupported {
        /// The file, as given.
        shown: String,
        /// One message line for each (`FILE:LINE: why`), to show first.
        lines: Vec<String>,
    },
    /// `--check`, and it would change.
    #[error(
        "{count} {} of {shown} would change: run without --check to write them",
        one_or(*count, "line", "lines")
    )]
    WouldChange {
        /// The file, as given.
        shown: String,
        /// How many lines.
        count: usize,
    },
    /// It could not be written.
    #[error("{0}")]
    Write(#[from] FileError),
}

impl MigrateConfigError {
    /// The message lines that say what could not be migrated, for before the error.
    pub fn unsupported_lines(&self) -> &[String] {
        match self {
            MigrateConfigError::Unsupported { lines, .. } => lines,
            _ => &[],
        }
    }
}

/// A config read and migrated in memory: what would change, not yet written.
#[derive(Debug)]
pub struct MigrationPlan {
    file: PathBuf,
    shown: String,
    migration: Migration,
}

/// Reads the config at `file` and migrates it in memory.
pub fn plan_migration(file: PathBuf) -> Result<MigrationPlan, MigrateConfigError> {
    let shown = file.display().to_string();
    let bytes = match read_config(&file) {
        Ok(bytes) => bytes,
        Err(source) => return Err(MigrateConfigError::Read { shown, source }),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(MigrateConfigError::NotUtf8(shown));
    };
    let migration = match migrate(&text, VERSION) {
        Ok(m) => m,
        Err(MigrateError::Syntax(e)) => {
            return Err(MigrateConfigError::Syntax {
                shown,
                line: e.line,
                reason: e.reason,
            })
        }
        Err(MigrateError::Unsupported(notes)) => {
            let lines = notes
                .iter()
                .map(|n| format!("{shown}:{}: {}", n.line, n.message))
                .collect();
            return Err(MigrateConfigError::Unsupported { shown, lines });
        }
    };
    Ok(MigrationPlan {
        file,
        shown,
        migration,
    })
}

/// What `migrate-config` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The file, as given.
    pub shown: String,
    /// How many lines were rewritten (0: it needed no change).
    pub count: usize,
}

impl fmt::Display for Migrated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            0 => write!(f, "{} needs no change for {ORB}@{VERSION}", self.shown),
            n => write!(
                f,
                "rewrote {n} {} of {} for {ORB}@{VERSION}; `circleci config validate` checks the \
                 result",
                one_or(n, "line", "lines"),
                self.shown
            ),
        }
    }
}

impl MigrationPlan {
    /// Each changed line (`FILE:LINE: before -> after`), for stdout.
    pub fn changes(&self) -> Vec<String> {
        let shown = &self.shown;
        (self.migration.changes.iter())
            .map(|c| format!("{shown}:{}: {} -> {}", c.line, c.before, c.after))
            .collect()
    }

    /// What to know about lines left as they were (`FILE:LINE: note: ...`).
    pub fn notes(&self) -> Vec<String> {
        let shown = &self.shown;
        (self.migration.notes.iter())
            .map(|n| format!("{shown}:{}: note: {}", n.line, n.message))
            .collect()
    }

    /// Writes the new text, if anything changed; with `check`, refuses to.
    pub fn apply(self, check: bool) -> Result<Migrated, MigrateConfigError> {
        let count = self.migration.changes.len();
        let shown = self.shown;
        if count > 0 && check {
            return Err(MigrateConfigError::WouldChange { shown, count });
        }
        if count > 0 {
            write_config(&self.file, &self.migration.text)?;
        }
        Ok(Migrated { shown, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_done_or_refused_is_counted_in_lines() {
        let none = Migrated {
            shown: "c.yml".into(),
            count: 0,
        };
        assert_eq!(
            none.to_string(),
            format!("c.yml needs no change for {ORB}@{VERSION}")
        );
        let one = Migrated { count: 1, ..none };
        assert_eq!(
            one.to_string(),
            format!(
                "rewrote 1 line of c.yml for {ORB}@{VERSION}; `circleci config validate` checks \
                 the result"
            )
        );
        let refused = MigrateConfigError::WouldChange {
            shown: "c.yml".into(),
            count: 2,
        };
        assert_eq!(
            refused.to_string(),
            "2 lines of c.yml would change: run without --check to write them"
        );
        let unsupported = MigrateConfigError::Unsupported {
            shown: "c.yml".into(),
            lines: vec!["c.yml:3: no such command".into()],
        };
        assert_eq!(
            unsupported.to_string(),
            "c.yml has what this cannot migrate (1 line above); it was left as it is"
        );
        assert_eq!(unsupported.unsupported_lines().len(), 1);
    }
}
