//! The OpenAPI document is the API's contract: it is kept as a snapshot
//! (`tests/snapshots/openapi_snapshot__openapi.snap`), so every change to a route, a field, a
//! constraint or a problem response shows up as a diff to review. After an intended change, run
//! `INSTA_UPDATE=always cargo test -p switchboard-web --test openapi_snapshot` (or
//! `cargo insta review`) and commit the new snapshot with the change.

#[test]
fn openapi_document_changes_only_as_a_reviewed_diff() {
    let (_, api) = switchboard_web::router_and_api();
    let document = serde_json::to_value(&api).expect("the document serializes");
    insta::assert_json_snapshot!("openapi", document);
}

/// Generated clients name their functions after operation ids: two alike would collide.
#[test]
fn every_operation_id_is_unique() {
    let (_, api) = switchboard_web::router_and_api();
    let document = serde_json::to_value(&api).expect("the document serializes");
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id:?} names both {other} and {method} {path}");
            }
        }
    }
}
