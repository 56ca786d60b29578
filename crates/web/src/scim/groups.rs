//! `/scim/v2/Groups` (teams): list (filters by displayName, externalId, id; pages; attribute
//! selection, `excludedAttributes=members` as Entra ID asks), `.search`, read, create, replace,
//! PATCH (members added and removed, with and without a path) and delete.

use super::filter::{self, Clause};
use super::render;
use super::users::{ListQuery, ReadQuery, base};
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
use serde_json::{Value, json};
use switchboard_domain::ids::TeamId;
use switchboard_service::scim::{GroupQuery, get_ci};

fn group_query(clauses: &[Clause]) -> ScimResult<Option<GroupQuery>> {
    let mut q = GroupQuery::default();
    for c in clauses {
        match c.path.as_str() {
            "displayname" => q.display_name = Some(c.value.clone()),
            "externalid" => q.external_id = Some(c.value.clone()),
            "id" => match TeamId::parse(&c.value) {
                Some(id) => q.id = Some(id),
                None => return Ok(None),
            },
            other => {
                return Err(ScimError::bad(
                    "invalidFilter",
                    format!(
                        "Groups can be filtered by displayName, externalId or id, not {other}."
                    ),
                ));
            }
        }
    }
    Ok(Some(q))
}

pub(super) async fn group_page(
    state: &AppState,
    who: &ScimCaller,
    q: &ListQuery,
) -> ScimResult<(i64, i64, Vec<Value>)> {
    let clauses = match &q.filter {
        Some(f) => filter::parse(f)?,
        None => Vec::new(),
    };
    let (start, count) = page_of(q.start_index, q.count);
    let Some(query) = group_query(&clauses)? else {
        return Ok((0, start, Vec::new()));
    };
    let page = state
        .services
        .scim_groups(&who.0, &query, start, count)
        .await?;
    let base = base(state);
    let items = page
        .items
        .iter()
        .map(|g| {
            render::select(
                render::group(&base, g),
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
    let (total, start, items) = group_page(&state, &who, &q).await?;
    Ok(list_response(total, start, items))
}

pub async fn search(
    State(state): State<AppState>,
    who: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let q = ListQuery::of_search(&body_json(&body)?)?;
    let (total, start, items) = group_page(&state, &who, &q).await?;
    Ok(list_response(total, start, items))
}

pub async fn read(
    State(state): State<AppState>,
    who: ScimCaller,
    ScimId(id): ScimId<TeamId>,
    ScimQuery(q): ScimQuery<ReadQuery>,
) -> ScimResult<Response> {
    let g = state.services.scim_group(&who.0, &id).await?;
    let body = render::select(
        render::group(&base(&state), &g),
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    );
    Ok(scim_json(StatusCode::OK, body))
}

/// displayName, externalId and member ids of a group's JSON.
fn parts(v: &Value) -> ScimResult<(String, Option<String>, Vec<String>)> {
    let name = get_ci(v, "displayName")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))?
        .to_owned();
    let external = match get_ci(v, "externalId") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "externalId must be a string",
            ));
        }
    };
    let members = match get_ci(v, "members") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| {
                get_ci(m, "value")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ScimError::bad("invalidValue", "each member needs a value (a user id)")
                    })
            })
            .collect::<ScimResult<_>>()?,
        Some(_) => return Err(ScimError::bad("invalidValue", "members must be a list")),
    };
    Ok((name, external, members))
}

pub async fn create(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    body: Bytes,
) -> ScimResult<Response> {
    let (name, external, members) = parts(&body_json(&body)?)?;
    let g = state
        .services
        .scim_create_group(&who.0, &ctx, &name, external, members)
        .await?;
    Ok(scim_json(
        StatusCode::CREATED,
        render::group(&base(&state), &g),
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<TeamId>,
    body: Bytes,
) -> ScimResult<Response> {
    let (name, external, members) = parts(&body_json(&body)?)?;
    let g = state
        .services
        .scim_replace_group(
            &who.0,
            &ctx,
            &id,
            &name,
            external,
            members,
            if_match(&headers)?,
        )
        .await?;
    Ok(scim_json(StatusCode::OK, render::group(&base(&state), &g)))
}

pub async fn patch(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<TeamId>,
    body: Bytes,
) -> ScimResult<Response> {
    let ops = body_json(&body)?;
    let asked = if_match(&headers)?;
    // A PATCH is read, apply, write. Without `If-Match` the client set no precondition, so a
    // write that lost a race to another one is redone on the fresh resource (a provider adding
    // two members at once gets both), a few times at most.
    let mut attempts = 0;
    let g = loop {
        attempts += 1;
        let current = state.services.scim_group(&who.0, &id).await?;
        let expected = asked.or(Some(current.version));
        let mut v = json!({"displayName": current.display_name});
        if let Some(e) = &current.external_id {
            v["externalId"] = json!(e);
        }
        if !current.members.is_empty() {
            v["members"] = Value::Array(
                current
                    .members
                    .iter()
                    .map(|m| json!({"value": m}))
                    .collect(),
            );
        }
        super::patch::apply(&mut v, &ops)?;
        let (name, external, members) = parts(&v)?;
        match state
            .services
            .scim_replace_group(&who.0, &ctx, &id, &name, external, members, expected)
            .await
        {
            Err(e) if e.is_stale_version() && asked.is_none() && attempts < RACE_RETRIES => {
                super::race_pause(attempts).await
            }
            done => break done?,
        }
    };
    Ok(scim_json(StatusCode::OK, render::group(&base(&state), &g)))
}

pub async fn delete(
    State(state): State<AppState>,
    who: ScimCaller,
    InRequest(ctx): InRequest,
    headers: HeaderMap,
    ScimId(id): ScimId<TeamId>,
) -> ScimResult<StatusCode> {
    state
        .services
        .scim_delete_group(&who.0, &ctx, &id, if_match(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
