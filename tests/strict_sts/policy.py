"""IAM policy evaluation for role trust policies, written from the IAM documentation.

`evaluate(policy, context, provider_arn, action)` answers whether a trust policy
lets a principal perform `action` given the request context; `explain(...)`
returns the same decision with a one-line reason.  Both are pure functions: no
I/O, no clock, no server state.  The fixture's server uses them for
AssumeRoleWithWebIdentity (principal type `Federated`) and AssumeRole
(principal type `AWS`); other tests may compare them with the product's own
evaluator.

Semantics (as IAM documents them):

* Statements are evaluated independently.  A statement applies when its
  Principal (or NotPrincipal), Action (or NotAction) and every condition match.
  An applying `Deny` wins over everything; otherwise one applying `Allow`
  grants; no applying `Allow` means an implicit deny.
* Principal: `"*"`, or `{"Federated": ARN | [ARN...]}` / `{"AWS": ...}` /
  `{"Service": ...}`.  For `AWS`, a 12-digit account id or
  `arn:aws:iam::<acct>:root` matches every principal of that account.  ARNs are
  compared exactly (IAM allows no wildcards in principals other than `"*"`).
* Action / NotAction: string or list; matched case-insensitively with the `*`
  and `?` wildcards (`sts:*`, `sts:AssumeRole*`).
* Condition: `{operator: {key: value | [values]}}`.  Operators are ANDed, keys
  inside one operator are ANDed, the values of one key are ORed; for the
  negated operators (`StringNotEquals`, `StringNotLike`, ...) the values are
  effectively ANDed (the context value must match none of them).
* Condition key names are case-insensitive; values are compared as strings
  (JSON `true` becomes `"true"`, numbers their decimal text).
* A key missing from the context (absent, `None` or an empty list) makes a
  positive operator false and a negated operator true (the IAM docs: "If the
  key ... is not present ... the condition is false. If the policy condition
  requires that the key is not matched, such as StringNotLike ... the condition
  is true").  `...IfExists` turns a missing key into true; `Null` tests
  presence; `ForAllValues:` on a missing key is true, `ForAnyValue:` false.
* Multi-valued context values (lists): `ForAnyValue:` is true when at least one
  context value satisfies the operator, `ForAllValues:` when every one does.
  Without a set qualifier a list behaves like `ForAnyValue:` for positive
  operators and as "no context value matches any policy value" for negated ones.

Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
StringNotEqualsIgnoreCase, StringLike, StringNotLike (case-sensitive glob with
`*` and `?`; `${*}`, `${?}` and `${$}` stand for the literal characters), Bool,
Null, Numeric{Equals,NotEquals,LessThan,LessThanEquals,GreaterThan,
GreaterThanEquals}, Date{...same...}, Arn{Equals,Like,NotEquals,NotLike},
BinaryEquals, IpAddress, NotIpAddress; each (except Null) with the `IfExists`
suffix and the `ForAnyValue:` / `ForAllValues:` prefixes.  `StringEquals` never
treats `*` as a wildcard.  An unknown operator or a malformed statement raises
`PolicyError`.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

__all__ = ["PolicyError", "evaluate", "explain", "validate_policy", "glob_match"]


class PolicyError(ValueError):
    """The policy document is malformed or uses something this evaluator does not know."""


# ---------------------------------------------------------------------------
# helpers


def _listify(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _text(value: Any) -> str:
    """A policy or context value as IAM compares it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise PolicyError(f"unsupported value {value!r} (expected a string, number or boolean)")


_LIKE_ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}


def _glob_regex(pattern: str, *, escapes: bool) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if escapes:
            literal = next((k for k in _LIKE_ESCAPES if pattern.startswith(k, i)), None)
            if literal is not None:
                out.append(re.escape(_LIKE_ESCAPES[literal]))
                i += len(literal)
                continue
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False, escapes: bool = True) -> bool:
    """IAM wildcard match: `*` any run of characters (also empty, also `/`), `?` one character."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(_glob_regex(pattern, escapes=escapes), value, flags) is not None


# ---------------------------------------------------------------------------
# condition operators: name -> (positive predicate(policy_value, context_value), negated?)


def _num(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    try:
        return float(text)  # epoch seconds
    except ValueError:
        pass
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _compare(conv: Callable[[str], float], op: Callable[[float, float], bool]):
    def pred(policy_value: str, context_value: str) -> bool:
        try:
            # IAM compares "context <op> policy", e.g. NumericLessThan: request value < policy value
            return op(conv(context_value), conv(policy_value))
        except (ValueError, TypeError):
            return False

    return pred


def _arn_like(policy_value: str, context_value: str) -> bool:
    p = policy_value.split(":", 5)
    c = context_value.split(":", 5)
    if len(p) != 6 or len(c) != 6:
        return False
    return all(glob_match(pp, cc) for pp, cc in zip(p, c))


def _ip(policy_value: str, context_value: str) -> bool:
    try:
        return ipaddress.ip_address(context_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


_eq = lambda p, c: p == c  # noqa: E731
_eq_ci = lambda p, c: p.casefold() == c.casefold()  # noqa: E731
_like = lambda p, c: glob_match(p, c)  # noqa: E731
_bool = lambda p, c: p.lower() == c.lower()  # noqa: E731

_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_eq, False),
    "StringNotEquals": (_eq, True),
    "StringEqualsIgnoreCase": (_eq_ci, False),
    "StringNotEqualsIgnoreCase": (_eq_ci, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_compare(_num, lambda c, p: c == p), False),
    "NumericNotEquals": (_compare(_num, lambda c, p: c == p), True),
    "NumericLessThan": (_compare(_num, lambda c, p: c < p), False),
    "NumericLessThanEquals": (_compare(_num, lambda c, p: c <= p), False),
    "NumericGreaterThan": (_compare(_num, lambda c, p: c > p), False),
    "NumericGreaterThanEquals": (_compare(_num, lambda c, p: c >= p), False),
    "DateEquals": (_compare(_date, lambda c, p: c == p), False),
    "DateNotEquals": (_compare(_date, lambda c, p: c == p), True),
    "DateLessThan": (_compare(_date, lambda c, p: c < p), False),
    "DateLessThanEquals": (_compare(_date, lambda c, p: c <= p), False),
    "DateGreaterThan": (_compare(_date, lambda c, p: c > p), False),
    "DateGreaterThanEquals": (_compare(_date, lambda c, p: c >= p), False),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "BinaryEquals": (_eq, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
}


def _parse_operator(name: str) -> tuple[str | None, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('ForAnyValue', 'StringLike', True)."""
    qualifier = None
    base = name
    if ":" in name:
        qualifier, base = name.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise PolicyError(f"unknown condition set operator {qualifier!r} in {name!r}")
    if_exists = False
    if base.endswith("IfExists") and base != "IfExists":
        base = base[: -len("IfExists")]
        if_exists = True
    if base == "Null":
        if if_exists or qualifier:
            raise PolicyError(f"{name!r}: Null takes neither IfExists nor a set operator")
        return None, "Null", False
    if base not in _OPERATORS:
        raise PolicyError(f"unknown condition operator {name!r}")
    return qualifier, base, if_exists


def _context_values(context_lower: dict[str, Any], key: str) -> list[str] | None:
    """The context values of `key` as strings, or None when the key is missing."""
    if key.lower() not in context_lower:
        return None
    raw = context_lower[key.lower()]
    if raw is None:
        return None
    values = [_text(v) for v in _listify(raw) if v is not None]
    return values or None


def _condition_holds(operator: str, key: str, policy_values: Any, context_lower: dict[str, Any]) -> bool:
    qualifier, base, if_exists = _parse_operator(operator)
    wanted = [_text(v) for v in _listify(policy_values)]
    if not wanted:
        raise PolicyError(f"condition {operator}/{key} has no value")
    present = _context_values(context_lower, key)

    if base == "Null":
        missing = present is None
        return any((w.lower() == "true") == missing for w in wanted)

    if present is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return _OPERATORS[base][1]  # negated operators hold for a missing key

    pred, negated = _OPERATORS[base]

    def one(ctx_value: str) -> bool:
        hit = any(pred(w, ctx_value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in present)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in present)
    hit_any = any(pred(w, v) for v in present for w in wanted)
    return not hit_any if negated else hit_any


def _conditions_hold(condition: Any, context_lower: dict[str, Any]) -> tuple[bool, str]:
    if condition is None:
        return True, ""
    if not isinstance(condition, dict):
        raise PolicyError("Condition must be an object")
    for operator, block in condition.items():
        if not isinstance(block, dict):
            raise PolicyError(f"Condition operator {operator!r} must map keys to values")
        for key, values in block.items():
            if not _condition_holds(operator, key, values, context_lower):
                return False, f"condition {operator} on {key} not met"
    return True, ""


# ---------------------------------------------------------------------------
# principals and actions

_ROOT_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_ACCT_IN_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")


def _account_of(arn: str) -> str | None:
    if re.fullmatch(r"\d{12}", arn):
        return arn
    m = _ACCT_IN_ARN_RE.match(arn)
    return m.group(1) if m else None


def _principal_value_matches(value: str, principal_type: str, ids: list[str]) -> bool:
    if value == "*":
        return True
    if principal_type == "AWS":
        root = value if re.fullmatch(r"\d{12}", value) else None
        m = _ROOT_RE.match(value)
        if m:
            root = m.group(1)
        if root is not None:
            return any(_account_of(i) == root for i in ids)
    return value in ids


def _principal_matches(principal: Any, principal_type: str, ids: list[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        raise PolicyError("Principal must be \"*\" or an object such as {\"Federated\": ARN}")
    for kind, values in principal.items():
        if kind not in ("AWS", "Federated", "Service", "CanonicalUser"):
            raise PolicyError(f"unknown principal type {kind!r}")
        if kind != principal_type:
            continue
        if any(_principal_value_matches(_text(v), principal_type, ids) for v in _listify(values)):
            return True
    return False


def _action_matches(patterns: Any, action: str) -> bool:
    return any(glob_match(_text(p), action, ignore_case=True, escapes=False) for p in _listify(patterns))


def _statements(policy: Any) -> list[dict]:
    if isinstance(policy, str):
        import json

        try:
            policy = json.loads(policy)
        except ValueError as e:
            raise PolicyError(f"policy is not JSON: {e}") from None
    if not isinstance(policy, dict):
        raise PolicyError("policy must be a JSON object")
    statements = policy.get("Statement")
    if statements is None:
        raise PolicyError("policy has no Statement")
    statements = _listify(statements)
    for st in statements:
        if not isinstance(st, dict):
            raise PolicyError("each Statement must be an object")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"Effect must be Allow or Deny, not {st.get('Effect')!r}")
        if ("Principal" in st) == ("NotPrincipal" in st):
            raise PolicyError("a trust policy statement needs exactly one of Principal / NotPrincipal")
        if ("Action" in st) == ("NotAction" in st):
            raise PolicyError("a statement needs exactly one of Action / NotAction")
    return statements


def _statement_applies(st: dict, context_lower: dict, principal_type: str, ids: list[str], action: str) -> tuple[bool, str]:
    if "Principal" in st:
        if not _principal_matches(st["Principal"], principal_type, ids):
            return False, "principal does not match"
    elif _principal_matches(st["NotPrincipal"], principal_type, ids):
        return False, "principal excluded by NotPrincipal"
    if "Action" in st:
        if not _action_matches(st["Action"], action):
            return False, "action does not match"
    elif _action_matches(st["NotAction"], action):
        return False, "action excluded by NotAction"
    return _conditions_hold(st.get("Condition"), context_lower)


# ---------------------------------------------------------------------------
# public API


def explain(
    policy: dict | str,
    context: dict[str, Any],
    provider_arn: str | Iterable[str],
    action: str,
    *,
    principal_type: str = "Federated",
) -> tuple[bool, str]:
    """Like `evaluate`, plus a short reason ("allowed by statement 0", "explicit deny in statement 1", ...)."""
    ids = [provider_arn] if isinstance(provider_arn, str) else list(provider_arn)
    context_lower = {str(k).lower(): v for k, v in (context or {}).items()}
    allowed_by = None
    reasons = []
    for index, st in enumerate(_statements(policy)):
        label = f"statement {st.get('Sid') or index}"
        applies, why = _statement_applies(st, context_lower, principal_type, ids, action)
        if not applies:
            reasons.append(f"{label}: {why}")
            continue
        if st["Effect"] == "Deny":
            return False, f"explicit deny in {label}"
        if allowed_by is None:
            allowed_by = label
    if allowed_by is not None:
        return True, f"allowed by {allowed_by}"
    return False, "no statement allows: " + "; ".join(reasons) if reasons else "no statement allows"


def evaluate(
    policy: dict | str,
    context: dict[str, Any],
    provider_arn: str | Iterable[str],
    action: str,
    *,
    principal_type: str = "Federated",
) -> bool:
    """Whether `policy` lets the principal `provider_arn` perform `action` with `context`.

    `context` maps condition keys (e.g. ``"oidc.circleci.com/org/<id>:sub"``) to a
    string, bool, number or list of those.  `provider_arn` is the principal's
    identifier (for ``principal_type="Federated"`` the OIDC provider ARN; for
    ``"AWS"`` one or more ARNs of the caller).  Raises `PolicyError` on a
    malformed policy.
    """
    return explain(policy, context, provider_arn, action, principal_type=principal_type)[0]


def validate_policy(policy: dict | str) -> None:
    """Raises `PolicyError` when the trust policy is malformed (statements and operators)."""
    for st in _statements(policy):
        cond = st.get("Condition")
        if cond is None:
            continue
        if not isinstance(cond, dict):
            raise PolicyError("Condition must be an object")
        for operator, block in cond.items():
            _parse_operator(operator)
            if not isinstance(block, dict):
                raise PolicyError(f"Condition operator {operator!r} must map keys to values")
            for key, values in block.items():
                if not _listify(values):
                    raise PolicyError(f"condition {operator}/{key} has no value")
                for v in _listify(values):
                    _text(v)
