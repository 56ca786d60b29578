//! PATCH (RFC 7644 §3.5.2) on a resource's JSON: `add`, `replace` and `remove` (op names ignore
//! case), with a path (`active`, `name.givenName`, `emails[type eq "work"].value`,
//! `members[value eq "…"]`, `urn:…:User:userName`) or without one (an object of attributes, as
//! Okta and Microsoft Entra ID send, dotted names included), or on our extension
//! (`urn:…:switchboard:2.0:User` and `urn:…:switchboard:2.0:User:appAccess`). The result is
//! saved as a replacement, so PUT and PATCH keep one set of rules.

use super::ScimError;
use super::discovery::{GROUP_SCHEMA, USER_EXTENSION, USER_SCHEMA};
use serde_json::{Map, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidSyntax", detail)
}

fn path_error(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidPath", detail)
}

/// Applies a PatchOp body to `resource` (a JSON object).
pub fn apply(resource: &mut Value, body: &Value) -> Result<(), ScimError> {
    let ops = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| syntax("A PATCH needs Operations: a list of {op, path, value}."))?;
    for o in ops {
        let field = |name: &str| {
            o.as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v)
        };
        let op = match field("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            other => {
                return Err(syntax(format!(
                    "op must be add, replace or remove, not {other:?}"
                )));
            }
        };
        let value = field("value").cloned().unwrap_or(Value::Null);
        match field("path").and_then(Value::as_str) {
            Some(path) => apply_path(resource, op, path, value)?,
            None if op == Op::Remove => {
                return Err(ScimError::bad("noTarget", "A remove needs a path."));
            }
            None => {
                let Value::Object(values) = value else {
                    return Err(syntax(
                        "Without a path, value must be an object of attributes.",
                    ));
                };
                for (k, v) in values {
                    apply_path(resource, op, &k, v)?;
                }
            }
        }
    }
    // Entra ID sends booleans as strings ("False").
    if let Some(obj) = resource.as_object_mut() {
        for (k, v) in obj.iter_mut() {
            if k.eq_ignore_ascii_case("active")
                && let Some(b) = switchboard_service::scim::scim_bool(v)
            {
                *v = Value::Bool(b);
            }
        }
    }
    Ok(())
}

/// The key of `obj` that matches `name` ignoring case, or `name` itself.
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn apply_path(resource: &mut Value, op: Op, path: &str, value: Value) -> Result<(), ScimError> {
    let lower = path.to_ascii_lowercase();
    let ext = USER_EXTENSION.to_ascii_lowercase();
    if lower == "schemas" {
        return Ok(());
    }
    if let Some(rest) = lower.strip_prefix(&ext) {
        // Our extension is one attribute named by its URN, with `appAccess` inside.
        let obj = resource
            .as_object_mut()
            .ok_or_else(|| syntax("The resource is not an object."))?;
        let sub = rest.strip_prefix(':').map(|_| &path[ext.len() + 1..]);
        return set_attribute(obj, op, USER_EXTENSION, sub, value);
    }
    let mut path = path;
    for core in [USER_SCHEMA, GROUP_SCHEMA] {
        if lower.starts_with(&format!("{}:", core.to_ascii_lowercase())) {
            path = &path[core.len() + 1..];
        }
    }
    let obj = resource
        .as_object_mut()
        .ok_or_else(|| syntax("The resource is not an object."))?;
    // attr[filter](.sub)?
    if let Some(open) = path.find('[') {
        let close = path
            .rfind(']')
            .filter(|c| *c > open)
            .ok_or_else(|| path_error("A [ in the path is not closed."))?;
        let attr = &path[..open];
        let clauses = super::filter::parse(&path[open + 1..close])
            .map_err(|_| path_error(format!("Can't read the value filter of {path:?}.")))?;
        let sub = path[close + 1..].strip_prefix('.');
        let key = key_of(obj, attr);
        let items = obj
            .entry(key.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(items) = items else {
            return Err(path_error(format!("{attr} is not multi-valued.")));
        };
        let matches = |item: &Value| {
            clauses.iter().all(|c| {
                item.as_object()
                    .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(&c.path)))
                    .is_some_and(|(_, v)| match v {
                        Value::String(s) => s == &c.value,
                        other => serde_json::to_string(other).is_ok_and(|t| t == c.value),
                    })
            })
        };
        match (op, sub) {
            (Op::Remove, None) => items.retain(|i| !matches(i)),
            (Op::Remove, Some(sub)) => {
                for i in items.iter_mut().filter(|i| matches(i)) {
                    if let Some(m) = i.as_object_mut() {
                        let k = key_of(m, sub);
                        m.remove(&k);
                    }
                }
            }
            (_, Some(sub)) => {
                let mut found = false;
                for i in items.iter_mut().filter(|i| matches(i)) {
                    if let Some(m) = i.as_object_mut() {
                        let k = key_of(m, sub);
                        m.insert(k, value.clone());
                        found = true;
                    }
                }
                if !found {
                    let mut m = Map::new();
                    for c in &clauses {
                        m.insert(c.path.clone(), Value::String(c.value.clone()));
                    }
                    m.insert(sub.to_owned(), value);
                    items.push(Value::Object(m));
                }
            }
            (_, None) => {
                items.retain(|i| !matches(i));
                match value {
                    Value::Array(v) => items.extend(v),
                    Value::Null => {}
                    v => items.push(v),
                }
            }
        }
        if items.is_empty() {
            obj.remove(&key);
        }
        return Ok(());
    }
    // attr(.sub)?
    let (attr, sub) = match path.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (path, None),
    };
    set_attribute(obj, op, attr, sub, value)
}

/// `op` on the attribute `attr` (or its sub-attribute `sub`) of a resource.
fn set_attribute(
    obj: &mut Map<String, Value>,
    op: Op,
    attr: &str,
    sub: Option<&str>,
    value: Value,
) -> Result<(), ScimError> {
    let key = key_of(obj, attr);
    match (op, sub) {
        // Entra ID removes members by listing them as the value of a remove.
        (Op::Remove, None) if value.is_array() => {
            if let (Some(Value::Array(items)), Value::Array(gone)) = (obj.get_mut(&key), &value) {
                let ids = |v: &Value| v.get("value").cloned();
                items.retain(|i| !gone.iter().any(|g| ids(g).is_some() && ids(g) == ids(i)));
                if items.is_empty() {
                    obj.remove(&key);
                }
            }
        }
        (Op::Remove, None) => {
            obj.remove(&key);
        }
        (Op::Remove, Some(sub)) => {
            if let Some(Value::Object(m)) = obj.get_mut(&key) {
                let k = key_of(m, sub);
                m.remove(&k);
                if m.is_empty() {
                    obj.remove(&key);
                }
            }
        }
        (_, Some(sub)) => {
            let target = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(m) = target {
                let k = key_of(m, sub);
                m.insert(k, value);
            }
        }
        (Op::Add, None) => match (obj.get_mut(&key), value) {
            (Some(Value::Array(items)), Value::Array(more)) => {
                for v in more {
                    if !items.contains(&v) {
                        items.push(v);
                    }
                }
            }
            (Some(Value::Object(m)), Value::Object(more)) => {
                for (k, v) in more {
                    let k = key_of(m, &k);
                    m.insert(k, v);
                }
            }
            (_, v) => {
                obj.insert(key, v);
            }
        },
        (Op::Replace, None) => {
            obj.insert(key, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(mut r: Value, ops: Value) -> Value {
        apply(
            &mut r,
            &json!({"schemas": [super::super::PATCH_SCHEMA], "Operations": ops}),
        )
        .unwrap();
        r
    }

    #[test]
    fn okta_and_entra_deactivation_forms() {
        let u = json!({"userName": "a@b.com", "active": true});
        assert_eq!(
            patched(
                u.clone(),
                json!([{"op": "replace", "value": {"active": false}}])
            )["active"],
            false
        );
        assert_eq!(
            patched(
                u.clone(),
                json!([{"op": "Replace", "path": "active", "value": "False"}])
            )["active"],
            false
        );
        let e = patched(
            u,
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@b.com"},
                   {"op": "replace", "value": {"name.givenName": "Ana"}}]),
        );
        assert_eq!(e["emails"], json!([{"type": "work", "value": "a@b.com"}]));
        assert_eq!(e["name"], json!({"givenName": "Ana"}));
    }

    #[test]
    fn group_members_add_and_remove() {
        let g = json!({"displayName": "T", "members": [{"value": "u1"}]});
        let g = patched(
            g,
            json!([{"op": "add", "path": "members", "value": [{"value": "u2"}]}]),
        );
        assert_eq!(g["members"], json!([{"value": "u1"}, {"value": "u2"}]));
        let g = patched(
            g,
            json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]),
        );
        assert_eq!(g["members"], json!([{"value": "u2"}]));
        let g = patched(
            g,
            json!([{"op": "add", "path": "members", "value": [{"value": "u3"}]}]),
        );
        let g = patched(
            g,
            json!([{"op": "Remove", "path": "members", "value": [{"value": "u3"}]}]),
        );
        assert_eq!(g["members"], json!([{"value": "u2"}]));
        let g = patched(g, json!([{"op": "remove", "path": "members"}]));
        assert!(g.get("members").is_none());
    }
}
