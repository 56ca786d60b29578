//! Billing for Org Admins: subscriptions, seat allocation per team, moving teams, payment
//! methods and invoices (R12–R18).

use crate::AppState;
use crate::extract::{At, Body, InOrg, InRequest, OptionalBody, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use switchboard_domain::ids::{InvoiceId, SubscriptionId, TeamId};
use switchboard_service::ProblemCode;
use switchboard_service::billing::{
    CompatibleTeamView, InvoiceView, MoveTeam, PaymentMethodInput, RenameSubscription,
    SubscriptionView, TeamAllocation,
};
use switchboard_service::views::Page;
use utoipa::IntoParams;

/// The organization's subscriptions with seat use per team.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions", tag = "billing",
    responses((status = 200, body = Page<SubscriptionView>)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    InOrg(who): InOrg,
) -> ApiResult<Json<Page<SubscriptionView>>> {
    Ok(Json(Page {
        items: state.services.list_subscriptions(&who).await?,
        next_cursor: None,
    }))
}

/// One subscription: plan, features, pool, used / reserved / free, teams, warnings (R15).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}", tag = "billing",
    params(("sub" = String, Path)),
    responses((status = 200, body = SubscriptionView)))]
pub async fn get_subscription(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(sub): At<SubscriptionId>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(state.services.get_subscription(&who, &sub).await?))
}

/// Rename a subscription.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/subscriptions/{sub}", tag = "billing",
    params(("sub" = String, Path)), request_body = RenameSubscription,
    responses((status = 200, body = SubscriptionView), (status = 422, body = Problem)))]
pub async fn rename_subscription(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(sub): At<SubscriptionId>,
    Body(req): Body<RenameSubscription>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .rename_subscription(&who, &ctx, &sub, req)
            .await?,
    ))
}

/// Set the payment method: the provider's token, brand, last four digits and expiry — never a card number.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/subscriptions/{sub}/payment-method", tag = "billing",
    params(("sub" = String, Path)), request_body = PaymentMethodInput,
    responses((status = 200, body = SubscriptionView), (status = 422, body = Problem)))]
pub async fn set_payment_method(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At(sub): At<SubscriptionId>,
    Body(body): Body<serde_json::Value>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .set_payment_method(&who, &ctx, &sub, body)
            .await?,
    ))
}

/// Add a compatible team to the subscription and/or set or clear its reservation (R14, R16).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}", tag = "billing",
    params(("sub" = String, Path), ("team" = String, Path)), request_body = TeamAllocation,
    responses((status = 200, body = SubscriptionView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_team_allocation(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((sub, team)): At<(SubscriptionId, TeamId)>,
    OptionalBody(req): OptionalBody<TeamAllocation>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .set_team_allocation(&who, &ctx, &sub, &team, req)
            .await?,
    ))
}

/// Take a team holding no seats out of the subscription.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}", tag = "billing",
    params(("sub" = String, Path), ("team" = String, Path)),
    responses((status = 200, body = SubscriptionView), (status = 409, body = Problem)))]
pub async fn remove_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((sub, team)): At<(SubscriptionId, TeamId)>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .remove_team_from_subscription(&who, &ctx, &sub, &team)
            .await?,
    ))
}

/// Move a team to another subscription of the organization, in one step (R16).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}/move", tag = "billing",
    params(("sub" = String, Path), ("team" = String, Path)), request_body = MoveTeam,
    responses((status = 200, body = SubscriptionView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_team(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    InRequest(ctx): InRequest,
    At((sub, team)): At<(SubscriptionId, TeamId)>,
    Body(req): Body<MoveTeam>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(
        state
            .services
            .move_team(&who, &ctx, &sub, &team, req)
            .await?,
    ))
}

/// The organization's other teams, each saying whether it may join this subscription and why not (R16).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}/compatible-teams", tag = "billing",
    params(("sub" = String, Path)),
    responses((status = 200, body = Page<CompatibleTeamView>)))]
pub async fn compatible_teams(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(sub): At<SubscriptionId>,
) -> ApiResult<Json<Page<CompatibleTeamView>>> {
    Ok(Json(Page {
        items: state.services.compatible_teams(&who, &sub).await?,
        next_cursor: None,
    }))
}

/// The subscription's invoices, newest first (R18).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}/invoices", tag = "billing",
    params(("sub" = String, Path)),
    responses((status = 200, body = Page<InvoiceView>)))]
pub async fn list_invoices(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At(sub): At<SubscriptionId>,
) -> ApiResult<Json<Page<InvoiceView>>> {
    Ok(Json(Page {
        items: state.services.list_invoices(&who, &sub).await?,
        next_cursor: None,
    }))
}

switchboard_domain::text_enum!(
    /// How an invoice is answered: JSON, or a page ready to print.
    InvoiceAs, "format", { Json = "json", Html = "html" });

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceFormat {
    /// `json` (default) or `html` (ready to print).
    #[param(inline)]
    pub format: Option<InvoiceAs>,
}

struct HtmlLine {
    description: String,
    seats: i64,
    unit_price: String,
    months: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage {
    number: i64,
    subscription_name: String,
    subscription_id: String,
    period_start: String,
    period_end: String,
    status: String,
    created_at: String,
    currency: String,
    lines: Vec<HtmlLine>,
    total: String,
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn invoice_html(inv: InvoiceView, subscription_name: String) -> ApiResult<Response> {
    let page = InvoicePage {
        number: inv.number,
        subscription_name,
        subscription_id: inv.subscription_id,
        period_start: inv.period_start,
        period_end: inv.period_end,
        status: inv.status.to_string(),
        created_at: inv.created_at,
        currency: inv.currency,
        total: money(inv.total_cents),
        lines: inv
            .lines
            .into_iter()
            .map(|l| HtmlLine {
                description: l.description,
                seats: l.seats,
                unit_price: money(l.unit_price_cents),
                months: l.months,
                amount: money(l.amount_cents),
            })
            .collect(),
    };
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "invoice template failed");
        ApiError::new(ProblemCode::Internal, "The invoice could not be rendered.")
    })?;
    Ok(Html(html).into_response())
}

/// One invoice as JSON, or with `format=html` as a page ready to print.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}/invoices/{invoice}", tag = "billing",
    params(("sub" = String, Path), ("invoice" = String, Path), InvoiceFormat),
    responses((status = 200, description = "The invoice: JSON, or with `format=html` a page ready to print",
            content((InvoiceView = "application/json"), (String = "text/html"))),
        (status = 422, body = Problem)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At((sub, invoice)): At<(SubscriptionId, InvoiceId)>,
    Params(f): Params<InvoiceFormat>,
) -> ApiResult<Response> {
    let (inv, sub_row) = state.services.get_invoice(&who, &sub, &invoice).await?;
    match f.format {
        None | Some(InvoiceAs::Json) => Ok(Json(inv).into_response()),
        Some(InvoiceAs::Html) => invoice_html(inv, sub_row.name),
    }
}

/// Download one invoice as an HTML page ready to print.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{sub}/invoices/{invoice}/download", tag = "billing",
    security(("session" = [])),
    params(("sub" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, content_type = "text/html", body = String)))]
pub async fn download_invoice(
    State(state): State<AppState>,
    InOrg(who): InOrg,
    At((sub, invoice)): At<(SubscriptionId, InvoiceId)>,
) -> ApiResult<Response> {
    let (inv, sub_row) = state.services.get_invoice(&who, &sub, &invoice).await?;
    let filename = format!("invoice-{}.html", inv.number);
    let mut resp = invoice_html(inv, sub_row.name)?;
    let disposition = format!("attachment; filename=\"{filename}\"");
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        disposition.parse().expect("ASCII header"),
    );
    Ok(resp)
}
