//! The job's OIDC token: where it comes from and what it claims.
//!
//! Discovery order: `--token-file`, `$CIRCLE_OIDC_TOKEN_V2`,
//! `$CIRCLE_OIDC_TOKEN`, then a fresh one from `circleci run oidc get` (always
//! when a custom audience is asked for).  Claims are decoded without checking
//! the signature (STS does that); decoding is for early, clear errors and for
//! explaining failures.  The raw token is a [`Secret`] and never printed.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::credentials::{humanize_from_now, rfc3339_from_unix, Secret};
use crate::names::{Input, Names};

/// A token must stay valid at least this long for the STS call to be worth making.
pub(crate) const MIN_VALIDITY: Duration = Duration::from_secs(60);

/// The longest token STS accepts (`WebIdentityToken`: 4-20,000 characters).
pub(crate) const MAX_TOKEN_LEN: usize = 20_000;

/// What is read of a token file or of `circleci run oidc get`'s output at
/// most: a token and some blank space around it.
const MAX_TOKEN_READ: u64 = MAX_TOKEN_LEN as u64 + 4096;

/// How long minting may take when no deadline is given.
pub(crate) const MINT_TIMEOUT: Duration = Duration::from_secs(60);

/// Claims prefix CircleCI uses for its own claims.
pub(crate) const CIRCLECI_CLAIM_PREFIX: &str = "oidc.circleci.com/";

/// The decoded claims of a token (not verified: STS verifies the signature).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// All claims as sent.
    pub raw: Map<String, Value>,
}

impl Claims {
    fn str_claim(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    fn int_claim(&self, name: &str) -> Option<i64> {
        self.raw
            .get(name)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }

    /// `iss`: `https://oidc.circleci.com/org/<org-id>` for CircleCI.
    pub fn issuer(&self) -> Option<&str> {
        self.str_claim("iss")
    }

    /// `aud` as a list (a single string becomes one element).
    pub fn audiences(&self) -> Vec<&str> {
        match self.raw.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `sub`: `org/<org>/project/<project>/user/<user>[/vcs-origin/<o>/vcs-ref/<r>]`.
    pub fn subject(&self) -> Option<&str> {
        self.str_claim("sub")
    }

    /// `exp` in seconds since the epoch.
    pub fn expires_at(&self) -> Option<i64> {
        self.int_claim("exp")
    }

    /// `iat` in seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.int_claim("iat")
    }

    /// The org id, from `iss` (CircleCI issuers end in `/org/<org-id>`).
    pub fn org_id(&self) -> Option<&str> {
        self.issuer()
            .and_then(|iss| iss.rsplit_once("/org/"))
            .map(|(_, id)| id.trim_end_matches('/'))
            .filter(|id| !id.is_empty())
    }

    /// The issuer without its scheme, as IAM names the provider and its condition keys.
    pub fn provider_host_path(&self) -> Option<&str> {
        self.issuer().map(|iss| {
            iss.strip_prefix("https://")
                .unwrap_or(iss)
                .trim_end_matches('/')
        })
    }

    /// A CircleCI claim such as `project-id` (without the `oidc.circleci.com/` prefix).
    pub fn circleci(&self, name: &str) -> Option<&Value> {
        self.raw.get(&format!("{CIRCLECI_CLAIM_PREFIX}{name}"))
    }

    /// Seconds of validity left (negative once expired), or `None` without
    /// `exp`.  An `exp` at the ends of the clock (-1e300, say) saturates: it
    /// is long expired, never wrapped round into the future.
    pub fn seconds_left(&self, now: SystemTime) -> Option<i64> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.expires_at().map(|exp| exp.saturating_sub(now))
    }

    /// A one-line summary for messages: issuer, audience, subject (none of
    /// them secret), with control characters escaped so a claim cannot
    /// forge a line or drive the terminal.
    pub fn summary(&self) -> String {
        let text = format!(
            "iss={} aud={} sub={}",
            self.issuer().unwrap_or("(none)"),
            match self.audiences().as_slice() {
                [] => "(none)".to_string(),
                auds => auds.join(","),
            },
            self.subject().unwrap_or("(none)")
        );
        crate::redact::printable(&text)
    }
}

/// The two parts of a JWT that are decoded (the signature is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtPart {
    /// The first part: algorithm and type.
    Header,
    /// The second part: the claims.
    Payload,
}

impl fmt::Display for JwtPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwtPart::Header => "header",
            JwtPart::Payload => "payload",
        })
    }
}

crate::error_debug::debug_by_display!(DecodeError);
/// Why a token could not be decoded.  No variant holds any of the token:
/// not its text, and not the base64 decoder's error, which quotes a byte
/// of it (what was passed may be some other secret by mistake).
#[derive(thiserror::Error)]
pub enum DecodeError {
    /// Not three dot-separated parts.
    #[error("it is not a JWT: a JWT has 3 dot-separated parts, this has {parts}")]
    PartCount {
        /// How many parts there are.
        parts: usize,
    },
    /// A part is not base64url.
    #[error("it is not a JWT: its {part} is not base64url")]
    NotBase64 {
        /// Which part.
        part: JwtPart,
    },
    /// A part is not JSON.
    #[error("it is not a JWT: its {part} is not JSON")]
    NotJson {
        /// Which part.
        part: JwtPart,
        /// The parser's error: where and what kind, never the text.
        #[source]
        source: serde_json::Error,
    },
    /// A part is JSON, but not an object.
    #[error("it is not a JWT: its {part} is not a JSON object")]
    NotObject {
        /// Which part.
        part: JwtPart,
    },
}

/// Decodes a JWT's claims.  Never includes the token in its error.
pub fn decode_claims(token: &str) -> Result<Claims, DecodeError> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(DecodeError::PartCount { parts: parts.len() });
    }
    let json = |text: &str, part: JwtPart| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| DecodeError::NotBase64 { part })?;
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|source| DecodeError::NotJson { part, source })
    };
    if !json(parts[0], JwtPart::Header)?.is_object() {
        return Err(DecodeError::NotObject {
            part: JwtPart::Header,
        });
    }
    let Value::Object(raw) = json(parts[1], JwtPart::Payload)? else {
        return Err(DecodeError::NotObject {
            part: JwtPart::Payload,
        });
    };
    Ok(Claims { raw })
}

/// Where a token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// Read from a file (`--token-file`).
    File(PathBuf),
    /// Read from an environment variable.
    Env(&'static str),
    /// Minted with `circleci run oidc get`.
    Minted {
        /// The audience asked for, if any.
        audience: Option<String>,
    },
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::File(p) => write!(f, "the token file {}", p.display()),
            TokenSource::Env(var) => write!(f, "${var}"),
            TokenSource::Minted { audience: Some(a) } => {
                write!(f, "`circleci run oidc get` (audience {a})")
            }
            TokenSource::Minted { audience: None } => f.write_str("`circleci run oidc get`"),
        }
    }
}

/// A token and what it claims.
#[derive(Debug, Clone)]
pub struct OidcToken {
    raw: Secret,
    /// Its decoded claims.
    pub claims: Claims,
    /// Where it came from.
    pub source: TokenSource,
}

impl OidcToken {
    /// Decodes `raw` and remembers where it came from.  A token longer
    /// than STS accepts (20,000 characters) is refused here.
    pub fn new(raw: &str, source: TokenSource) -> Result<Self, TokenError> {
        let len = raw.trim().chars().count();
        if len > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed {
                origin: source,
                why: format!(
                    "it is {len} characters long, and STS accepts at most {MAX_TOKEN_LEN}"
                ),
            });
        }
        let claims = decode_claims(raw).map_err(|e| TokenError::Malformed {
            origin: source.clone(),
            why: e.to_string(),
        })?;
        Ok(OidcToken {
            raw: Secret::new(raw.trim()),
            claims,
            source,
        })
    }

    /// The token itself, for the STS call only.
    pub fn expose(&self) -> &str {
        self.raw.expose()
    }

    /// Checks the token is valid long enough to be worth sending.
    pub fn check_fresh(&self, now: SystemTime) -> Result<(), TokenError> {
        let Some(left) = self.claims.seconds_left(now) else {
            return Err(TokenError::Malformed {
                origin: self.source.clone(),
                why: "it has no exp (expiry) claim".into(),
            });
        };
        if left < MIN_VALIDITY.as_secs() as i64 {
            return Err(TokenError::Expired {
                origin: self.source.clone(),
                expired_at: self.claims.expires_at().unwrap_or_default(),
                seconds_left: left,
            });
        }
        Ok(())
    }
}

crate::error_debug::debug_by_display!(TokenError);
/// Why no usable token could be had.  The messages say what to do in
/// CircleCI's and the job's terms; [`TokenError::describe`] adds which
/// flag gives a token file, an audience or a time limit.
#[derive(Clone, thiserror::Error)]
pub enum TokenError {
    /// No token anywhere and none could be minted.
    Missing {
        /// What happened when minting was tried: how many attempts and the
        /// last failure, or `None` when the `circleci` CLI is not on PATH.
        minted: Option<(u32, MintError)>,
    },
    /// The token could not be decoded.
    Malformed {
        /// Where it came from.
        origin: TokenSource,
        /// Why (never the token itself).
        why: String,
    },
    /// The token has expired or will in less than `MIN_VALIDITY`.
    Expired {
        /// Where it came from.
        origin: TokenSource,
        /// Its `exp`.
        expired_at: i64,
        /// Seconds left (negative once expired).
        seconds_left: i64,
    },
    /// The token file could not be read.
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// An expired token, to be shown anyway, could not be read a second time.
    Vanished {
        /// Where it came from.
        origin: TokenSource,
    },
    /// `circleci run oidc get` failed, or could not be run.
    Mint {
        /// How many times it was tried (0: the CLI is not on PATH).
        attempts: u32,
        /// The last failure.
        error: MintError,
    },
}

crate::error_debug::debug_by_display!(MintError);
/// Why minting a token failed.  Never holds the CLI's stdout (a token).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    /// The `circleci` CLI is not on PATH.
    NotOnPath {
        /// The audience that was to be minted.
        audience: Option<String>,
    },
    /// The CLI could not be started.
    Spawn {
        /// The executable.
        program: PathBuf,
        /// The OS error, as text.
        error: String,
    },
    /// The CLI exited with a failure.
    Failed {
        /// Its stderr, trimmed, with control characters escaped, anything
        /// token-shaped redacted, and cut to a bound (its error message).
        stderr: String,
        /// How it exited, e.g. `exit status: 1`.
        status: String,
    },
    /// Its output is not UTF-8.
    NotText,
    /// It printed nothing.
    Empty,
    /// It printed more than any token.
    TooLong,
    /// It did not finish in time, and was stopped.
    TimedOut,
}

impl TokenError {
    /// The message, naming each input the way `names` calls it (or in
    /// CircleCI's terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            TokenError::Missing { minted } => format!(
                "no CircleCI OIDC token: $CIRCLE_OIDC_TOKEN_V2 and $CIRCLE_OIDC_TOKEN are \
                 empty, and {}.\n\
                 Usual causes:\n\
                 - a build of a pull request from a fork: CircleCI withholds tokens unless \
                   \"Pass secrets to builds from forked pull requests\" is on in Project \
                   Settings > Advanced;\n\
                 - CircleCI server older than 4.4, or an air-gapped install, has no OIDC tokens;\n\
                 - on older set-ups, the job must use a context (add `context: <any context>` \
                   to the job in the workflow);\n\
                 - outside CircleCI: {}, or set CIRCLE_OIDC_TOKEN_V2.",
                match minted {
                    None => "the `circleci` CLI is not on PATH to mint one".into(),
                    Some((attempts, error)) => mint_failed(*attempts, error, names),
                },
                names.with_or(
                    Input::TokenFile,
                    |n| format!("pass {n} with a token"),
                    "give a file holding a token"
                )
            ),
            TokenError::Malformed { origin, why } => format!(
                "the OIDC token from {origin} is unusable: {why}. Check that it holds a CircleCI \
                 OIDC token (a JWT of three base64url parts), not a file path or an empty value"
            ),
            // Asking for an audience mints a fresh token.
            TokenError::Expired {
                origin,
                expired_at,
                seconds_left,
            } => format!(
                "{}{}",
                expired_message(origin, *expired_at, *seconds_left),
                names.around(Input::Audience, ", or pass ", "")
            ),
            TokenError::File { path, why } => format!(
                "cannot read the token file {}: {why}{}",
                path.display(),
                names.around(
                    Input::TokenFile,
                    ". Pass ",
                    " with a readable file holding the token"
                )
            ),
            TokenError::Vanished { origin } => {
                format!("the token from {origin} could not be read again")
            }
            TokenError::Mint { attempts, error } => mint_failed(*attempts, error, names),
        }
    }
}

crate::names::display_by_describe!(TokenError);

fn mint_failed(attempts: u32, error: &MintError, names: &dyn Names) -> String {
    format!(
        "`circleci run oidc get` failed after {attempts} attempts: {}",
        error.describe(names)
    )
}

impl MintError {
    /// The message, naming the time limit the way `names` calls it.
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            MintError::NotOnPath { audience: Some(a) } => format!(
                "a token for audience {a:?} must be minted, and the `circleci` CLI is not on \
                 PATH; run this inside a CircleCI job (the CLI is on CircleCI images and machine \
                 executors)"
            ),
            MintError::NotOnPath { audience: None } => "the `circleci` CLI is not on PATH".into(),
            MintError::Spawn { program, error } => {
                format!("cannot run {}: {error}", program.display())
            }
            MintError::Failed { stderr, status } => format!(
                "{} ({status})",
                if stderr.is_empty() {
                    "no error message"
                } else {
                    stderr.as_str()
                }
            ),
            MintError::NotText => "its output is not text".into(),
            MintError::Empty => "it printed no token".into(),
            MintError::TooLong => {
                format!("it printed more than {MAX_TOKEN_READ} bytes, more than any token")
            }
            MintError::TimedOut => format!(
                "it did not finish within the time limit{} and was stopped",
                names.around(Input::Timeout, " (", ")")
            ),
        }
    }
}

crate::names::display_by_describe!(MintError);

fn expired_message(source: &TokenSource, expired_at: i64, left: i64) -> String {
    let when = rfc3339_from_unix(expired_at);
    let rel = humanize_from_now(UNIX_EPOCH + Duration::from_secs(expired_at.max(0) as u64));
    let what = if left <= 0 { "expired" } else { "expires" };
    format!(
        "the OIDC token from {source} {what} at {when} ({rel}). CircleCI tokens live one hour \
         from the start of the job; in a long job, mint a fresh one: run this step with the \
         `circleci` CLI on PATH (aws-oidc then calls `circleci run oidc get`)"
    )
}

/// Mints fresh tokens.  The real one runs the `circleci` CLI; tests may substitute.
pub(crate) trait Minter {
    /// Returns a fresh token for `audience` (`None`: CircleCI's default, the
    /// org id), giving up at `deadline`.
    fn mint(&self, audience: Option<&str>, deadline: Instant) -> Result<String, MintError>;
    /// Whether minting is possible at all here (the CLI exists).
    fn available(&self) -> bool;
}

/// Mints with `circleci run oidc get --claims '{"aud":"..."}'`.
#[derive(Debug, Clone)]
pub(crate) struct CircleCiCli {
    /// The `circleci` executable, if found on `PATH`.
    pub program: Option<PathBuf>,
}

impl CircleCiCli {
    /// Finds `circleci` on `PATH` (`circleci.exe` on Windows).
    pub(crate) fn from_path(path_var: Option<&str>) -> Self {
        let program = path_var
            .and_then(|p| crate::platform::find_program(p, "circleci", &crate::env::process_env));
        CircleCiCli { program }
    }
}

impl Minter for CircleCiCli {
    fn available(&self) -> bool {
        self.program.is_some()
    }

    fn mint(&self, audience: Option<&str>, deadline: Instant) -> Result<String, MintError> {
        let program = self.program.as_ref().ok_or(MintError::NotOnPath {
            audience: audience.map(String::from),
        })?;
        let mut cmd = Command::new(program);
        cmd.args(["run", "oidc", "get"]);
        if let Some(aud) = audience {
            cmd.arg("--claims")
                .arg(serde_json::json!({ "aud": aud }).to_string());
        }
        // Its own process group, so that a hung CLI is stopped with
        // everything it started (which could otherwise hold its output open).
        crate::platform::own_process_group(
            cmd.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let mut child = cmd.spawn().map_err(|e| MintError::Spawn {
            program: program.clone(),
            error: e.to_string(),
        })?;
        let (tx, rx) = std::sync::mpsc::channel();
        for (is_stdout, pipe) in [
            (
                true,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            ),
            (
                false,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            ),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                // Bounded: past the limit the pipe is closed and the CLI stops on its next write.
                let mut bytes = Vec::new();
                if let Some(pipe) = pipe {
                    let _ = pipe.take(MAX_TOKEN_READ + 1).read_to_end(&mut bytes);
                }
                let _ = tx.send((is_stdout, bytes));
            });
        }
        drop(tx);
        let stop = |child: &mut std::process::Child| {
            crate::platform::stop_group(child);
            let _ = child.wait();
            MintError::TimedOut
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match wait_timeout::ChildExt::wait_timeout(&mut child, left) {
            Ok(Some(status)) => status,
            Ok(None) => return Err(stop(&mut child)),
            Err(e) => {
                let _ = stop(&mut child);
                return Err(MintError::Spawn {
                    program: program.clone(),
                    error: e.to_string(),
                });
            }
        };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((true, bytes)) => stdout = bytes,
                Ok((false, bytes)) => stderr = bytes,
                // A process it left behind still holds the output open.
                Err(_) => return Err(stop(&mut child)),
            }
        }
        if !status.success() {
            // stderr is the CLI's error message; stdout might hold a token, so it is never shown.
            return Err(MintError::Failed {
                stderr: crate::redact::untrusted(String::from_utf8_lossy(&stderr).trim()),
                status: status.to_string(),
            });
        }
        if stdout.len() as u64 > MAX_TOKEN_READ {
            return Err(MintError::TooLong);
        }
        let token = String::from_utf8(stdout)
            .map_err(|_| MintError::NotText)?
            .trim()
            .to_string();
        if token.is_empty() {
            return Err(MintError::Empty);
        }
        Ok(token)
    }
}

/// How many times `circleci run oidc get` is tried, as aws-cli/setup does.
pub(crate) const MINT_ATTEMPTS: u32 = 3;

/// The pause between mint attempts.
pub(crate) const MINT_PAUSE: Duration = Duration::from_secs(1);

/// How to find the token.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenOptions {
    /// `--token-file`.
    pub(crate) token_file: Option<PathBuf>,
    /// `--audience`: forces a freshly minted token with this `aud`.
    pub(crate) audience: Option<String>,
    /// How many times to try minting.
    pub(crate) mint_attempts: u32,
    /// Pause between mint attempts.
    pub(crate) mint_pause: Duration,
    /// When minting gives up, retries included (`None`: [`MINT_TIMEOUT`] from the start).
    pub(crate) deadline: Option<Instant>,
}

impl TokenOptions {
    /// A token from `token_file`, or minted for `audience`, else the job's;
    /// minting with the defaults ([`MINT_ATTEMPTS`], [`MINT_PAUSE`]).
    pub(crate) fn new(token_file: Option<PathBuf>, audience: Option<String>) -> Self {
        TokenOptions {
            token_file,
            audience,
            mint_attempts: MINT_ATTEMPTS,
            mint_pause: MINT_PAUSE,
            deadline: None,
        }
    }
}

/// `discover` as a job's step does it now: `--token-file`, the job's
/// token, or the `circleci` CLI found on `PATH` in `env`.
pub fn discover_in_job(
    token_file: Option<PathBuf>,
    audience: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<OidcToken, TokenError> {
    discover(
        &TokenOptions::new(token_file, audience),
        env,
        &CircleCiCli::from_path(env("PATH").as_deref()),
        SystemTime::now(),
    )
}

/// Finds the token as [`obtain`] does, but also returns an expired one:
/// explaining a token (`claims`, `check`) is most useful when it is the problem.
pub(crate) fn discover(
    opts: &TokenOptions,
    env: &dyn Fn(&str) -> Option<String>,
    minter: &dyn Minter,
    now: SystemTime,
) -> Result<OidcToken, TokenError> {
    match obtain(opts, env, minter, now) {
        Err(TokenError::Expired { origin, .. }) => {
            let raw = match &origin {
                TokenSource::File(p) => read_token_file(p).ok(),
                TokenSource::Env(var) => env(var),
                TokenSource::Minted { .. } => None,
            };
            match raw {
                Some(raw) => OidcToken::new(&raw, origin),
                None => Err(TokenError::Vanished { origin }),
            }
        }
        other => other,
    }
}

/// Finds a usable token: the discovery order described in the module docs.
/// A token from the environment that has expired (or nearly) is replaced by
/// a minted one when the `circleci` CLI is available.
pub(crate) fn obtain(
    opts: &TokenOptions,
    env: &dyn Fn(&str) -> Option<String>,
    minter: &dyn Minter,
    now: SystemTime,
) -> Result<OidcToken, TokenError> {
    if let Some(path) = &opts.token_file {
        let raw = read_token_file(path)?;
        if raw.trim().is_empty() {
            return Err(TokenError::File {
                path: path.clone(),
                why: "it is empty".into(),
            });
        }
        let token = OidcToken::new(&raw, TokenSource::File(path.clone()))?;
        token.check_fresh(now)?;
        return Ok(token);
    }
    if let Some(aud) = &opts.audience {
        return mint(opts, minter, Some(aud.clone()), now);
    }
    let from_env = ["CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN"]
        .into_iter()
        .find_map(|var| env(var).filter(|v| !v.trim().is_empty()).map(|v| (var, v)));
    match from_env {
        Some((var, raw)) => {
            let token = OidcToken::new(&raw, TokenSource::Env(var))?;
            match token.check_fresh(now) {
                Ok(()) => Ok(token),
                Err(stale) if minter.available() => {
                    // Same audience as the job's token, so the trust policy still matches.
                    let aud = token.claims.audiences().first().map(|a| a.to_string());
                    mint(opts, minter, aud, now).map_err(|e| match e {
                        TokenError::Mint { .. } => stale,
                        other => other,
                    })
                }
                Err(stale) => Err(stale),
            }
        }
        None if minter.available() => mint(opts, minter, None, now).map_err(|e| match e {
            TokenError::Mint { attempts, error } => TokenError::Missing {
                minted: Some((attempts, error)),
            },
            other => other,
        }),
        None => Err(TokenError::Missing { minted: None }),
    }
}

/// Reads a token file, at most a token's length and some blank space: a
/// larger file (or `/dev/zero`) is refused, not read to the end.
fn read_token_file(path: &Path) -> Result<String, TokenError> {
    let file_error = |why: String| TokenError::File {
        path: path.to_path_buf(),
        why,
    };
    let bytes = crate::files::read_bounded(path, MAX_TOKEN_READ).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            file_error(format!(
                "it is larger than any token (STS accepts at most {MAX_TOKEN_LEN} characters)"
            ))
        } else {
            file_error(e.to_string())
        }
    })?;
    String::from_utf8(bytes).map_err(|_| file_error("it is not text".into()))
}

fn mint(
    opts: &TokenOptions,
    minter: &dyn Minter,
    audience: Option<String>,
    now: SystemTime,
) -> Result<OidcToken, TokenError> {
    if !minter.available() {
        return Err(TokenError::Mint {
            attempts: 0,
            error: MintError::NotOnPath { audience },
        });
    }
    let attempts = opts.mint_attempts.max(1);
    let deadline = opts
        .deadline
        .unwrap_or_else(|| Instant::now() + MINT_TIMEOUT);
    let mut last = MintError::Empty;
    for attempt in 1..=attempts {
        if attempt > 1 && Instant::now() >= deadline {
            return Err(TokenError::Mint {
                attempts: attempt - 1,
                error: MintError::TimedOut,
            });
        }
        match minter.mint(audience.as_deref(), deadline) {
            Ok(raw) => {
                let token = OidcToken::new(
                    &raw,
                    TokenSource::Minted {
                        audience: audience.clone(),
                    },
                )?;
                token.check_fresh(now)?;
                return Ok(token);
            }
            Err(MintError::TimedOut) => {
                return Err(TokenError::Mint {
                    attempts: attempt,
                    error: MintError::TimedOut,
                })
            }
            Err(error) => last = error,
        }
        if attempt < attempts {
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(opts.mint_pause.min(left));
        }
    }
    Err(TokenError::Mint {
        attempts,
        error: last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;
    use crate::names::Marked;
    use std::cell::Cell;

    #[test]
    fn token_errors_say_what_to_do_and_where_the_caller_names_it() {
        let missing = TokenError::Missing {
            minted: Some((2, MintError::TimedOut)),
        };
        assert!(missing.to_string().starts_with(
            "no CircleCI OIDC token: $CIRCLE_OIDC_TOKEN_V2 and $CIRCLE_OIDC_TOKEN are empty, and \
             `circleci run oidc get` failed after 2 attempts: it did not finish within the time \
             limit and was stopped.\n"
        ));
        assert!(missing.to_string().ends_with(
            "- outside CircleCI: give a file holding a token, or set CIRCLE_OIDC_TOKEN_V2."
        ));
        assert!(missing
            .describe(&Marked)
            .contains("the time limit (<Timeout>) and was stopped"));
        assert!(missing.describe(&Marked).ends_with(
            "- outside CircleCI: pass <TokenFile> with a token, or set CIRCLE_OIDC_TOKEN_V2."
        ));
        let file = TokenError::File {
            path: "/t".into(),
            why: "gone".into(),
        };
        assert_eq!(file.to_string(), "cannot read the token file /t: gone");
        assert_eq!(
            file.describe(&Marked),
            "cannot read the token file /t: gone. Pass <TokenFile> with a readable file holding \
             the token"
        );
    }

    fn jwt(claims: Value) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{}",
            e.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            e.encode(claims.to_string()),
            e.encode(b"signature")
        )
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn circleci_claims(exp: i64) -> Value {
        serde_json::json!({
            "iss": "https://oidc.circleci.com/org/org-1",
            "aud": "org-1",
            "sub": "org/org-1/project/p-1/user/u-1/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main",
            "exp": exp,
            "iat": exp - 3600,
            "oidc.circleci.com/project-id": "p-1",
        })
    }

    fn failed(stderr: &str) -> MintError {
        MintError::Failed {
            stderr: stderr.into(),
            status: "exit status: 1".into(),
        }
    }

    struct FakeMinter {
        results: std::cell::RefCell<Vec<Result<String, MintError>>>,
        calls: Cell<u32>,
        seen_aud: std::cell::RefCell<Vec<Option<String>>>,
    }

    impl FakeMinter {
        fn new(results: Vec<Result<String, MintError>>) -> Self {
            FakeMinter {
                results: results.into(),
                calls: Cell::new(0),
                seen_aud: Default::default(),
            }
        }
    }

    impl Minter for FakeMinter {
        fn available(&self) -> bool {
            true
        }
        fn mint(&self, aud: Option<&str>, _: Instant) -> Result<String, MintError> {
            self.calls.set(self.calls.get() + 1);
            self.seen_aud.borrow_mut().push(aud.map(String::from));
            self.results.borrow_mut().remove(0)
        }
    }

    struct NoCli;
    impl Minter for NoCli {
        fn available(&self) -> bool {
            false
        }
        fn mint(&self, _: Option<&str>, _: Instant) -> Result<String, MintError> {
            unreachable!()
        }
    }

    fn opts() -> TokenOptions {
        TokenOptions {
            mint_attempts: 3,
            mint_pause: Duration::ZERO,
            ..Default::default()
        }
    }

    #[test]
    fn decodes_circleci_claims() {
        let c = decode_claims(&jwt(circleci_claims(1_800_003_600))).unwrap();
        assert_eq!(c.issuer(), Some("https://oidc.circleci.com/org/org-1"));
        assert_eq!(c.org_id(), Some("org-1"));
        assert_eq!(c.provider_host_path(), Some("oidc.circleci.com/org/org-1"));
        assert_eq!(c.audiences(), vec!["org-1"]);
        assert_eq!(c.seconds_left(now()), Some(3600));
        assert_eq!(c.circleci("project-id"), Some(&Value::from("p-1")));
        assert!(c.summary().contains("sub=org/org-1/project/p-1"));
    }

    #[test]
    fn rejects_what_is_not_a_jwt_without_echoing_it() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!!.###.$$$",
            "e30.bm90IGpzb24.c2ln",
            "e30.WzFd.c2ln",
        ] {
            let err = decode_claims(bad).unwrap_err().to_string();
            assert!(err.contains("not a JWT"), "{bad:?}: {err}");
            if bad.len() > 3 {
                assert!(!err.contains(bad), "echoed the token: {err}");
            }
        }
    }

    #[test]
    fn each_way_a_token_is_not_a_jwt_is_its_own_kind() {
        use JwtPart::{Header, Payload};
        let e = |raw: &str| decode_claims(raw).unwrap_err();
        assert!(matches!(e("a.b"), DecodeError::PartCount { parts: 2 }));
        assert!(matches!(e(""), DecodeError::PartCount { parts: 1 }));
        assert!(matches!(
            e("!!!.e30.x"),
            DecodeError::NotBase64 { part: Header }
        ));
        assert!(matches!(
            e("e30.!!.x"),
            DecodeError::NotBase64 { part: Payload }
        ));
        assert!(matches!(
            e("bm90.e30.x"),
            DecodeError::NotJson { part: Header, .. }
        ));
        assert!(matches!(
            e("e30.bm90.x"),
            DecodeError::NotJson { part: Payload, .. }
        ));
        assert!(matches!(
            e("WzFd.e30.x"),
            DecodeError::NotObject { part: Header }
        ));
        assert!(matches!(
            e("e30.WzFd.x"),
            DecodeError::NotObject { part: Payload }
        ));
        let not_json = e("e30.bm90IGpzb24.c2ln");
        assert_eq!(
            not_json.to_string(),
            "it is not a JWT: its payload is not JSON"
        );
        assert!(std::error::Error::source(&not_json).is_some());
    }

    #[test]
    fn a_decode_error_holds_nothing_of_what_was_passed() {
        // A secret passed by mistake, in three parts; each part fails another way.
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for raw in [
            format!("{secret}.{secret}.{secret}"),
            format!("{}.e30.x", e.encode(secret)),
            format!("e30.{}.x", e.encode(secret)),
            format!("e30.{}.x", e.encode(format!("{{\"k\": \"{secret}"))),
            format!("{secret}.{secret}"),
        ] {
            let err = decode_claims(&raw).unwrap_err();
            let mut shown = format!("{err} {err:?}");
            let mut cause = std::error::Error::source(&err);
            while let Some(c) = cause {
                shown.push_str(&format!(" {c} {c:?}"));
                cause = c.source();
            }
            for piece in secret.as_bytes().chunks(4) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!shown.contains(piece), "{piece:?} in {shown}");
            }
        }
    }

    #[test]
    fn prefers_v2_then_v1() {
        let v2 = jwt(circleci_claims(1_800_003_600));
        let v1 = jwt(serde_json::json!({"iss": "x", "exp": 1_800_003_600}));
        let env = env_of(&[("CIRCLE_OIDC_TOKEN_V2", &v2), ("CIRCLE_OIDC_TOKEN", &v1)]);
        let t = obtain(&opts(), &env, &NoCli, now()).unwrap();
        assert_eq!(t.source, TokenSource::Env("CIRCLE_OIDC_TOKEN_V2"));
        assert_eq!(t.expose(), v2);
        let env = env_of(&[("CIRCLE_OIDC_TOKEN_V2", "  "), ("CIRCLE_OIDC_TOKEN", &v1)]);
        assert_eq!(
            obtain(&opts(), &env, &NoCli, now()).unwrap().source,
            TokenSource::Env("CIRCLE_OIDC_TOKEN")
        );
    }

    #[test]
    fn missing_token_explains_usual_causes() {
        let err = obtain(&opts(), &env_of(&[]), &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no CircleCI OIDC token"));
        assert!(err.contains("fork"));
        assert!(err.contains("4.4"));
        assert!(err.contains("context"));
        assert!(err.contains("not on PATH"));
    }

    #[test]
    fn expired_env_token_is_replaced_by_a_minted_one_with_the_same_audience() {
        let stale = jwt(circleci_claims(1_800_000_030));
        let fresh = jwt(circleci_claims(1_800_003_600));
        let minter = FakeMinter::new(vec![Err(failed("network")), Ok(fresh.clone())]);
        let env = env_of(&[("CIRCLE_OIDC_TOKEN_V2", &stale)]);
        let t = obtain(&opts(), &env, &minter, now()).unwrap();
        assert_eq!(t.expose(), fresh);
        assert_eq!(minter.calls.get(), 2);
        assert_eq!(minter.seen_aud.borrow()[0].as_deref(), Some("org-1"));

        let err = obtain(&opts(), &env, &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("expires at"), "{err}");
        assert!(!err.contains(&stale));
    }

    #[test]
    fn audience_forces_minting_and_retries_a_few_times() {
        let minter = FakeMinter::new(vec![
            Err(failed("e1")),
            Err(failed("e2")),
            Err(failed("e3")),
        ]);
        let o = TokenOptions {
            audience: Some("sts.amazonaws.com".into()),
            ..opts()
        };
        let env = env_of(&[("CIRCLE_OIDC_TOKEN_V2", &jwt(circleci_claims(1_800_003_600)))]);
        let err = obtain(&o, &env, &minter, now()).unwrap_err().to_string();
        assert_eq!(minter.calls.get(), 3);
        assert!(err.contains("after 3 attempts: e3"), "{err}");
        assert_eq!(
            minter.seen_aud.borrow()[0].as_deref(),
            Some("sts.amazonaws.com")
        );
    }

    #[test]
    fn token_file_wins_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, format!("{}\n", jwt(circleci_claims(1_800_003_600)))).unwrap();
        let o = TokenOptions {
            token_file: Some(path.clone()),
            ..opts()
        };
        let t = obtain(&o, &env_of(&[]), &NoCli, now()).unwrap();
        assert_eq!(t.source, TokenSource::File(path.clone()));
        std::fs::write(&path, "not a token").unwrap();
        let err = obtain(&o, &env_of(&[]), &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unusable") && err.contains("token file"),
            "{err}"
        );
        let o = TokenOptions {
            token_file: Some(dir.path().join("nope")),
            ..opts()
        };
        assert!(obtain(&o, &env_of(&[]), &NoCli, now())
            .unwrap_err()
            .to_string()
            .contains("cannot read"));
    }

    #[test]
    fn tokens_at_the_ends_of_the_clock_are_expired_or_refused_never_sent() {
        for exp in [
            serde_json::json!(-9.2e18),
            serde_json::json!(i64::MIN),
            serde_json::json!(-1e300),
            serde_json::json!(-1),
            serde_json::json!(0),
        ] {
            let env = env_of(&[(
                "CIRCLE_OIDC_TOKEN_V2",
                &jwt(serde_json::json!({"iss": "x", "exp": exp})),
            )]);
            let err = obtain(&opts(), &env, &NoCli, now()).unwrap_err();
            assert!(matches!(err, TokenError::Expired { .. }), "{exp}: {err}");
            assert!(err.to_string().contains("expired at"), "{err}");
        }
        for exp in [
            serde_json::json!(1e300),
            serde_json::json!(i64::MAX),
            serde_json::json!(u64::MAX),
        ] {
            let env = env_of(&[(
                "CIRCLE_OIDC_TOKEN_V2",
                &jwt(serde_json::json!({"iss": "x", "exp": exp})),
            )]);
            // Far in the future: sent, and STS judges it; nothing overflows here.
            let t = obtain(&opts(), &env, &NoCli, now()).unwrap();
            assert!(t.claims.seconds_left(now()).unwrap() > 0);
        }
    }

    #[test]
    fn a_token_longer_than_sts_accepts_is_refused_and_files_are_read_within_a_bound() {
        let long =
            jwt(serde_json::json!({"iss": "x", "exp": 1_800_003_600, "pad": "x".repeat(20_000)}));
        let env = env_of(&[("CIRCLE_OIDC_TOKEN_V2", &long)]);
        let err = obtain(&opts(), &env, &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 20000"), "{err}");
        let o = TokenOptions {
            token_file: Some(PathBuf::from("/dev/zero")),
            ..opts()
        };
        let err = obtain(&o, &env_of(&[]), &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("larger than any token"), "{err}");
    }

    #[test]
    fn minting_ends_by_the_deadline_and_stops_the_cli() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("circleci");
        let marker = dir.path().join("still-running");
        std::fs::write(
            &cli,
            format!("#!/bin/sh\nsleep 30\ntouch {}\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        let minter = CircleCiCli::from_path(dir.path().to_str());
        let started = Instant::now();
        let err = minter
            .mint(None, Instant::now() + Duration::from_millis(500))
            .unwrap_err();
        assert_eq!(err, MintError::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        // The whole process group was stopped, its children too.
        std::thread::sleep(Duration::from_millis(200));
        assert!(!marker.exists());
    }

    #[test]
    fn a_cli_that_prints_without_end_is_cut_off() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("circleci");
        std::fs::write(&cli, "#!/bin/sh\nexec cat /dev/zero\n").unwrap();
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        let minter = CircleCiCli::from_path(dir.path().to_str());
        let err = minter
            .mint(None, Instant::now() + Duration::from_secs(10))
            .unwrap_err();
        assert!(
            matches!(err, MintError::TooLong | MintError::Failed { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn token_without_exp_is_refused() {
        let env = env_of(&[(
            "CIRCLE_OIDC_TOKEN_V2",
            &jwt(serde_json::json!({"iss": "x"})),
        )]);
        let err = obtain(&opts(), &env, &NoCli, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no exp"), "{err}");
    }
}
