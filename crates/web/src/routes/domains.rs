//! R34: the organization's email domains — claim, verify by DNS, remove — and the operator's
//! word for one.

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest, Operator};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_domain::domain_name::DomainName;
use switchboard_domain::ids::OrgId;
use switchboard_service::domains::{ClaimDomain, DomainView};
use switchboard_service::views::Page;

/// The organization's domains, each with its status and the DNS record that proves it.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/domains", tag = "domains",
    responses((status = 200, body = Page<DomainView>)))]
pub async fn list_domains(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<DomainView>>> {
    Ok(Json(Page {
        items: state.services.list_domains(&who).await?,
        next_cursor: None,
    }))
}

/// Claim a domain: answers the TXT record to publish (`_switchboard-challenge.<domain>`).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/domains", tag = "domains",
    request_body = ClaimDomain,
    responses((status = 201, body = DomainView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn claim_domain(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    Body(req): Body<ClaimDomain>,
) -> ApiResult<(StatusCode, Json<DomainView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.claim_domain(&who, &ctx, req).await?),
    ))
}

/// Look the domain's TXT record up; found, the domain is verified (another organization's
/// verified domain: 409 `domain_claimed`).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/domains/{domain}/verify", tag = "domains",
    params(("domain" = String, Path, pattern = "^([^.\\s@/]{1,63}\\.)+[^.\\s@/]{1,63}\\.?$")),
    responses((status = 200, body = DomainView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn verify_domain(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(domain): At<DomainName>,
) -> ApiResult<Json<DomainView>> {
    Ok(Json(
        state.services.verify_domain(&who, &ctx, &domain).await?,
    ))
}

/// Remove a domain from the organization; it routes nobody afterwards.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/domains/{domain}", tag = "domains",
    params(("domain" = String, Path, pattern = "^([^.\\s@/]{1,63}\\.)+[^.\\s@/]{1,63}\\.?$")),
    responses((status = 204)))]
pub async fn remove_domain(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(domain): At<DomainName>,
) -> ApiResult<StatusCode> {
    state.services.remove_domain(&who, &ctx, &domain).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The operator marks a domain verified for an organization, audited (409 `domain_claimed`
/// when another organization has verified it).
#[utoipa::path(put, path = "/operator/v1/orgs/{org}/domains/{domain}", tag = "operator", security(("operator" = [])),
    params(("org" = String, Path), ("domain" = String, Path, pattern = "^([^.\\s@/]{1,63}\\.)+[^.\\s@/]{1,63}\\.?$")),
    responses((status = 200, body = DomainView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn operator_verify_domain(
    _: Operator,
    State(state): State<AppState>,
    InRequest(ctx): InRequest,
    // The domain is what this creates: a malformed one is a 422 naming `domain`, not a 404.
    At(org): At<OrgId>,
    Path((_org, domain)): Path<(String, String)>,
) -> ApiResult<Json<DomainView>> {
    Ok(Json(
        state
            .services
            .operator_verify_domain(&ctx, &org, &domain)
            .await?,
    ))
}
