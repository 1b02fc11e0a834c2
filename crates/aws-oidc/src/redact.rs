//! Text from outside (STS, the `circleci` CLI, a token's claims) made safe to print.
//!
//! A server can echo the token it was sent, a claim can hold a line break
//! that forges an output line or an escape sequence for the terminal, and an
//! error message can be megabytes long.  [`untrusted`] escapes control
//! characters, cuts the text to a bound and replaces anything shaped like a
//! token or key; [`Secrets`] also replaces the exact secrets in hand.

/// Characters of outside text printed in one message, at most.
pub(crate) const MAX_SHOWN: usize = 1000;

/// What stands in for a redacted value.
pub(crate) const REDACTED: &str = "***";

/// Escapes control characters (line breaks included), so outside text stays
/// on its line and cannot drive the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Cuts `text` to `max` characters, saying how much was left out.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!(
            "{}... ({} more characters not shown)",
            &text[..at],
            text[at..].chars().count()
        ),
    }
}

/// Outside text for a message: token-shaped runs replaced, control
/// characters escaped, at most [`MAX_SHOWN`] characters.
pub(crate) fn untrusted(text: &str) -> String {
    cut(&printable(&redact_shapes(text)), MAX_SHOWN)
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='
}

fn is_b64(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='
}

/// A JWT: three base64url parts, the header starting `eyJ` (`{"`).
fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].len() >= 2
        && parts.iter().all(|p| p.chars().all(is_b64url))
}

/// A secret access key, session token or the like: a long base64 run that
/// mixes upper case, lower case and digits (paths and ids do not).
fn is_key_like(run: &str) -> bool {
    run.len() >= 40
        && run.chars().any(|c| c.is_ascii_uppercase())
        && run.chars().any(|c| c.is_ascii_lowercase())
        && run.chars().any(|c| c.is_ascii_digit())
}

/// An access key id: `AKIA` or `ASIA` and 16 upper-case letters or digits.
fn is_access_key_id(run: &str) -> bool {
    (run.starts_with("AKIA") || run.starts_with("ASIA"))
        && run.len() >= 16
        && run
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Replaces JWTs, access key ids and key-like base64 runs with [`REDACTED`].
pub(crate) fn redact_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // A JWT is a run of base64url and dots.
        let jwt_len = rest
            .find(|c: char| !(is_b64url(c) || c == '.'))
            .unwrap_or(rest.len());
        if jwt_len > 0 && is_jwt(&rest[..jwt_len]) {
            out.push_str(REDACTED);
            rest = &rest[jwt_len..];
            continue;
        }
        let run_len = rest.find(|c: char| !is_b64(c)).unwrap_or(rest.len());
        if run_len > 0 {
            let run = &rest[..run_len];
            if is_key_like(run) || is_access_key_id(run) {
                out.push_str(REDACTED);
            } else {
                out.push_str(run);
            }
            rest = &rest[run_len..];
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The secrets in hand (a token, keys): replaced wherever they appear.
#[derive(Default)]
pub struct Secrets(Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} held)", self.0.len())
    }
}

impl Secrets {
    /// Remembers `secret` (values shorter than 8 characters are too likely
    /// to occur by chance to be replaced, and no real secret is that short).
    pub fn add(&mut self, secret: &str) {
        let s = secret.trim();
        if s.len() >= 8 && !self.0.iter().any(|x| x == s) {
            self.0.push(s.to_string());
        }
    }

    /// `text` with every secret and every token-shaped run replaced by `REDACTED`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            out = out.replace(s.as_str(), REDACTED);
        }
        redact_shapes(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

    #[test]
    fn tokens_and_keys_echoed_by_a_server_are_redacted() {
        let msg = format!("bad token {JWT}, key ASIAABCDEFGHIJKLMNOP secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY!");
        let out = untrusted(&msg);
        assert!(
            !out.contains(JWT) && !out.contains("ASIAABCD") && !out.contains("wJalr"),
            "{out}"
        );
        assert_eq!(out, "bad token ***, key *** secret ***!");
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "org/6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/project/0a1b2c3d-1111-4222-8333-444455556666",
            "arn:aws:iam::123456789012:role/deploy",
            "/home/circleci/project/infrastructure/terraform/modules/credentials",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            "https://oidc.circleci.com/org/6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ] {
            assert_eq!(untrusted(text), text);
        }
    }

    #[test]
    fn control_characters_cannot_forge_lines_or_drive_the_terminal() {
        assert_eq!(printable("a\nb\x1b[31mc\r"), "a\\nb\\u{1b}[31mc\\r");
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let out = untrusted(&"é ".repeat(5_000_000));
        assert!(out.chars().count() < MAX_SHOWN + 60, "{}", out.len());
        assert!(
            out.ends_with("(9999000 more characters not shown)"),
            "{out}"
        );
    }

    #[test]
    fn secrets_in_hand_are_replaced_wherever_they_appear() {
        let mut s = Secrets::default();
        s.add("plain-but-secret-value");
        s.add("short");
        assert_eq!(s.scrub("x plain-but-secret-value y short"), "x *** y short");
    }
}
