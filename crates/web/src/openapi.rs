//! The OpenAPI document: built from the same route list as the router (so the two can't drift),
//! then completed with what the derive attributes can't say, so the document states every
//! constraint the server enforces and validates as OpenAPI 3.1:
//!
//! - every response has a description, every error is a problem document ([`ProblemResponses`]);
//! - ids in bodies have their prefixed shape, and setting values are typed by the settings
//!   catalog itself ([`Constraints`]), so a client generator and a fuzzer know exactly what a
//!   request may hold.

use serde_json::json;
use switchboard_domain::settings::{SettingType, catalog};
use utoipa::openapi::schema::{Array, Object, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// Every error response is a problem document: documented errors get the problem media type,
/// every response gets a description, and each operation gets a `default` response for the
/// statuses any route can answer (400, 413, 415 for bodies; 401; 404; 429; 500).
pub struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, api: &mut OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = ResponseBuilder::new()
            .description("A problem (RFC 9457)")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        for item in api.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for (status, resp) in op.responses.responses.iter_mut() {
                    let RefOr::T(r) = resp else { continue };
                    // OpenAPI requires a description on every response.
                    if r.description.is_empty() {
                        r.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("Response")
                            .to_owned();
                    }
                    if !status.starts_with('2')
                        && let Some(c) = r.content.shift_remove("application/json")
                    {
                        r.content.insert("application/problem+json".into(), c);
                    }
                }
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| RefOr::T(problem.clone()));
            }
        }
    }
}

/// What every organization route shares, said once here rather than on each route: the session
/// security (a bearer session or organization API token), the `org` path parameter first, and the
/// problems any of them can answer — 401 (not signed in), 403 (the role or the token's scopes
/// don't allow it), 404 (no such object in this organization, which is also how another
/// organization's objects answer). Every path parameter that names an id, on any route, states
/// its shape.
pub struct OrgRoutes;

impl utoipa::Modify for OrgRoutes {
    fn modify(&self, api: &mut OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::security::SecurityRequirement;
        use utoipa::openapi::{ObjectBuilder, Ref, Required, ResponseBuilder, Type};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in api.paths.paths.iter_mut() {
            let in_org = path.starts_with("/api/v1/orgs/{org}");
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let params = op.parameters.get_or_insert_with(Vec::new);
                if in_org {
                    let named = |p: &RefOr<utoipa::openapi::path::Parameter>| matches!(p, RefOr::T(p) if p.name == "org");
                    if !params.iter().any(named) {
                        let org = ParameterBuilder::new()
                            .name("org")
                            .parameter_in(ParameterIn::Path)
                            .required(Required::True)
                            .build();
                        params.insert(0, RefOr::T(org));
                    }
                    op.security
                        .get_or_insert_with(|| vec![SecurityRequirement::new("session", [""; 0])]);
                    for (status, what) in [
                        ("401", "Not signed in (unauthorized)"),
                        ("403", "Not allowed for this role or token (forbidden)"),
                        ("404", "No such object in this organization (not_found)"),
                    ] {
                        op.responses
                            .responses
                            .entry(status.into())
                            .or_insert_with(|| problem(what));
                    }
                }
                for p in params.iter_mut() {
                    let RefOr::T(p) = p else { continue };
                    if p.parameter_in != ParameterIn::Path {
                        continue;
                    }
                    let Some(prefix) = crate::extract::id_prefix_of_param(&p.name) else {
                        continue;
                    };
                    p.schema = Some(RefOr::T(Schema::Object(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(id_pattern(prefix)))
                            .build(),
                    )));
                }
                if params.is_empty() {
                    op.parameters = None;
                }
            }
        }
    }
}

/// The shape of an id with this prefix (`team_01J…`).
fn id_pattern(prefix: &str) -> String {
    format!("^{prefix}_[0-9a-z]{{26}}$")
}

/// The id prefix of a property named like `team_id`, `to_subscription_id`, `team_ids`.
fn id_prefix(property: &str) -> Option<&'static str> {
    let base = property.trim_end_matches('s').trim_start_matches("to_");
    Some(match base {
        "team_id" => "team",
        "subscription_id" => "sub",
        "user_id" => "usr",
        "org_id" => "org",
        "invoice_id" => "inv",
        "device_id" => "dev",
        _ => return None,
    })
}

/// The catalog's keys as an object schema: each key typed (bool, integer range, enum);
/// `clearable` adds `null` (a team clears its own value with null).
fn values_schema(clearable: bool) -> Schema {
    let mut properties = serde_json::Map::new();
    for s in catalog() {
        let mut p = match s.kind {
            SettingType::Bool => json!({"type": "boolean"}),
            SettingType::Integer => match s.off {
                Some(off) => json!({"oneOf": [{"type": "integer", "enum": [off]},
                    {"type": "integer", "minimum": s.min, "maximum": s.max}]}),
                None => json!({"type": "integer", "minimum": s.min, "maximum": s.max}),
            },
            SettingType::Enum => json!({"type": "string", "enum": s.values}),
        };
        if clearable {
            p = json!({"oneOf": [p, {"type": "null"}]});
        }
        p["description"] = json!(s.label);
        properties.insert(s.key.clone(), p);
    }
    let doc = json!({
        "type": "object",
        "description": "Setting keys of the catalog (GET /api/v1/settings/catalog) to values.",
        "properties": properties,
        "additionalProperties": false,
        "minProperties": 1,
    });
    serde_json::from_value(doc).expect("a valid schema")
}

/// Constraints the derive attributes can't state.
pub struct Constraints;

/// The request fields that hold a [`switchboard_domain::team::Name`] (checked by `Name::parse`)
/// or a description: their pattern is stated here, once, from the domain's own constant.
const NAME_FIELDS: &[(&str, &str)] = &[
    ("CreateTeam", "name"),
    ("CreateTeam", "organization_name"),
    ("UpdateTeam", "name"),
    ("NewTeam", "name"),
    ("CreatePolicy", "name"),
    ("UpdatePolicy", "name"),
    ("CreateSsoPolicy", "name"),
    ("UpdateSsoPolicy", "name"),
    ("CreateSubscription", "name"),
    ("RenameSubscription", "name"),
    ("Enroll", "device_name"),
    ("RenameDevice", "name"),
];
const DESCRIPTION_FIELDS: &[(&str, &str)] = &[
    ("CreateTeam", "description"),
    ("UpdateTeam", "description"),
    ("NewTeam", "description"),
];

/// Gives the named schema's property `field` the `pattern`.
fn pattern_on(object: &mut Object, field: &str, pattern: &str) {
    if let Some(RefOr::T(Schema::Object(s))) = object.properties.get_mut(field) {
        s.pattern = Some(pattern.to_owned());
    }
}

/// Operations whose body may be left out altogether (every field optional; see
/// `extract::OptionalBody`).
const OPTIONAL_BODIES: &[(&str, &str)] = &[
    ("put", "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}"),
    ("post", "/api/v1/orgs/{org}/teams/{team}/enrollment-keys"),
];

impl utoipa::Modify for Constraints {
    fn modify(&self, api: &mut OpenApi) {
        for (method, path) in OPTIONAL_BODIES {
            let Some(item) = api.paths.paths.get_mut(*path) else {
                continue;
            };
            let op = match *method {
                "put" => item.put.as_mut(),
                _ => item.post.as_mut(),
            };
            if let Some(RefOr::T(body)) = op.and_then(|o| o.request_body.as_mut()) {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
        let Some(components) = api.components.as_mut() else {
            return;
        };
        for (name, schema) in components.schemas.iter_mut() {
            let RefOr::T(Schema::Object(object)) = schema else {
                continue;
            };
            constrain_ids(object);
            for (_, field) in NAME_FIELDS.iter().filter(|(s, _)| s == name) {
                pattern_on(object, field, switchboard_domain::team::NAME_PATTERN);
            }
            for (_, field) in DESCRIPTION_FIELDS.iter().filter(|(s, _)| s == name) {
                pattern_on(object, field, switchboard_domain::team::DESCRIPTION_PATTERN);
            }
            if matches!(name.as_str(), "CreatePolicy" | "UpdatePolicy")
                && let Some(values) = object.properties.get_mut("values")
            {
                *values = RefOr::T(values_schema(false));
            }
            if matches!(name.as_str(), "CreateSsoPolicy" | "UpdateSsoPolicy") {
                constrain_sso(object);
            }
            if name == "TeamSettingsPatch" {
                *schema = RefOr::T(values_schema(true));
            }
        }
    }
}

/// An SSO policy's issuer and IdP metadata URL are https (plain http only on loopback); domains
/// look like example.com.
fn constrain_sso(object: &mut Object) {
    for url in ["issuer", "idp_metadata_url"] {
        if let Some(RefOr::T(Schema::Object(s))) = object.properties.get_mut(url) {
            s.pattern = Some(
                r"^(https://[^/\s]+|http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?)(/\S*)?$"
                    .into(),
            );
        }
    }
    if let Some(RefOr::T(Schema::Array(Array {
        items: utoipa::openapi::schema::ArrayItems::RefOrSchema(item),
        ..
    }))) = object.properties.get_mut("allowed_domains")
        && let RefOr::T(Schema::Object(s)) = item.as_mut()
    {
        s.pattern = Some(r"^@?[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$".into());
    }
}

/// Gives properties that hold ids (or lists of ids) their shape.
fn constrain_ids(object: &mut Object) {
    for (property, value) in object.properties.iter_mut() {
        let Some(prefix) = id_prefix(property) else {
            continue;
        };
        match value {
            RefOr::T(Schema::Object(s)) => s.pattern = Some(id_pattern(prefix)),
            RefOr::T(Schema::Array(Array { items, .. })) => {
                if let utoipa::openapi::schema::ArrayItems::RefOrSchema(item) = items
                    && let RefOr::T(Schema::Object(s)) = item.as_mut()
                {
                    s.pattern = Some(id_pattern(prefix));
                }
            }
            _ => {}
        }
    }
}

/// The body of `PATCH …/teams/{team}/settings`: setting keys to values, `null` clearing the
/// team's own value. (Its schema is built from the catalog; see [`Constraints`].)
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TeamSettingsPatch {
    values: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_properties_are_recognised() {
        assert_eq!(id_prefix("team_id"), Some("team"));
        assert_eq!(id_prefix("team_ids"), Some("team"));
        assert_eq!(id_prefix("to_subscription_id"), Some("sub"));
        assert_eq!(id_prefix("name"), None);
        assert_eq!(id_pattern("team"), "^team_[0-9a-z]{26}$");
    }
}
