//! Reading request bodies and query strings into typed requests, with errors a person can act
//! on: a problem naming the `field` at fault (`team_role`, `team.name`, `emails[3]`) and saying
//! what is wrong in plain words — never serde's wording with line and column numbers.

use crate::problem::ApiError;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use switchboard_service::ProblemCode;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// True when the request declares a JSON body (`application/json`, optionally with parameters, or
/// a `+json` type).
pub fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::new(
        ProblemCode::UnsupportedMediaType,
        "Send the body as JSON with the header Content-Type: application/json.",
    )
}

/// Parses a JSON body into `T`. Whole numbers written with a fraction (`25.0`) are integers, as
/// JSON Schema counts them.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let detail = if e.is_eof() && e.line() == 1 && e.column() == 0 {
            "The body is empty; send a JSON object."
        } else if e.classify() == serde_json::error::Category::Syntax
            && e.to_string().contains("trailing")
        {
            "The body has something after its JSON value; send one JSON object."
        } else {
            "The body is not valid JSON; check its quotes, commas and brackets."
        };
        ApiError::new(ProblemCode::InvalidJson, detail)
    })?;
    whole_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = strip_position(&e.inner().to_string());
        field_error(&path, &message)
    })
}

/// Turns every number with a zero fraction into an integer, everywhere in `v`.
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Parses a query string into `T`. A parameter given empty (`?team=&q=`, as a form with blank
/// filters sends) is the same as one not given.
pub fn query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let given: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(raw.as_bytes()).filter(|(_, v)| !v.is_empty()))
        .finish();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(given.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, &e.inner().to_string())
    })
}

/// Drops serde_json's " at line L column C" suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The text between the first pair of backticks, as serde quotes names and values.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// A 422 problem naming the field, from serde's description of what went wrong there.
fn field_error(path: &str, message: &str) -> ApiError {
    let at = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let (field, detail) = if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or(rest).to_owned();
        let field = at(&name);
        let detail = format!("{field} is required");
        (field, detail)
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = quoted(rest).unwrap_or(rest).to_owned();
        // The path already ends at the unknown field.
        let field = if path.ends_with(name.as_str()) {
            path.to_owned()
        } else {
            at(&name)
        };
        let expected = rest
            .split_once("expected ")
            .map(|(_, e)| format!(" (expected {})", e.replace('`', "")))
            .unwrap_or_default();
        let detail = format!("{field} is not a field of this request{expected}");
        (field, detail)
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let given = quoted(rest).unwrap_or(rest);
        let expected = rest
            .split_once("expected ")
            .map(|(_, e)| e.replace('`', "\""))
            .unwrap_or_default();
        let field = path.to_owned();
        (
            field.clone(),
            format!("{field} must be {expected}, not \"{given}\""),
        )
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let field = path.to_owned();
        (
            field.clone(),
            format!("{field} must be {expected}, not {}", got.replace('`', "")),
        )
    } else if path.is_empty() || path == "." {
        (
            "body".to_owned(),
            format!("The body does not fit this request: {message}"),
        )
    } else {
        let field = path.to_owned();
        (
            field.clone(),
            format!("{field}: {}", message.replace('`', "")),
        )
    };
    ApiError::invalid(field, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        team_role: String,
        emails: Vec<String>,
        limit: Option<i64>,
    }

    fn problem(body: &str) -> (Option<String>, String) {
        let e = json_body::<Req>(body.as_bytes()).unwrap_err();
        (e.field().map(str::to_owned), e.detail().to_owned())
    }

    #[test]
    fn body_errors_name_the_field_in_plain_words() {
        let (f, d) = problem(r#"{"emails": []}"#);
        assert_eq!(
            (f.as_deref(), d.as_str()),
            (Some("team_role"), "team_role is required")
        );
        let (f, d) = problem(r#"{"team_role": "member", "emails": [], "colour": 1}"#);
        assert_eq!(f.as_deref(), Some("colour"));
        assert!(
            d.starts_with("colour is not a field of this request"),
            "{d}"
        );
        let (f, d) = problem(r#"{"team_role": 5, "emails": []}"#);
        assert_eq!(f.as_deref(), Some("team_role"));
        assert_eq!(d, "team_role must be a string, not integer 5");
        let (f, _) = problem(r#"{"team_role": "m", "emails": ["a", 3]}"#);
        assert_eq!(f.as_deref(), Some("emails[1]"));
        assert!(
            !problem(r#"{"team_role": 5, "emails": []}"#)
                .1
                .contains("line")
        );
        let e = json_body::<Req>(b"{nope").unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<i64>,
        }
        let e = query::<Q>("limit=abc").unwrap_err();
        assert_eq!(e.field(), Some("limit"));
    }
}
