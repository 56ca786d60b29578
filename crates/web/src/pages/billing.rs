//! Billing in the portal (Org Admins only; Org Analysts and Team Admins get no link and a 403):
//! subscriptions, and a subscription's page — its teams with seats used and reserved, **Manage
//! seats**, **Add team** (compatible teams only), **Move** to another subscription, the banner
//! when reserved teams are full (R15), rename, the payment method (never a card number, R12) and
//! invoices. Seat arithmetic and its refusals are the use cases'.

use super::browser::{
    FieldError, FormData, FormError, OrgPage, PageAt, PageError, PageForm, PageResult, done, page,
};
use super::human;
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::access::Action;
use switchboard_domain::ids::{SubscriptionId, TeamId};
use switchboard_service::ServiceError;
use switchboard_service::billing::{
    CompatibleTeamView, InvoiceView, MoveTeam, RenameSubscription, SubscriptionView, TeamAllocation,
};

/// Where an Org Admin adds a team to a subscription: the one subscription's **Add team** form,
/// or the list when there are several; `None` for someone who may not manage billing.
pub(super) async fn add_team_link(state: &AppState, p: &OrgPage) -> Option<String> {
    p.who.may(Action::ManageBilling).ok()?;
    let subs = state.services.list_subscriptions(&p.who).await.ok()?;
    Some(match subs.as_slice() {
        [one] => format!("/orgs/{}/billing/{}#add-team", p.who.org, one.id),
        _ => format!("/orgs/{}/billing", p.who.org),
    })
}

#[derive(askama::Template)]
#[template(path = "portal/billing.html")]
struct BillingPage {
    shell: Shell,
    org: String,
    subscriptions: Vec<SubscriptionView>,
}

/// `/orgs/{org}/billing`.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    p.who.may(Action::ViewBilling)?;
    let subscriptions = state.services.list_subscriptions(&p.who).await?;
    let shell = Shell::for_org(&state, &p, "Billing", Section::Billing).await?;
    Ok(page(
        &p.browser,
        &BillingPage {
            shell,
            org: p.who.org.to_string(),
            subscriptions,
        },
    ))
}

#[derive(askama::Template)]
#[template(path = "portal/subscription.html")]
struct SubscriptionPage {
    shell: Shell,
    org: String,
    sub: SubscriptionView,
    /// Other subscriptions a team can move to.
    others: Vec<SubscriptionView>,
    addable: Vec<CompatibleTeamView>,
    invoices: Vec<InvoiceView>,
    may_manage: bool,
    /// The vendor's payment page for this subscription, when configured.
    payment_url: Option<String>,
    /// "monthly", "yearly"; "active", "past due", …
    period_words: String,
    status_words: String,
    error: Option<FormError>,
}

async fn subscription_page(
    state: &AppState,
    p: &OrgPage,
    sub: &SubscriptionId,
    error: Option<FormError>,
) -> PageResult {
    let view = state.services.get_subscription(&p.who, sub).await?;
    let others = state
        .services
        .list_subscriptions(&p.who)
        .await?
        .into_iter()
        .filter(|s| s.id != view.id)
        .collect();
    let addable = state
        .services
        .compatible_teams(&p.who, sub)
        .await?
        .into_iter()
        .filter(|t| t.compatible && !view.teams.iter().any(|x| x.team_id == t.team_id))
        .collect();
    let invoices = state.services.list_invoices(&p.who, sub).await?;
    let shell = Shell::for_org(state, p, &view.name, Section::Billing).await?;
    Ok(page(
        &p.browser,
        &SubscriptionPage {
            shell,
            org: p.who.org.to_string(),
            may_manage: p.who.may(Action::ManageBilling).is_ok(),
            payment_url: state.services.config.payment_url.as_ref().map(|u| {
                u.replace("{org}", p.who.org.as_str())
                    .replace("{subscription}", &view.id)
            }),
            period_words: view.period.to_string(),
            status_words: view.status.to_string().replace('_', " "),
            sub: view,
            others,
            addable,
            invoices,
            error,
        },
    ))
}

/// `/orgs/{org}/billing/{sub}`.
pub async fn detail(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(sub): PageAt<SubscriptionId>,
) -> PageResult {
    subscription_page(&state, &p, &sub, None).await
}

/// A reservation as typed: blank means the team shares the pool.
/// The team a billing form names (a hidden field of ours): a malformed one is not found.
fn form_team(f: &FormData) -> Result<TeamId, PageError> {
    TeamId::parse(f.get("team_id")).ok_or_else(PageError::not_found)
}

fn reservation(f: &FormData) -> Result<Option<i64>, ServiceError> {
    match f.get("reserved_seats").trim() {
        "" => Ok(None),
        n => n.parse::<i64>().map(Some).map_err(|_| {
            ServiceError::invalid(
                "reserved_seats",
                "a whole number of seats, or blank to share the pool",
            )
        }),
    }
}

/// After a form of the subscription page: back to it with what happened, or the refusal. Only
/// the Add team and rename forms have fields of their own; a row's refusal goes to the summary.
async fn finish(
    state: &AppState,
    p: &OrgPage,
    sub: &SubscriptionId,
    result: Result<String, ServiceError>,
    own_fields: bool,
) -> PageResult {
    match result {
        Ok(message) => Ok(done(
            &format!("/orgs/{}/billing/{sub}", p.who.org),
            &message,
        )),
        Err(e) => {
            let mut error = FormError::from_service(e)?;
            if !own_fields {
                error.field = None;
            }
            subscription_page(state, p, sub, Some(error)).await
        }
    }
}

/// **Manage seats** of a team (also how a compatible team is added: `team_id` in the form).
pub async fn allocate(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(sub): PageAt<SubscriptionId>,
    PageForm(f): PageForm,
) -> PageResult {
    let team = form_team(&f)?;
    let adding = f.get("form") == "add_team";
    let result = match reservation(&f) {
        Ok(reserved_seats) => state
            .services
            .set_team_allocation(&p.who, &req, &sub, &team, TeamAllocation { reserved_seats })
            .await
            .map(|v| {
                let t = v.teams.iter().find(|t| t.team_id == team.as_str());
                match t {
                    Some(t) => match t.reserved_seats {
                        Some(r) => format!(
                            "Reserved {} for {}.",
                            human::counted(r, "seat", "seats"),
                            t.team_name
                        ),
                        None => format!("{} now shares the pool of unreserved seats.", t.team_name),
                    },
                    None => "Saved.".to_owned(),
                }
            }),
        Err(e) => Err(e),
    };
    finish(&state, &p, &sub, result, adding).await
}

/// Takes a team without seat holders out of the subscription.
pub async fn remove_team(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(sub): PageAt<SubscriptionId>,
    PageForm(f): PageForm,
) -> PageResult {
    let team = form_team(&f)?;
    let result = state
        .services
        .remove_team_from_subscription(&p.who, &req, &sub, &team)
        .await
        .map(|_| "The team left the subscription.".to_owned());
    finish(&state, &p, &sub, result, false).await
}

/// **Move** a team, with its seat holders, to another subscription.
pub async fn move_team(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(sub): PageAt<SubscriptionId>,
    PageForm(f): PageForm,
) -> PageResult {
    let team = form_team(&f)?;
    let to = f.get("to_subscription_id").to_owned();
    let result = match reservation(&f) {
        Ok(reserved_seats) => state
            .services
            .move_team(
                &p.who,
                &req,
                &sub,
                &team,
                MoveTeam {
                    to_subscription_id: to.clone(),
                    reserved_seats,
                },
            )
            .await
            .map(|v| format!("Moved to {}.", v.name)),
        Err(e) => Err(e),
    };
    finish(&state, &p, &sub, result, false).await
}

/// Renames the subscription.
pub async fn rename(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(sub): PageAt<SubscriptionId>,
    PageForm(f): PageForm,
) -> PageResult {
    let name = f.get("name").to_owned();
    let result = state
        .services
        .rename_subscription(&p.who, &req, &sub, RenameSubscription { name })
        .await
        .map(|v| format!("Renamed to {}.", v.name));
    finish(&state, &p, &sub, result, true).await
}
