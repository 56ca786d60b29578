//! Responses whose shape matters, as inline JSON snapshots (`insta::assert_json_snapshot!(…,
//! @r#"…"#)`) that stay the same from run to run: [`Org::redact`] replaces every id and time in
//! a response by a placeholder — the organization's own ids by their names (`[initial team]`),
//! others by their kind, numbered in order of appearance (`[usr 1]`), times by `[time]` and
//! dates by `[date]`, and the unique part of the generated Org Admin's email by `[unique]`.

use super::Org;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// An id (`team_01j…`: a prefix and a lower-case ULID) or a ULID alone, inside any string.
static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:([a-z]+(?:_[a-z]+)*)_)?([0-9a-hjkmnp-tv-z]{26})\b|org([0-9a-hjkmnp-tv-z]{26})",
    )
    .unwrap()
});
/// A whole RFC 3339 time, or a whole date.
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$").unwrap()
});
static DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}$").unwrap());

impl Org {
    /// `value` with its ids and times replaced (see the module's comment), for a snapshot.
    pub fn redact(&self, value: &Value) -> Value {
        let mut names = vec![
            (self.id.clone(), "[org]".to_owned()),
            (self.initial_team.clone(), "[initial team]".to_owned()),
            (self.second_team.clone(), "[second team]".to_owned()),
            (self.subscription.clone(), "[subscription]".to_owned()),
            (self.admin_user.clone(), "[admin]".to_owned()),
        ];
        redact(value, &mut names)
    }
}

fn redact(value: &Value, names: &mut Vec<(String, String)>) -> Value {
    match value {
        Value::String(s) => Value::String(redact_str(s, names)),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, names)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), redact(v, names)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn redact_str(s: &str, names: &mut Vec<(String, String)>) -> String {
    if TIME.is_match(s) {
        return "[time]".into();
    }
    if DATE.is_match(s) {
        return "[date]".into();
    }
    ID.replace_all(s, |c: &regex::Captures| {
        if c.get(3).is_some() {
            // `unique("org")`: the generated Org Admin's email.
            return "org[unique]".to_owned();
        }
        let id = &c[0];
        if let Some((_, name)) = names.iter().find(|(known, _)| known == id) {
            return name.clone();
        }
        let kind = c.get(1).map_or("ulid", |p| p.as_str()).replace('_', " ");
        let n = names
            .iter()
            .filter(|(_, name)| name.starts_with(&format!("[{kind} ")))
            .count();
        let name = format!("[{kind} {}]", n + 1);
        names.push((id.to_owned(), name.clone()));
        name
    })
    .into_owned()
}
