//! `/scim/v2/Users`: list (filters, 1-based pages, attribute selection), `.search`, read, create,
//! replace, PATCH (applied to the user's JSON, then saved as a replacement) and delete; and the
//! root `/.search` over users and groups.

use super::filter::{self, Clause};
use super::render::{self, client_attributes};
use super::{
    RACE_RETRIES, ScimCaller, ScimError, ScimId, ScimQuery, ScimResult, body_json, if_match,
    list_response, page_of, scim_json,
};
use crate::AppState;
use crate::extract::InRequest;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use switchboard_domain::ids::UserId;
use switchboard_service::scim::UserQuery;

/// The query of a list (also the fields of a `.search` body).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl ListQuery {
    /// A SearchRequest body (RFC 7644 §3.4.3): lists of attributes become comma-separated.
    pub fn of_search(body: &Value) -> ScimResult<ListQuery> {
        let get = |name: &str| {
            body.as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v)
        };
        let list = |name: &str| {
            get(name).map(|v| match v {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                _ => String::new(),
            })
        };
        Ok(ListQuery {
            filter: get("filter").and_then(Value::as_str).map(str::to_owned),
            start_index: get("startIndex").and_then(Value::as_i64),
            count: get("count").and_then(Value::as_i64),
            attributes: list("attributes"),
            excluded_attributes: list("excludedAttributes"),
        })
    }
}

pub(super) fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.services.config.base_url)
}

fn user_query(clauses: &[Clause]) -> ScimResult<Option<UserQuery>> {
    let mut q = UserQuery::default();
    for c in clauses {
        match c.path.as_str() {
            "username" => q.user_name = Some(c.value.clone()),
            "externalid" => q.external_id = Some(c.value.clone()),
            "id" => match UserId::parse(&c.value) {
                Some(id) => q.id = Some(id),
                // An id of no user: an empty list.
                None => return Ok(None),
            },
            "emails" | "emails.value" => q.email = Some(c.value.clone()),
            other => {
                return Err(ScimError::bad(
                    "invalidFilter",
                    format!(
                        "Users can be filtered by userName, externalId, id or emails, not {other}."
                    ),
                ));
            }
        }
    }
    Ok(Some(q))
}

/// The users a list query selects, rendered.
pub(super) async fn user_page(
    state: &AppState,
    who: &ScimCaller,
    q: &ListQuery,
) -> ScimResult<(i64, i64, Vec<Value>)> {
    let clauses = match &q.filter {
        Some(f) => filter::parse(f)?,
        None => Vec::new(),
    };
    let (start, count) = page_of(q.start_index, q.count);
    let Some(query) = user_query(&clauses)? else {
        return Ok((0, start, Vec::new()));
    };
    let page = state
        .services
        .scim_users(&who.0, &query, start, count)
        .await?;
    let base = base(state);
    let items = page
        .items
        .iter()
        .map(|u| {
            render::select(
                render::user(&base, u),
                q.attributes.as_deref(),
                q.excluded_attributes.as_deref(),
            )
        })
        .collect();
    Ok((page.total, page.start, items))
}

pub async fn list(
    State(state): State<AppState>,
    who: ScimCaller,
    ScimQuery(q): ScimQuery<ListQuery>,
) -> ScimResult<Response> {
    let (total, start, items) = user_page(&state, &who, &q).await?;
    Ok(list_response(total, start, items))
}

pub async fn search(
    State(state): State<AppState>,
    who: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let q = ListQuery::of_search(&body_json(&body)?)?;
    let (total, start, items) = user_page(&state, &who, &q).await?;
    Ok(list_response(total, start, items))
}

/// `POST /.search`: users, then groups, in one list.
pub async fn root_search(
    State(state): State<AppState>,
    who: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let q = ListQuery::of_search(&body_json(&body)?)?;
    let (start, count) = page_of(q.start_index, q.count);
    let everything = ListQuery {
        start_index: Some(1),
        count: Some(super::MAX_COUNT),
        filter: q.filter.clone(),
        attributes: q.attributes.clone(),
        excluded_attributes: q.excluded_attributes.clone(),
    };
    let (_, _, mut items) = user_page(&state, &who, &everything).await?;
    let (_, _, groups) = super::groups::group_page(&state, &who, &everything).await?;
    items.extend(groups);
    let total = items.len() as i64;
    let page = items
        .into_iter()
        .skip((start - 1) as usize)
        .take(count as usize)
        .collect();
    Ok(list_response(total, start, page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadQuery {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

pub async fn read(
    State(state): State<AppState>,
    who: ScimCaller,
    ScimId(id): ScimId<UserId>,
    ScimQuery(q): ScimQuery<ReadQuery>,
) -> ScimResult<Response> {
    let u = state.services.scim_user(&who.0, &id).await?;
    let body = render::select(
        render::user(&base(&state), &u),
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    );
    Ok(scim_json(StatusCode::OK, body))
}

pub async fn create(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    body: Bytes,
) -> ScimResult<Response> {
    let attrs = client_attributes(body_json(&body)?);
    let u = state.services.scim_create_user(&who.0, &ctx, attrs).await?;
    Ok(scim_json(
        StatusCode::CREATED,
        render::user(&base(&state), &u),
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<UserId>,
    body: Bytes,
) -> ScimResult<Response> {
    let attrs = client_attributes(body_json(&body)?);
    let u = state
        .services
        .scim_replace_user(&who.0, &ctx, &id, attrs, if_match(&headers)?)
        .await?;
    Ok(scim_json(StatusCode::OK, render::user(&base(&state), &u)))
}

pub async fn patch(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<UserId>,
    body: Bytes,
) -> ScimResult<Response> {
    let ops = body_json(&body)?;
    let asked = if_match(&headers)?;
    // Read, apply, write; without `If-Match`, a write that lost a race is redone on the fresh
    // resource (see the groups' PATCH).
    let mut attempts = 0;
    let u = loop {
        attempts += 1;
        let current = state.services.scim_user(&who.0, &id).await?;
        let expected = asked.or(Some(current.version));
        let mut attrs = client_attributes(current.attrs);
        super::patch::apply(&mut attrs, &ops)?;
        match state
            .services
            .scim_replace_user(&who.0, &ctx, &id, attrs, expected)
            .await
        {
            Err(e) if e.is_stale_version() && asked.is_none() && attempts < RACE_RETRIES => {
                super::race_pause(attempts).await
            }
            done => break done?,
        }
    };
    Ok(scim_json(StatusCode::OK, render::user(&base(&state), &u)))
}

pub async fn delete(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<UserId>,
) -> ScimResult<StatusCode> {
    state
        .services
        .scim_delete_user(&who.0, &ctx, &id, if_match(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
