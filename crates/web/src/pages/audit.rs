//! The audit log in the portal (`/orgs/{org}/audit`): filters (who, what, the object, a range
//! of days or times in the organization's time zone), newest first, page by page, each entry
//! as a sentence ("Assigned Org Analyst to vera@acme.com"), and **Download CSV** of the whole
//! filtered log (the same columns as the JSON API's export). Only Org Admins see it; anyone else
//! gets the same 403 page as every other page they may not use.

use super::browser::{FormError, OrgPage, PageResult, csv_download, page};
use super::shell::{Section, Shell};
use crate::AppState;
use axum::extract::{RawQuery, State};
use switchboard_domain::access::Action;
use switchboard_service::audit::AuditQuery;
use switchboard_service::views::AuditEntryView;

#[derive(askama::Template)]
#[template(path = "portal/audit.html")]
struct AuditPage {
    shell: Shell,
    org: String,
    entries: Vec<AuditEntryView>,
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
    next_page: Option<String>,
    csv: String,
    /// The actions to filter by, with their labels.
    actions: &'static [(&'static str, &'static str)],
    error: Option<FormError>,
}

/// `/orgs/{org}/audit`.
pub async fn list(
    State(state): State<AppState>,
    p: OrgPage,
    RawQuery(raw): RawQuery,
) -> PageResult {
    p.who.may(Action::ViewAudit)?;
    let raw = raw.unwrap_or_default();
    let field = |name: &str| {
        form_urlencoded::parse(raw.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let filters: Vec<(&str, String)> = ["actor", "action", "target", "from", "to"]
        .into_iter()
        .map(|k| (k, field(k)))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(filters.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let listed = match crate::input::query::<AuditQuery>(&raw) {
        Ok(q) => match state.services.audit_log(&p.who, &q).await {
            Ok(page) => Ok(page),
            Err(e) => Err(FormError::from_service(e)?),
        },
        Err(api) => Err(FormError::from_api(api)?),
    };
    let (entries, next, error) = match listed {
        Ok(page) => (page.items, page.next_cursor, None),
        Err(e) => (Vec::new(), None, Some(e)),
    };
    let base = format!("/orgs/{}/audit", p.who.org);
    let next_page = next.map(|c| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.extend_pairs(filters.iter().map(|(k, v)| (*k, v.as_str())));
        s.append_pair("cursor", &c);
        format!("{base}?{}", s.finish())
    });
    let csv = if query.is_empty() {
        format!("/orgs/{}/audit.csv", p.who.org)
    } else {
        format!("/orgs/{}/audit.csv?{query}", p.who.org)
    };
    let shell = Shell::for_org(&state, &p, "Audit log", Section::Audit).await?;
    Ok(page(
        &p.browser,
        &AuditPage {
            shell,
            org: p.who.org.to_string(),
            entries,
            actor: field("actor"),
            action: field("action"),
            target: field("target"),
            from: field("from"),
            to: field("to"),
            next_page,
            csv,
            actions: switchboard_domain::audit::ACTIONS,
            error,
        },
    ))
}

/// **Download CSV** of the filtered log: every entry, page after page, newest first.
pub async fn export(
    State(state): State<AppState>,
    p: OrgPage,
    RawQuery(raw): RawQuery,
) -> PageResult {
    p.who.may(Action::ViewAudit)?;
    let mut q = crate::input::query::<AuditQuery>(raw.as_deref().unwrap_or(""))?;
    q.limit = Some(500);
    q.format = None;
    let mut entries = Vec::new();
    loop {
        let page = state.services.audit_log(&p.who, &q).await?;
        entries.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    Ok(csv_download(
        "audit-log.csv",
        switchboard_service::audit::to_csv(&entries),
    ))
}
