//! A generated trust policy, written for the tool that will apply it.
//!
//! `json` is the policy document alone.  `terraform`, `cloudformation` and
//! `aws-cli` also create the role with its managed policies and, unless an
//! existing provider was named, the IAM OIDC provider (once per account
//! and org): what users otherwise copy from tutorials by hand.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::Provider;
use super::SetupError;
use crate::request::{is_sts_name_char, PolicyArn};
use crate::sinks::shell;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// The trust policy document.
    Json,
    /// Terraform (AWS provider) resources.
    Terraform,
    /// A CloudFormation template (JSON).
    CloudFormation,
    /// A POSIX sh script of AWS CLI commands.
    AwsCli,
}

impl Format {
    /// Parses `json`, `terraform`, `cloudformation` or `aws-cli`.
    pub(crate) fn parse(raw: &str) -> Result<Self, SetupError> {
        match raw {
            "json" => Ok(Format::Json),
            "terraform" | "tf" => Ok(Format::Terraform),
            "cloudformation" | "cfn" => Ok(Format::CloudFormation),
            "aws-cli" | "sh" => Ok(Format::AwsCli),
            other => Err(SetupError::Format {
                raw: other.to_string(),
            }),
        }
    }
}

/// An IAM role name: 1-64 characters of letters, digits and `_+=,.@-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleName(String);

impl RoleName {
    /// Parses and validates a role name.
    pub(crate) fn parse(raw: &str) -> Result<Self, SetupError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(is_sts_name_char) {
            return Err(SetupError::RoleName {
                raw: raw.to_string(),
            });
        }
        Ok(RoleName(raw.to_string()))
    }

    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything a format may write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setup<'a> {
    /// The trust policy.
    pub policy: &'a Value,
    /// The OIDC provider it trusts.
    pub provider: &'a Provider,
    /// Create the provider (else it exists and is referred to by ARN).
    pub create_provider: bool,
    /// The provider's client id (the token audience).
    pub audience: &'a str,
    /// The role to create.
    pub role_name: &'a RoleName,
    /// Managed policies to attach to it.
    pub policy_arns: &'a [PolicyArn],
}

/// Keys in the order people write them; others follow, sorted.
const KEY_ORDER: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Version",
    "Description",
    "Type",
    "Properties",
    "Resources",
    "Outputs",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "Action",
    "Condition",
    "RoleName",
];

fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    // The map is sorted already (a BTreeMap): known keys first, in KEY_ORDER, then the rest.
    let known = KEY_ORDER.iter().filter_map(|k| map.get_key_value(*k));
    let rest = map.iter().filter(|(k, _)| !KEY_ORDER.contains(&k.as_str()));
    known.chain(rest).collect()
}

/// Pretty JSON with keys in [`KEY_ORDER`], two-space indented, ending in a newline.
pub(crate) fn pretty_json(v: &Value) -> String {
    fn write(out: &mut String, v: &Value, indent: usize) {
        let pad = "  ".repeat(indent + 1);
        let end = "  ".repeat(indent);
        match v {
            Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    write(out, item, indent + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&end);
                out.push(']');
            }
            Value::Object(map) if !map.is_empty() => {
                out.push_str("{\n");
                let entries = ordered(map);
                for (i, (k, item)) in entries.iter().enumerate() {
                    let _ = write!(out, "{pad}{}: ", Value::from(k.as_str()));
                    write(out, item, indent + 1);
                    out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
                }
                out.push_str(&end);
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(&mut out, v, 0);
    out.push('\n');
    out
}

/// Writes `setup` in `format`.
pub(crate) fn render(format: Format, setup: &Setup) -> String {
    match format {
        Format::Json => pretty_json(setup.policy),
        Format::Terraform => terraform(setup),
        Format::CloudFormation => cloudformation(setup),
        Format::AwsCli => aws_cli(setup),
    }
}

/// Replaces every string equal to `from` inside `v` with `to`.
fn replace_string(v: &mut Value, from: &str, to: &Value) {
    match v {
        Value::String(s) if s == from => *v = to.clone(),
        Value::Array(items) => items.iter_mut().for_each(|i| replace_string(i, from, to)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_string(i, from, to)),
        _ => {}
    }
}

fn cloudformation(s: &Setup) -> String {
    let mut policy = s.policy.clone();
    let mut resources = serde_json::Map::new();
    if s.create_provider {
        replace_string(
            &mut policy,
            s.provider.arn(),
            &json!({"Ref": "CircleCiOidcProvider"}),
        );
        resources.insert(
            "CircleCiOidcProvider".into(),
            json!({
                "Type": "AWS::IAM::OIDCProvider",
                "Properties": {"Url": s.provider.url(), "ClientIdList": [s.audience]},
            }),
        );
    }
    let mut role = json!({
        "RoleName": s.role_name.as_str(),
        "Description": "Assumed by CircleCI jobs with their OIDC token (aws-oidc assume)",
        "AssumeRolePolicyDocument": policy,
    });
    if !s.policy_arns.is_empty() {
        role["ManagedPolicyArns"] = s.policy_arns.iter().map(|a| a.as_str()).collect();
    }
    resources.insert(
        "CircleCiRole".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": role}),
    );
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "IAM role for CircleCI jobs, trusted through CircleCI's OIDC provider (generated by aws-oidc trust-policy)",
        "Resources": resources,
        "Outputs": {
            "RoleArn": {
                "Description": "Pass this to aws-oidc assume --role-arn",
                "Value": {"Fn::GetAtt": ["CircleCiRole", "Arn"]},
            }
        },
    });
    pretty_json(&template)
}

fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hcl_key(k: &str) -> String {
    let ident = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        k.to_string()
    } else {
        hcl_string(k)
    }
}

/// An HCL expression for `v`; `reference` turns one string into a bare expression.
fn hcl_value(v: &Value, indent: usize, reference: &dyn Fn(&str) -> Option<String>) -> String {
    let pad = "  ".repeat(indent + 1);
    let end = "  ".repeat(indent);
    match v {
        Value::String(s) => reference(s).unwrap_or_else(|| hcl_string(s)),
        Value::Array(items) => {
            let mut out = String::from("[\n");
            for i in items {
                let _ = writeln!(out, "{pad}{},", hcl_value(i, indent + 1, reference));
            }
            out + &end + "]"
        }
        Value::Object(map) => {
            let mut out = String::from("{\n");
            for (k, i) in ordered(map) {
                let _ = writeln!(
                    out,
                    "{pad}{} = {}",
                    hcl_key(k),
                    hcl_value(i, indent + 1, reference)
                );
            }
            out + &end + "}"
        }
        other => other.to_string(),
    }
}

fn terraform(s: &Setup) -> String {
    let mut out = String::from(
        "# IAM role for CircleCI jobs, trusted through CircleCI's OIDC provider.\n\
         # Generated by aws-oidc trust-policy; assume it with: aws-oidc assume --role-arn <role_arn output>\n\n",
    );
    let provider_ref = "aws_iam_openid_connect_provider.circleci.arn";
    if s.create_provider {
        let _ = write!(
            out,
            "# One per AWS account and CircleCI org: import it if it already exists.\n\
             resource \"aws_iam_openid_connect_provider\" \"circleci\" {{\n  \
             url            = {}\n  client_id_list = [{}]\n}}\n\n",
            hcl_string(&s.provider.url()),
            hcl_string(s.audience)
        );
    }
    let arn = s.provider.arn().to_string();
    let create = s.create_provider;
    let reference = move |v: &str| (create && v == arn).then(|| provider_ref.to_string());
    let _ = write!(
        out,
        "resource \"aws_iam_role\" \"circleci\" {{\n  name               = {}\n  \
         assume_role_policy = jsonencode({})\n}}\n",
        hcl_string(s.role_name.as_str()),
        hcl_value(s.policy, 1, &reference)
    );
    for (i, p) in s.policy_arns.iter().enumerate() {
        let _ = write!(
            out,
            "\nresource \"aws_iam_role_policy_attachment\" \"circleci_{i}\" {{\n  \
             role       = aws_iam_role.circleci.name\n  policy_arn = {}\n}}\n",
            hcl_string(p.as_str())
        );
    }
    out.push_str("\noutput \"role_arn\" {\n  value = aws_iam_role.circleci.arn\n}\n");
    out
}

/// Quotes for `sh`.  Every value here is validated (no control characters)
/// or serde_json's output (which escapes them), so none holds a NUL.
fn sh_quote(s: &str) -> String {
    shell::quote_str(s, "a value of the generated script").unwrap_or_default()
}

fn aws_cli(s: &Setup) -> String {
    let role = sh_quote(s.role_name.as_str());
    let mut out = format!(
        "#!/bin/sh\n\
         # IAM role for CircleCI jobs, trusted through CircleCI's OIDC provider.\n\
         # Generated by aws-oidc trust-policy. Run it with credentials allowed to manage IAM;\n\
         # running it again updates the role's trust policy.\n\
         set -eu\n\n\
         provider_arn={}\n",
        sh_quote(s.provider.arn())
    );
    if s.create_provider {
        let _ = write!(
            out,
            "# One per AWS account and CircleCI org.\n\
             if ! aws iam get-open-id-connect-provider --open-id-connect-provider-arn \"$provider_arn\" >/dev/null 2>&1; then\n  \
             aws iam create-open-id-connect-provider --url {} --client-id-list {} >/dev/null\n\
             fi\n",
            sh_quote(&s.provider.url()),
            sh_quote(s.audience)
        );
    } else {
        out.push_str("# The provider exists already (--provider-arn).\n");
    }
    let _ = write!(
        out,
        "\ntrust_policy={}\n\
         if aws iam get-role --role-name {role} >/dev/null 2>&1; then\n  \
         aws iam update-assume-role-policy --role-name {role} --policy-document \"$trust_policy\"\n\
         else\n  \
         aws iam create-role --role-name {role} --assume-role-policy-document \"$trust_policy\" \
         --description 'Assumed by CircleCI jobs with their OIDC token (aws-oidc assume)' >/dev/null\n\
         fi\n",
        sh_quote(&s.policy.to_string())
    );
    for p in s.policy_arns {
        let _ = writeln!(
            out,
            "aws iam attach-role-policy --role-name {role} --policy-arn {}",
            sh_quote(p.as_str())
        );
    }
    let _ = writeln!(
        out,
        "aws iam get-role --role-name {role} --query Role.Arn --output text"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::generate::{generate, tests::allow};

    fn setup_text(format: Format, create: bool) -> String {
        let a = allow();
        let policy = generate(&a).unwrap().policy;
        let name = RoleName::parse("deploy").unwrap();
        let arns = [PolicyArn::parse("arn:aws:iam::aws:policy/ReadOnlyAccess").unwrap()];
        render(
            format,
            &Setup {
                policy: &policy,
                provider: &a.provider,
                create_provider: create,
                audience: a.org_id.as_str(),
                role_name: &name,
                policy_arns: &arns,
            },
        )
    }

    #[test]
    fn each_format_names_the_provider_role_and_attachments() {
        let tf = setup_text(Format::Terraform, true);
        assert!(
            tf.contains("Federated = aws_iam_openid_connect_provider.circleci.arn"),
            "{tf}"
        );
        assert!(tf.contains("\"oidc.circleci.com/org/"), "{tf}");
        assert!(
            tf.contains("policy_arn = \"arn:aws:iam::aws:policy/ReadOnlyAccess\""),
            "{tf}"
        );
        let existing = setup_text(Format::Terraform, false);
        assert!(
            !existing.contains("aws_iam_openid_connect_provider"),
            "{existing}"
        );

        let cfn: Value = serde_json::from_str(&setup_text(Format::CloudFormation, true)).unwrap();
        let role = &cfn["Resources"]["CircleCiRole"]["Properties"];
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"],
            json!({"Ref": "CircleCiOidcProvider"})
        );
        assert_eq!(
            role["ManagedPolicyArns"][0],
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        );

        let sh = setup_text(Format::AwsCli, true);
        assert!(sh.starts_with("#!/bin/sh\n"));
        assert!(sh.contains("create-open-id-connect-provider --url https://oidc.circleci.com/org/"));
        assert!(sh.contains("attach-role-policy --role-name deploy"));
    }

    #[test]
    fn quoting_is_safe() {
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
        assert_eq!(hcl_string("a\"${x}%{y}\\"), "\"a\\\"$${x}%%{y}\\\\\"");
        assert!(RoleName::parse("bad name").is_err());
        assert!(Format::parse("yaml").is_err());
    }
}
