//! R19–R24: the settings catalog, team settings, setting policies and SSO policies.

mod policies;
mod sso_policies;
mod values;

use crate::helpers::{Org, TestApp};
use serde_json::Value;

fn setting<'a>(view: &'a Value, key: &str) -> &'a Value {
    view["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("{key} not in {view}"))
}

async fn settings_of(app: &TestApp, org: &Org, team: &str) -> Value {
    app.get(&org.path(&format!("/teams/{team}/settings")), &org.admin)
        .await
        .ok()
        .clone()
}
