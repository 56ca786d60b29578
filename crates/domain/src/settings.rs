//! Settings (R19–R23): the catalog is data (`catalog/settings.json`); values are checked against
//! it; the effective value of a key for a team is resolved in one pure function.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingType {
    Bool,
    Integer,
    Enum,
}

/// One key of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SettingSpec {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: SettingType,
    pub default: Value,
    /// The plan feature the setting needs; null when every plan has it.
    pub feature: Option<String>,
    pub label: String,
    pub help: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The allowed values of an enum setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// How an enum setting's values read to a person (`early_access` → "Early access").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_labels: Option<BTreeMap<String, String>>,
    /// An integer's value meaning "off", allowed besides `min`–`max` (`0` for 0 or 7–365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off: Option<i64>,
    /// Whether the apps get this setting in their entitlement; an admin setting that only
    /// Switchboard acts on (idle-seat release) is not sent.
    #[serde(default = "sent", skip_serializing_if = "is_sent")]
    pub sent_to_apps: bool,
}

fn sent() -> bool {
    true
}

fn is_sent(b: &bool) -> bool {
    *b
}

#[derive(Deserialize)]
struct CatalogFile {
    settings: Vec<SettingSpec>,
}

/// Every setting, in catalog order.
pub fn catalog() -> &'static [SettingSpec] {
    static CATALOG: OnceLock<Vec<SettingSpec>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let file: CatalogFile =
            serde_json::from_str(include_str!("../../../catalog/settings.json"))
                .expect("catalog/settings.json is valid (checked by a unit test)");
        file.settings
    })
}

pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    catalog().iter().find(|s| s.key == key)
}

/// A number with no fractional part (`486` or `486.0`, the same integer to JSON Schema) as an
/// integer.
fn whole(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// Values in their one stored form: whole numbers as integers.
pub fn canonical(values: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    values
        .into_iter()
        .map(|(k, v)| match (spec(&k).map(|s| &s.kind), whole(&v)) {
            (Some(SettingType::Integer), Some(n)) => (k, Value::from(n)),
            _ => (k, v),
        })
        .collect()
}

impl SettingSpec {
    /// A value as a person reads it: On/Off, a number, an enum value's label.
    pub fn value_label(&self, value: &Value) -> String {
        match (value, &self.kind) {
            (Value::Bool(true), _) => "On".to_owned(),
            (Value::Bool(false), _) => "Off".to_owned(),
            (Value::String(s), SettingType::Enum) => self
                .value_labels
                .as_ref()
                .and_then(|l| l.get(s))
                .cloned()
                .unwrap_or_else(|| s.clone()),
            (Value::String(s), _) => s.clone(),
            (other, _) => other.to_string(),
        }
    }

    /// R19: checks a value against this key's type and range.
    pub fn check(&self, value: &Value) -> Result<(), DomainError> {
        let field = "values";
        let fail = |why: String| Err(DomainError::new(field, format!("{}: {why}", self.key)));
        match self.kind {
            SettingType::Bool if value.is_boolean() => Ok(()),
            SettingType::Bool => fail(format!("must be true or false, not {value}")),
            SettingType::Integer => match whole(value) {
                Some(n) if self.min.is_none_or(|m| n >= m) && self.max.is_none_or(|m| n <= m) => {
                    Ok(())
                }
                Some(n) if self.off == Some(n) => Ok(()),
                Some(n) => fail(format!(
                    "{n} is out of range {}{}–{}",
                    self.off
                        .map(|o| format!("{o} (off) or "))
                        .unwrap_or_default(),
                    self.min.unwrap_or(i64::MIN),
                    self.max.unwrap_or(i64::MAX)
                )),
                None => fail(format!("must be a whole number, not {value}")),
            },
            SettingType::Enum => {
                let allowed = self.values.as_deref().unwrap_or_default();
                match value.as_str() {
                    Some(s) if allowed.iter().any(|a| a == s) => Ok(()),
                    _ => fail(format!(
                        "must be one of {}, not {value}",
                        allowed.join(", ")
                    )),
                }
            }
        }
    }
}

/// R19: a set of key → value, every key known and every value of the right type.
pub fn check_values(values: &BTreeMap<String, Value>) -> Result<(), DomainError> {
    for (key, value) in values {
        let Some(spec) = spec(key) else {
            let known: Vec<&str> = catalog().iter().map(|s| s.key.as_str()).collect();
            return Err(DomainError::new(
                "values",
                format!(
                    "unknown setting {key:?}; settings are: {}",
                    known.join(", ")
                ),
            ));
        };
        spec.check(value)?;
    }
    Ok(())
}

/// The policy a locked value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PolicyRef {
    pub id: String,
    pub name: String,
}

/// Where an effective value comes from: `"source": "default" | "team" | "policy" | "unavailable"`,
/// with `policy` (id and name) or `missing_feature` beside it. Written flat (see [`SourceDoc`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    Team,
    Policy {
        policy: PolicyRef,
    },
    /// The team's plan lacks the feature the setting needs.
    Unavailable {
        missing_feature: String,
    },
}

crate::text_enum!(
    /// The kind of a [`Source`].
    SourceKind, "source", { Default = "default", Team = "team", Policy = "policy", Unavailable = "unavailable" });

/// How a [`Source`] reads on the wire and in the OpenAPI document: one flat object (a tagged
/// union would be a `oneOf` inside an `allOf`, which client generators can't follow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Source)]
pub struct SourceDoc<'a> {
    pub source: SourceKind,
    /// With `"source": "policy"`: the policy that sets (and locks) the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'a PolicyRef>,
    /// With `"source": "unavailable"`: the plan feature the setting needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_feature: Option<&'a str>,
}

impl Source {
    pub fn doc(&self) -> SourceDoc<'_> {
        let (source, policy, missing_feature) = match self {
            Source::Default => (SourceKind::Default, None, None),
            Source::Team => (SourceKind::Team, None, None),
            Source::Policy { policy } => (SourceKind::Policy, Some(policy), None),
            Source::Unavailable { missing_feature } => (
                SourceKind::Unavailable,
                None,
                Some(missing_feature.as_str()),
            ),
        };
        SourceDoc {
            source,
            policy,
            missing_feature,
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.doc().serialize(s)
    }
}

impl utoipa::PartialSchema for Source {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <SourceDoc<'static> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Source {
    fn name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <SourceDoc<'static> as utoipa::ToSchema>::schemas(schemas);
    }
}

/// A setting policy applied to a team: its id, name and values.
#[derive(Debug, Clone)]
pub struct AppliedPolicy {
    pub id: String,
    pub name: String,
    pub values: BTreeMap<String, Value>,
}

/// The effective value of one key for a team.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Effective {
    pub key: String,
    /// Null when unavailable.
    pub value: Value,
    #[serde(flatten)]
    pub source: Source,
    /// True when a policy sets the key: the team can't change it.
    pub locked: bool,
}

/// R23: unavailable if the plan lacks the feature; else the policy's value (locked); else the
/// team's value; else the default.
pub fn resolve(
    features: &[String],
    team_values: &BTreeMap<String, Value>,
    policies: &[AppliedPolicy],
) -> Vec<Effective> {
    catalog()
        .iter()
        .map(|s| {
            if let Some(f) = &s.feature
                && !features.contains(f)
            {
                return Effective {
                    key: s.key.clone(),
                    value: Value::Null,
                    source: Source::Unavailable {
                        missing_feature: f.clone(),
                    },
                    locked: false,
                };
            }
            if let Some(p) = policies.iter().find(|p| p.values.contains_key(&s.key)) {
                return Effective {
                    key: s.key.clone(),
                    value: p.values[&s.key].clone(),
                    source: Source::Policy {
                        policy: PolicyRef {
                            id: p.id.clone(),
                            name: p.name.clone(),
                        },
                    },
                    locked: true,
                };
            }
            match team_values.get(&s.key) {
                Some(v) => Effective {
                    key: s.key.clone(),
                    value: v.clone(),
                    source: Source::Team,
                    locked: false,
                },
                None => Effective {
                    key: s.key.clone(),
                    value: s.default.clone(),
                    source: Source::Default,
                    locked: false,
                },
            }
        })
        .collect()
}

/// R22: the keys two value sets both set.
pub fn shared_keys(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    a.keys().filter(|k| b.contains_key(*k)).cloned().collect()
}

#[cfg(test)]
mod tests;

crate::text_enum!(
    /// What a policy governs: team settings (R21–R23) or single sign-on (R24).
    PolicyKind, "kind", { Setting = "setting", Sso = "sso" });
