//! Discovery (RFC 7644 §4): what this service provider supports, its resource types and the
//! schemas of exactly the attributes it keeps and answers (a client builds its models from them).

use super::{LIST_SCHEMA, ScimError, scim_json};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub use switchboard_service::scim::USER_EXTENSION;

fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.services.config.base_url)
}

fn attr(name: &str, kind: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name, "type": kind, "multiValued": false, "required": false, "caseExact": false,
        "mutability": "readWrite", "returned": "default", "uniqueness": "none",
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

fn schemas_list(state: &AppState) -> Vec<Value> {
    let b = base(state);
    let user = json!({
        "id": USER_SCHEMA, "name": "User", "description": "A person of the organization (userName: their work email)",
        "attributes": [
            attr("userName", "string", json!({"required": true, "uniqueness": "server"})),
            attr("name", "complex", json!({"subAttributes": [
                attr("formatted", "string", json!({})),
                attr("familyName", "string", json!({})),
                attr("givenName", "string", json!({})),
            ]})),
            attr("displayName", "string", json!({})),
            attr("emails", "complex", json!({"multiValued": true, "required": true, "subAttributes": [
                attr("value", "string", json!({"required": true})),
                attr("type", "string", json!({"canonicalValues": ["work", "home", "other"]})),
                attr("primary", "boolean", json!({})),
            ]})),
            attr("active", "boolean", json!({"required": true})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{b}/Schemas/{USER_SCHEMA}")},
    });
    let group = json!({
        "id": GROUP_SCHEMA, "name": "Group", "description": "An email-login team",
        "attributes": [
            attr("displayName", "string", json!({"required": true})),
            attr("members", "complex", json!({"multiValued": true, "subAttributes": [
                attr("value", "string", json!({"mutability": "immutable"})),
                attr("$ref", "reference", json!({"mutability": "immutable", "referenceTypes": ["User"]})),
                attr("type", "string", json!({"mutability": "immutable", "canonicalValues": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{b}/Schemas/{GROUP_SCHEMA}")},
    });
    let extension = json!({
        "id": USER_EXTENSION, "name": "SwitchboardUser", "description": "Whether the person should run the app (default: yes while active); they then hold a seat where one is free",
        "attributes": [
            attr("appAccess", "boolean", json!({})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{b}/Schemas/{USER_EXTENSION}")},
    });
    [user, group, extension]
        .into_iter()
        .map(|mut s| {
            s["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]);
            s
        })
        .collect()
}

fn resource_types_list(state: &AppState) -> Vec<Value> {
    let b = base(state);
    vec![
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
            "name": "User", "description": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": USER_EXTENSION, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{b}/ResourceTypes/User")}}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group",
            "name": "Group", "description": "Group (an email-login team)", "endpoint": "/Groups",
            "schema": GROUP_SCHEMA, "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{b}/ResourceTypes/Group")}}),
    ]
}

fn list(items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": items.len(), "itemsPerPage": items.len(),
            "startIndex": 1, "Resources": items}),
    )
}

pub async fn service_provider_config(State(state): State<AppState>) -> Response {
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": super::MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "API token",
                "description": "An organization API token with the scim scope, as a bearer token",
                "primary": true}],
            "meta": {"resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", base(&state))},
        }),
    )
}

pub async fn resource_types(State(state): State<AppState>) -> Response {
    list(resource_types_list(&state))
}

pub async fn resource_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    resource_types_list(&state)
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim_json(StatusCode::OK, r))
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::NOT_FOUND,
                None,
                format!("No resource type {id}."),
            )
        })
}

pub async fn schemas(State(state): State<AppState>) -> Response {
    list(schemas_list(&state))
}

pub async fn schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    schemas_list(&state)
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, s))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, None, format!("No schema {id}.")))
}
