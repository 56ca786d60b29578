//! The plan catalog: named feature sets a subscription can be on, with the login types they allow.
//! It is data (`catalog/plans.json` at the repository root), compiled in so a binary is whole.

use crate::DomainError;
use crate::team::LoginType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    pub name: String,
    pub label: String,
    pub features: Vec<String>,
    pub login_types: Vec<LoginType>,
    /// Price of one seat for one month, in cents.
    pub unit_price_cents: i64,
}

impl Plan {
    pub fn allows(&self, login: LoginType) -> bool {
        self.login_types.contains(&login)
    }

    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    /// Each feature's name as a person reads it (`noise_cancellation` → "Noise cancellation").
    features: BTreeMap<String, String>,
    plans: Vec<Plan>,
}

fn file() -> &'static CatalogFile {
    static FILE: OnceLock<CatalogFile> = OnceLock::new();
    FILE.get_or_init(|| {
        serde_json::from_str(include_str!("../../../catalog/plans.json"))
            .expect("catalog/plans.json is valid (checked by a unit test)")
    })
}

/// Every plan, in catalog order.
pub fn catalog() -> &'static [Plan] {
    &file().plans
}

/// A feature's label from the catalog; the name itself for a feature the catalog doesn't list.
pub fn feature_label(feature: &str) -> &str {
    file().features.get(feature).map_or(feature, String::as_str)
}

/// A plan's label from the catalog ("Enterprise" for `enterprise`); the name itself when unknown.
pub fn plan_label(plan: &str) -> &str {
    catalog()
        .iter()
        .find(|p| p.name == plan)
        .map_or(plan, |p| p.label.as_str())
}

/// The plan of this name, or a validation error listing the plans that exist.
pub fn find(name: &str) -> Result<&'static Plan, DomainError> {
    catalog().iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = catalog().iter().map(|p| p.name.as_str()).collect();
        DomainError::new(
            "plan",
            format!("unknown plan {name:?}; plans are: {}", names.join(", ")),
        )
    })
}

/// A seat count: a whole number from 0 to 1,000,000.
pub fn parse_seats(field: &'static str, n: i64) -> Result<i64, DomainError> {
    if !(0..=1_000_000).contains(&n) {
        return Err(DomainError::new(
            field,
            "must be a whole number from 0 to 1000000",
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_and_names_are_unique() {
        let plans = catalog();
        assert!(plans.len() >= 2);
        let mut names: Vec<_> = plans.iter().map(|p| &p.name).collect();
        names.dedup();
        assert_eq!(names.len(), plans.len());
        assert!(find("enterprise").unwrap().allows(LoginType::Device));
        assert!(!find("starter").unwrap().allows(LoginType::Device));
        assert!(find("gold").unwrap_err().reason.contains("starter"));
    }

    #[test]
    fn every_feature_has_a_label() {
        for p in catalog() {
            for f in &p.features {
                assert_ne!(
                    feature_label(f),
                    f,
                    "{f} has no label in catalog/plans.json"
                );
            }
        }
        for f in crate::settings::catalog()
            .iter()
            .filter_map(|s| s.feature.as_ref())
        {
            assert_ne!(
                feature_label(f),
                f,
                "{f} has no label in catalog/plans.json"
            );
        }
        assert_eq!(plan_label("enterprise"), "Enterprise");
    }

    #[test]
    fn seats_are_bounded() {
        assert!(parse_seats("seats", -1).is_err());
        assert_eq!(parse_seats("seats", 10).unwrap(), 10);
    }
}
