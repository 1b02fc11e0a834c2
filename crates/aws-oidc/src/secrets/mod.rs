//! Secrets Manager secrets and SSM parameters, fetched into variables for
//! the job: what `aws-oidc secrets` does before it exports them.
//!
//! - `spec`: which secrets and parameters go into which variables
//!   (`NAME=prod/db`, `DB_*=prod/db`, `TOKEN=ssm:/ci/token`,
//!   `APP_*=ssm:/app/`), checked before any network call;
//! - `calls`: `GetSecretValue`, `BatchGetSecretValue`, `GetParameters`
//!   and `GetParametersByPath` on the shared signed-call parts, and how the
//!   two services are reached ([`SecretsSettings`]).
//!
//! [`fetch`] asks each service as few times as it can: one secret with
//! `GetSecretValue`, several with `BatchGetSecretValue` (ten at a time; a
//! role allowed only `GetSecretValue` is asked one by one instead),
//! parameters ten to a `GetParameters`, paths page by page (at most
//! `MAX_PAGES`).  Values are [`Secret`]s from the answer on: no message,
//! error or `Debug` output shows one.  Each is at most `VALUE_LIMIT` (64
//! KiB, Secrets Manager's own limit), and may hold no NUL byte, which no
//! environment variable can.

pub(crate) mod calls;
pub(crate) mod spec;

use std::collections::BTreeMap;
use std::time::Instant;

use base64::Engine as _;
use serde_json::Value;

pub use calls::{SecretsSettings, SecretsSetupError};
pub use spec::{count_sources, Source, Spec, SpecError, Target};

use crate::credentials::Credentials;
use crate::credentials::Secret;
use crate::failure::CallFailure;
use calls::{Service, BATCH, PARAMETER_BATCH};

/// The largest value taken: Secrets Manager's limit for a secret.
pub(crate) const VALUE_LIMIT: usize = 64 * 1024;

/// The most pages of one path read (ten parameters a page).
pub(crate) const MAX_PAGES: usize = 100;

/// One variable to set.  `Debug` does not show the value.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Its name, a valid variable name.
    pub name: String,
    /// Its value.
    pub value: Secret,
    /// Where it came from, for messages: `secret prod/db`, `SSM parameter /ci/token`.
    pub from: String,
}

crate::error_debug::debug_by_display!(SecretsError);
/// Why the values could not be had.
#[derive(thiserror::Error)]
pub enum SecretsError {
    /// A service said no, or could not be reached.
    #[error("{explanation}")]
    Call {
        /// What failed.
        failure: Box<CallFailure>,
        /// The explanation for the user.
        explanation: String,
    },
    /// What came back cannot fill the variables asked for (no value is named).
    #[error("{0}")]
    Refused(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// A value as the service gave it.
enum Raw {
    Text(Secret),
    Binary(Secret),
}

/// Checks a value's size and bytes; `what` names it (never the value).
fn checked(value: String, what: &str) -> Result<Secret, SecretsError> {
    if value.len() > VALUE_LIMIT {
        return Err(SecretsError::Refused(format!(
            "{what} is {} KiB, more than the 64 KiB aws-oidc takes (Secrets Manager's own limit): \
             keep large files in S3 and fetch them with the AWS CLI",
            value.len().div_ceil(1024)
        )));
    }
    if value.contains('\0') {
        return Err(SecretsError::Refused(format!(
            "{what} holds a NUL byte, which no environment variable can hold: store it base64-encoded"
        )));
    }
    Ok(Secret::new(value))
}

/// The secret value in one `GetSecretValue` answer (or one entry of a batch's).
fn secret_of(entry: &Value, id: &str) -> Result<Raw, SecretsError> {
    let what = format!("secret {id}");
    if let Some(text) = entry.get("SecretString").and_then(Value::as_str) {
        return Ok(Raw::Text(checked(text.to_string(), &what)?));
    }
    if let Some(b64) = entry.get("SecretBinary").and_then(Value::as_str) {
        // Checked as the bytes it holds, exported as the base64 it came in:
        // binary secrets often hold NUL bytes, which variables cannot.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| {
                SecretsError::Refused(format!(
                    "Secrets Manager's answer for {what} holds SecretBinary that is not base64"
                ))
            })?;
        if bytes.len() > VALUE_LIMIT {
            return Err(SecretsError::Refused(format!(
                "{what} is {} KiB, more than the 64 KiB aws-oidc takes",
                bytes.len().div_ceil(1024)
            )));
        }
        return Ok(Raw::Binary(Secret::new(b64)));
    }
    Err(SecretsError::Refused(format!(
        "Secrets Manager's answer for {what} has neither SecretString nor SecretBinary"
    )))
}

fn call_error(failure: CallFailure, hint: String, what: &str, s: &SecretsSettings) -> SecretsError {
    let code = failure.code.clone().unwrap_or_default();
    let region = s.region();
    let specific = if code == "ResourceNotFoundException" || code == "ParameterNotFound" {
        format!(
            "There is no {what} in {region}, or the credentials may not see it: check the name, \
             and the region (--region; secrets and parameters are regional)."
        )
    } else if calls::denied(&failure) {
        format!(
            "The credentials may not read {what}. Allow it in the permissions policy of the role \
             (or user) they belong to: secretsmanager:GetSecretValue on the secret's ARN, \
             ssm:GetParameters and ssm:GetParametersByPath on arn:aws:ssm:{region}:<account>:parameter/..., \
             and kms:Decrypt on the key, when a customer managed KMS key encrypts it."
        )
    } else if code == "DecryptionFailure" || code.starts_with("KMS") {
        format!(
            "KMS would not decrypt {what}: allow kms:Decrypt on its key to the role, in the key \
             policy too."
        )
    } else {
        hint
    };
    let explanation = calls::explained(&failure, specific);
    SecretsError::Call {
        failure: Box::new(failure),
        explanation,
    }
}

/// Whether `id` (a name or an ARN) is the one an answer's entry names.
fn names(entry: &Value, id: &str) -> bool {
    ["Name", "ARN"]
        .iter()
        .any(|k| entry.get(*k).and_then(Value::as_str) == Some(id))
}

/// Every secret in `ids`, by id.
async fn fetch_secrets(
    ids: &[&str],
    creds: &Credentials,
    s: &SecretsSettings,
    deadline: Instant,
) -> Result<BTreeMap<String, Raw>, SecretsError> {
    let mut got = BTreeMap::new();
    let one = |id: &str| {
        let id = id.to_string();
        async move {
            let answer = calls::call(
                Service::SecretsManager,
                "secretsmanager.GetSecretValue",
                &calls::get_secret_value(&id),
                creds,
                s,
                deadline,
            )
            .await
            .map_err(|(f, h)| call_error(f, h, &format!("secret {id}"), s))?;
            Ok::<_, SecretsError>((secret_of(&answer, &id)?, id))
        }
    };
    if ids.len() == 1 {
        let (raw, id) = one(ids[0]).await?;
        got.insert(id, raw);
        return Ok(got);
    }
    for chunk in ids.chunks(BATCH) {
        let answer = calls::call(
            Service::SecretsManager,
            "secretsmanager.BatchGetSecretValue",
            &calls::batch_get_secret_value(chunk),
            creds,
            s,
            deadline,
        )
        .await;
        let answer = match answer {
            Ok(a) => a,
            // A role allowed GetSecretValue only (the common policy) still works.
            Err((f, _)) if calls::denied(&f) => {
                for id in chunk {
                    let (raw, id) = one(id).await?;
                    got.insert(id, raw);
                }
                continue;
            }
            Err((f, h)) => {
                return Err(call_error(
                    f,
                    h,
                    &format!("secrets {}", chunk.join(", ")),
                    s,
                ))
            }
        };
        let errors = answer.get("Errors").and_then(Value::as_array);
        if let Some(e) = errors.and_then(|e| e.first()) {
            let id = e.get("SecretId").and_then(Value::as_str).unwrap_or("?");
            let code = e.get("ErrorCode").and_then(Value::as_str).unwrap_or("");
            let failure = CallFailure {
                operation: "secretsmanager:BatchGetSecretValue",
                kind: crate::failure::FailureKind::Service,
                code: Some(code.to_string()),
                message: e
                    .get("ErrorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                status: None,
                attempts: 1,
            };
            return Err(call_error(
                failure,
                String::new(),
                &format!("secret {id}"),
                s,
            ));
        }
        let values = answer
            .get("SecretValues")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for id in chunk {
            let entry = values.iter().find(|v| names(v, id)).ok_or_else(|| {
                SecretsError::Refused(format!(
                    "Secrets Manager's answer to BatchGetSecretValue has no secret {id}: name it \
                     by its full name or full ARN"
                ))
            })?;
            got.insert(id.to_string(), secret_of(entry, id)?);
        }
    }
    Ok(got)
}

/// Every parameter in `names`, by name.
async fn fetch_parameters(
    names_asked: &[&str],
    creds: &Credentials,
    s: &SecretsSettings,
    deadline: Instant,
) -> Result<BTreeMap<String, Secret>, SecretsError> {
    let mut got = BTreeMap::new();
    for chunk in names_asked.chunks(PARAMETER_BATCH) {
        let what = format!("SSM parameter {}", chunk.join(", "));
        let answer = calls::call(
            Service::Ssm,
            "AmazonSSM.GetParameters",
            &calls::get_parameters(chunk),
            creds,
            s,
            deadline,
        )
        .await
        .map_err(|(f, h)| call_error(f, h, &what, s))?;
        let invalid: Vec<&str> = answer
            .get("InvalidParameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !invalid.is_empty() {
            return Err(SecretsError::Refused(format!(
                "SSM has no parameter {} in {}, or the credentials may not see it: check the name \
                 (with its leading /) and the region (--region; parameters are regional)",
                invalid.join(", "),
                s.region()
            )));
        }
        let params = answer
            .get("Parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for name in chunk {
            let entry = params.iter().find(|p| names(p, name)).ok_or_else(|| {
                SecretsError::Refused(format!(
                    "SSM's answer to GetParameters has no parameter {name}"
                ))
            })?;
            let value = entry.get("Value").and_then(Value::as_str).ok_or_else(|| {
                SecretsError::Refused(format!("SSM's answer for parameter {name} has no value"))
            })?;
            got.insert(
                name.to_string(),
                checked(value.to_string(), &format!("SSM parameter {name}"))?,
            );
        }
    }
    Ok(got)
}

/// Every parameter under `path`: its name below the path, and its value.
async fn fetch_path(
    path: &str,
    creds: &Credentials,
    s: &SecretsSettings,
    deadline: Instant,
) -> Result<Vec<(String, Secret)>, SecretsError> {
    let mut got = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let answer = calls::call(
            Service::Ssm,
            "AmazonSSM.GetParametersByPath",
            &calls::get_parameters_by_path(path, next.as_deref()),
            creds,
            s,
            deadline,
        )
        .await
        .map_err(|(f, h)| call_error(f, h, &format!("SSM path {path}"), s))?;
        for p in answer
            .get("Parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(value)) = (
                p.get("Name").and_then(Value::as_str),
                p.get("Value").and_then(Value::as_str),
            ) else {
                continue;
            };
            let below = name
                .strip_prefix(path)
                .unwrap_or(name)
                .trim_matches('/')
                .to_string();
            let value = checked(value.to_string(), &format!("SSM parameter {name}"))?;
            got.push((below, value));
        }
        next = answer
            .get("NextToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() {
            if got.is_empty() {
                return Err(SecretsError::Refused(format!(
                    "SSM has no parameters under {path} in {}, or the credentials may not see \
                     them: check the path (with its leading /) and the region",
                    s.region()
                )));
            }
            return Ok(got);
        }
    }
    Err(SecretsError::Refused(format!(
        "more than {} parameters under {path} ({MAX_PAGES} pages): name a narrower path",
        MAX_PAGES * 10
    )))
}

/// The keys of a JSON secret, and their values as text (strings as they
/// are, anything else as its JSON).
fn json_fields(raw: &Raw, id: &str) -> Result<Vec<(String, String)>, SecretsError> {
    let not_json = || {
        SecretsError::Refused(format!(
            "secret {id} is not a JSON object, so it has no keys to take: export it whole with \
             NAME={id}"
        ))
    };
    let Raw::Text(text) = raw else {
        return Err(not_json());
    };
    let doc: serde_json::Map<String, Value> =
        serde_json::from_str(text.expose()).map_err(|_| not_json())?;
    Ok(doc
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}

/// Fetches what `specs` name with `creds` and returns the variables, in
/// the order the specs name them.
pub fn fetch(
    specs: &[Spec],
    creds: &Credentials,
    s: &SecretsSettings,
) -> Result<Vec<Variable>, SecretsError> {
    let mut secret_ids: Vec<&str> = Vec::new();
    let mut parameters: Vec<&str> = Vec::new();
    for spec in specs {
        match &spec.source {
            Source::Secret { id, .. } if !secret_ids.contains(&id.as_str()) => secret_ids.push(id),
            Source::Parameter(name) if !parameters.contains(&name.as_str()) => {
                parameters.push(name)
            }
            _ => {}
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SecretsError::Runtime)?;
    let deadline = Instant::now() + s.time_limit();
    runtime.block_on(async {
        let secrets = if secret_ids.is_empty() {
            BTreeMap::new()
        } else {
            fetch_secrets(&secret_ids, creds, s, deadline).await?
        };
        let params = if parameters.is_empty() {
            BTreeMap::new()
        } else {
            fetch_parameters(&parameters, creds, s, deadline).await?
        };
        // Every id was fetched or failed above; this only keeps a slip from panicking.
        let secret = |id: &str| {
            secrets.get(id).ok_or_else(|| {
                SecretsError::Refused(format!("Secrets Manager gave no value for secret {id}"))
            })
        };
        let mut vars: Vec<Variable> = Vec::new();
        for spec in specs {
            let from = spec.source.to_string();
            let mut add = |name: String, value: Secret, from: String| {
                vars.push(Variable { name, value, from });
            };
            match (&spec.target, &spec.source) {
                (Target::Var(name), Source::Secret { id, key: None }) => {
                    let value = match secret(id)? {
                        Raw::Text(v) | Raw::Binary(v) => v.clone(),
                    };
                    add(name.clone(), value, from);
                }
                (Target::Var(name), Source::Secret { id, key: Some(key) }) => {
                    let fields = json_fields(secret(id)?, id)?;
                    let Some((_, value)) = fields.iter().find(|(k, _)| k == key) else {
                        let keys: Vec<&str> =
                            fields.iter().take(20).map(|(k, _)| k.as_str()).collect();
                        return Err(SecretsError::Refused(format!(
                            "secret {id} has no key {key:?}; its keys: {}",
                            keys.join(", ")
                        )));
                    };
                    add(name.clone(), checked(value.clone(), &from)?, from);
                }
                (Target::Prefix(prefix), Source::Secret { id, .. }) => {
                    for (key, value) in json_fields(secret(id)?, id)? {
                        let from = format!("key {key:?} of secret {id}");
                        let value = checked(value, &from)?;
                        add(format!("{prefix}{}", spec::var_name_of(&key)), value, from);
                    }
                }
                (Target::Var(name), Source::Parameter(p)) => {
                    let value = params.get(p.as_str()).cloned().ok_or_else(|| {
                        SecretsError::Refused(format!("SSM gave no value for parameter {p}"))
                    })?;
                    add(name.clone(), value, from);
                }
                (Target::Prefix(prefix), Source::Path(path)) => {
                    for (below, value) in fetch_path(path, creds, s, deadline).await? {
                        let from = format!("SSM parameter {}/{below}", path.trim_end_matches('/'));
                        add(
                            format!("{prefix}{}", spec::var_name_of(&below)),
                            value,
                            from,
                        );
                    }
                }
                // The parser makes no other pairs.
                _ => {}
            }
        }
        check_names(&vars)?;
        Ok(vars)
    })
}

/// Refuses two values for one name, and names a later step's shell needs.
fn check_names(vars: &[Variable]) -> Result<(), SecretsError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for v in vars {
        spec::check_not_reserved(&v.name, &v.from)
            .map_err(|e| SecretsError::Refused(e.to_string()))?;
        if let Some(first) = seen.insert(&v.name, &v.from) {
            return Err(SecretsError::Refused(format!(
                "{} would be set twice, from {first} and from {}: give one of them another name \
                 (NAME=SECRET_ID#KEY takes one key of a JSON secret)",
                v.name, v.from
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_over_64_kib_or_with_nul_are_refused_without_showing_them() {
        let big = "s".repeat(VALUE_LIMIT + 1);
        let e = checked(big, "secret big").unwrap_err().to_string();
        assert!(e.contains("secret big") && e.contains("65 KiB") && !e.contains("sss"));
        assert!(checked("s".repeat(VALUE_LIMIT), "ok").is_ok());
        let e = checked("top\0secret".into(), "secret n")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("top"));
    }

    #[test]
    fn json_secrets_give_their_keys_and_others_say_how_to_take_them_whole() {
        let raw = Raw::Text(Secret::new(
            r#"{"user": "u", "port": 5432, "tls": {"on": true}}"#,
        ));
        let fields = json_fields(&raw, "db").unwrap();
        assert_eq!(
            fields,
            vec![
                ("port".to_string(), "5432".to_string()),
                ("tls".to_string(), r#"{"on":true}"#.to_string()),
                ("user".to_string(), "u".to_string()),
            ]
        );
        let e = json_fields(&Raw::Text(Secret::new("hunter2")), "pw")
            .unwrap_err()
            .to_string();
        assert!(e.contains("NAME=pw") && !e.contains("hunter2"));
        let e = json_fields(&Raw::Binary(Secret::new("AAA=")), "b").unwrap_err();
        assert!(e.to_string().contains("not a JSON object"));
    }

    #[test]
    fn binary_secrets_are_kept_as_base64() {
        let entry = serde_json::json!({"Name": "b", "SecretBinary": "AAEC"});
        let Raw::Binary(v) = secret_of(&entry, "b").unwrap() else {
            panic!("not binary")
        };
        assert_eq!(v.expose(), "AAEC");
        let bad = serde_json::json!({"SecretBinary": "%%%"});
        assert!(secret_of(&bad, "b").is_err());
    }

    #[test]
    fn one_name_twice_is_refused() {
        let v = |name: &str, from: &str| Variable {
            name: name.into(),
            value: Secret::new("x"),
            from: from.into(),
        };
        assert!(check_names(&[v("A", "secret a"), v("B", "secret b")]).is_ok());
        let e = check_names(&[v("A_B", "key \"a-b\""), v("A_B", "key \"a_b\"")]).unwrap_err();
        assert!(e.to_string().contains("set twice"));
        assert!(check_names(&[v("PATH", "key \"path\" of secret p")]).is_err());
    }
}
