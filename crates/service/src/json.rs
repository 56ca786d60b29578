//! JSON input helpers for request types.

use serde::{Deserialize, Deserializer};

/// For an optional field that may be left out but not sent as `null` (the OpenAPI document says
/// it is not nullable): absent is `None`, a value is `Some`, and `null` is an error naming the
/// field. Use with `#[serde(default, deserialize_with = "crate::json::present")]`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "super::present")]
        name: Option<String>,
    }

    #[test]
    fn absent_is_none_a_value_is_some_and_null_is_refused() {
        let p: Patch = serde_json::from_str("{}").unwrap();
        assert_eq!(p.name, None);
        let p: Patch = serde_json::from_str(r#"{"name": "x"}"#).unwrap();
        assert_eq!(p.name.as_deref(), Some("x"));
        assert!(serde_json::from_str::<Patch>(r#"{"name": null}"#).is_err());
    }
}
