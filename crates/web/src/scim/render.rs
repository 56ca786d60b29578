//! Resources as SCIM writes them — what the identity provider said, answered back exactly, plus
//! `id`, `schemas`, our extension and `meta` — and attribute selection (`attributes`,
//! `excludedAttributes`; `id` and `schemas` always stay).

use super::discovery::{GROUP_SCHEMA, USER_EXTENSION, USER_SCHEMA};
use serde_json::{Map, Value, json};
use switchboard_service::scim::{ScimGroup, ScimUser};
use switchboard_service::views::rfc3339;

fn meta(kind: &str, location: String, created: i64, updated: i64, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": rfc3339(created),
        "lastModified": rfc3339(updated),
        "location": location,
        "version": format!("W/\"{version}\""),
    })
}

/// What a client may set, from what it sent: not `id`, `meta`, `schemas`, `password` or
/// `groups`; of extensions, ours with its `appAccess` only (an empty one is none).
pub fn client_attributes(mut v: Value) -> Value {
    let ext = USER_EXTENSION.to_ascii_lowercase();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            // `password` is never kept (nor answered); `groups` is ours to say.
            !(k == "id"
                || k == "meta"
                || k == "schemas"
                || k == "password"
                || k == "groups"
                || (k.starts_with("urn:") && k != ext))
        });
        let key = m
            .keys()
            .find(|k| k.eq_ignore_ascii_case(USER_EXTENSION))
            .cloned();
        if let Some(key) = key {
            let keep = match m.get_mut(&key) {
                Some(Value::Object(e)) => {
                    e.retain(|k, _| k.eq_ignore_ascii_case("appAccess"));
                    !e.is_empty()
                }
                _ => false,
            };
            if keep {
                let e = m.remove(&key).unwrap_or_default();
                m.insert(USER_EXTENSION.to_owned(), e);
            } else {
                m.remove(&key);
            }
        }
    }
    v
}

pub fn user(base: &str, u: &ScimUser) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA, USER_EXTENSION]));
    out.insert("id".into(), json!(u.id));
    if let Value::Object(attrs) = client_attributes(u.attrs.clone()) {
        out.extend(attrs);
    }
    out.insert(
        "meta".into(),
        meta(
            "User",
            user_location(base, u.id.as_str()),
            u.created_at,
            u.updated_at,
            u.version,
        ),
    );
    Value::Object(out)
}

pub fn user_location(base: &str, id: &str) -> String {
    format!("{base}/Users/{id}")
}

pub fn group(base: &str, g: &ScimGroup) -> Value {
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.display_name,
    });
    if let Some(e) = &g.external_id {
        out["externalId"] = json!(e);
    }
    if !g.members.is_empty() {
        out["members"] = Value::Array(
            g.members
                .iter()
                .map(|m| json!({"value": m, "$ref": user_location(base, m.as_str()), "type": "User"}))
                .collect(),
        );
    }
    out["meta"] = meta(
        "Group",
        format!("{base}/Groups/{}", g.id),
        g.created_at,
        g.updated_at,
        g.version,
    );
    out
}

/// Comma-separated attribute names, lowercased, top-level part only (`name.givenName` → `name`).
fn names(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(|a| {
            let a = a.trim().to_ascii_lowercase();
            // `urn:…:User:userName` names the core attribute.
            let a = [USER_SCHEMA, GROUP_SCHEMA]
                .iter()
                .find_map(|s| {
                    a.strip_prefix(&format!("{}:", s.to_ascii_lowercase()))
                        .map(str::to_owned)
                })
                .unwrap_or(a);
            if a.starts_with("urn:") {
                a
            } else {
                a.split('.').next().unwrap_or_default().to_owned()
            }
        })
        .filter(|a| !a.is_empty())
        .collect()
}

/// Keeps `attributes` (if given) and drops `excludedAttributes`; `id`, `schemas` and `meta` stay.
pub fn select(mut v: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let keep = names(attributes);
    let drop = names(excluded);
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            if k == "id" || k == "schemas" || k == "meta" {
                return true;
            }
            (keep.is_empty() || keep.contains(&k)) && !drop.contains(&k)
        });
    }
    v
}
