//! Billing (R12–R18): subscriptions as Org Admins see them, renaming, payment methods, seat
//! allocation per team, adding, moving and removing teams, and reading invoices. Operator-side
//! changes and closing periods live in [`crate::billing::operator`].

use crate::ProblemCode;
use switchboard_domain::ids::OrgId;
mod allocation;
mod invoices;
mod moves;
pub mod operator;
mod payment;
mod subscriptions;

use crate::seats::team_seats;
use crate::views::rfc3339;
use crate::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use switchboard_domain::audit::event::Placement;
use switchboard_domain::billing::{InvoiceLine, InvoiceStatus, Period, SubscriptionStatus};
use switchboard_domain::ids::SubscriptionId;
use switchboard_domain::plan;
use switchboard_domain::seats::{Pool, TeamSeats};
use switchboard_domain::team::LoginType;
use switchboard_store::Conn;
use switchboard_store::billing::{self, InvoiceRow, SubscriptionRow};
use switchboard_store::orgs::{self, TeamRow};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedPoolView {
    /// Seats left after reservations: `pool − Σ reservations`.
    pub size: i64,
    pub used: i64,
    pub free: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionTeamView {
    pub team_id: String,
    pub team_name: String,
    pub login_type: LoginType,
    /// Seat holders in the team, as in the team list.
    pub seats_used: i64,
    /// Deprecated: the same as `seats_used`.
    #[schema(deprecated)]
    pub used: i64,
    pub reserved_seats: Option<i64>,
    /// True for a reserved team holding all its reserved seats.
    pub limit_reached: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentMethodView {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeatWarning {
    /// `teams_at_allocated_limit` or `shared_pool_full`.
    pub code: String,
    pub message: String,
    pub team_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub plan_label: String,
    pub features: Vec<String>,
    pub login_types: Vec<LoginType>,
    /// The seat pool.
    pub seats: i64,
    pub used: i64,
    pub reserved: i64,
    pub free: i64,
    pub shared: SharedPoolView,
    pub status: SubscriptionStatus,
    pub period: Period,
    pub current_period_start: String,
    pub current_period_end: String,
    pub unit_price_cents: i64,
    pub payment_method: Option<PaymentMethodView>,
    pub teams: Vec<SubscriptionTeamView>,
    pub warnings: Vec<SeatWarning>,
    /// When the pool runs out at the present pace (R30).
    pub forecast: switchboard_domain::forecast::Forecast,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameSubscription {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodInput {
    /// The payment provider's token for the card; never the card number.
    #[schema(min_length = 1, max_length = 200, pattern = "^[A-Za-z0-9_-]+$")]
    pub provider_token: String,
    #[schema(min_length = 1, max_length = 30, pattern = "^[A-Za-z][A-Za-z ]*$")]
    pub brand: String,
    #[schema(pattern = "^[0-9]{4}$")]
    pub last4: String,
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub exp_year: i64,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamAllocation {
    /// Seats kept for the team (and its cap); null or absent: the team shares the pool.
    #[schema(minimum = 0, maximum = 1000000)]
    pub reserved_seats: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTeam {
    #[schema(min_length = 1, max_length = 64)]
    pub to_subscription_id: String,
    #[schema(minimum = 0, maximum = 1000000)]
    pub reserved_seats: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompatibleTeamView {
    pub team_id: String,
    pub team_name: String,
    pub login_type: LoginType,
    pub seats_used: i64,
    /// Deprecated: the same as `seats_used`.
    #[schema(deprecated)]
    pub used: i64,
    pub compatible: bool,
    /// Why the team can't be added, when it can't.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: String,
    /// Gapless across the deployment.
    pub number: i64,
    pub subscription_id: String,
    pub period_start: String,
    pub period_end: String,
    pub lines: Vec<InvoiceLine>,
    pub total_cents: i64,
    pub currency: String,
    pub status: InvoiceStatus,
    pub created_at: String,
}

/// An invoice as the API shows it; lines that don't decode are an error, never an invoice
/// silently without lines.
pub(crate) fn invoice_view(i: InvoiceRow) -> ServiceResult<InvoiceView> {
    Ok(InvoiceView {
        lines: switchboard_store::decode_json("invoice lines", &i.lines_json)?,
        id: i.id.into(),
        number: i.number,
        subscription_id: i.subscription_id.into(),
        period_start: rfc3339(i.period_start),
        period_end: rfc3339(i.period_end),
        total_cents: i.total_cents,
        currency: "USD".into(),
        status: i.status,
        created_at: rfc3339(i.created_at),
    })
}

/// Builds the view of a subscription from its row and its teams.
pub(crate) async fn subscription_view(
    c: &mut Conn,
    sub: SubscriptionRow,
) -> ServiceResult<SubscriptionView> {
    let teams = orgs::teams_of_subscription(c, &sub.org_id, &sub.id).await?;
    let pool = Pool {
        seats: sub.seats,
        teams: teams.iter().map(team_seats).collect(),
    };
    let plan = plan::find(&sub.plan).ok();
    let at_limit: Vec<String> = pool
        .teams_at_limit()
        .iter()
        .map(|t| t.team_id.clone())
        .collect();
    let mut warnings = Vec::new();
    if !at_limit.is_empty() {
        let names: Vec<String> = pool
            .teams_at_limit()
            .iter()
            .map(|t| t.team_name.clone())
            .collect();
        warnings.push(SeatWarning {
            code: "teams_at_allocated_limit".into(),
            message: format!(
                "Some teams have reached allocated seat limit: {}",
                names.join(", ")
            ),
            team_ids: at_limit.clone(),
        });
    }
    if pool.shared_pool_full() {
        warnings.push(SeatWarning {
            code: "shared_pool_full".into(),
            message:
                "The shared pool is full: teams without a reservation can't take another seat."
                    .into(),
            team_ids: pool
                .teams
                .iter()
                .filter(|t| t.reserved.is_none())
                .map(|t| t.team_id.clone())
                .collect(),
        });
    }
    let forecast = crate::seats::history::forecast_of(c, &sub.org_id, &sub.id, sub.seats).await?;
    let soon = |d: &str| d <= crate::seats::history::days_from_now(14).as_str();
    if let Some(on) = forecast
        .exhausted_on
        .as_deref()
        .filter(|d| soon(d))
        .or((pool.used_total() * 10 > sub.seats * 9).then_some(""))
    {
        warnings.push(SeatWarning {
            code: "pool_running_out".into(),
            message: if on.is_empty() {
                format!("Over 90 % of the {} seats are held.", sub.seats)
            } else {
                format!("At the present pace the pool is full on {on}.")
            },
            team_ids: Vec::new(),
        });
    }
    let payment_method = match (
        &sub.pm_brand,
        &sub.pm_last4,
        sub.pm_exp_month,
        sub.pm_exp_year,
    ) {
        (Some(brand), Some(last4), Some(exp_month), Some(exp_year)) => Some(PaymentMethodView {
            brand: brand.clone(),
            last4: last4.clone(),
            exp_month,
            exp_year,
        }),
        _ => None,
    };
    Ok(SubscriptionView {
        plan_label: plan
            .map(|p| p.label.clone())
            .unwrap_or_else(|| sub.plan.clone()),
        features: plan.map(|p| p.features.clone()).unwrap_or_default(),
        login_types: plan.map(|p| p.login_types.clone()).unwrap_or_default(),
        used: pool.used_total(),
        reserved: pool.reserved_total(),
        free: pool.free_total(),
        shared: SharedPoolView {
            size: pool.shared_size(),
            used: pool.shared_used(),
            free: (pool.shared_size() - pool.shared_used()).max(0),
        },
        teams: teams
            .into_iter()
            .map(|t| SubscriptionTeamView {
                limit_reached: at_limit.iter().any(|id| id == t.id.as_str()),
                login_type: t.login_type,
                team_id: t.id.into(),
                team_name: t.name,
                seats_used: t.seats_used,
                used: t.seats_used,
                reserved_seats: t.reserved_seats,
            })
            .collect(),
        warnings,
        forecast,
        current_period_start: rfc3339(sub.period_start),
        current_period_end: rfc3339(sub.period_end),
        payment_method,
        id: sub.id.into(),
        name: sub.name,
        plan: sub.plan,
        seats: sub.seats,
        status: sub.status,
        period: sub.period,
        unit_price_cents: sub.unit_price_cents,
    })
}

/// Loads a subscription of the caller's organization, or 404.
pub(crate) async fn load_subscription(
    c: &mut Conn,
    org: &OrgId,
    sub: &SubscriptionId,
) -> ServiceResult<SubscriptionRow> {
    let not_found = || ServiceError::NotFound {
        what: "subscription",
    };
    billing::get_subscription(c, org, sub)
        .await?
        .ok_or_else(not_found)
}

/// Why `team` can't join `sub`'s pool with `reserved`, if it can't (R16).
fn refuse_join(
    sub: &SubscriptionRow,
    pool: &Pool,
    team: &TeamRow,
    reserved: Option<i64>,
) -> Option<ServiceError> {
    let login = team.login_type;
    match plan::find(&sub.plan) {
        Ok(p) if !p.allows(login) => {
            return Some(ServiceError::conflict(
                ProblemCode::PlanIncompatible,
                format!(
                    "Plan {} does not allow {}-login teams like {}.",
                    p.label,
                    login.as_str(),
                    team.name
                ),
            ));
        }
        _ => {}
    }
    let next = pool.with_team(TeamSeats {
        reserved,
        ..team_seats(team)
    });
    next.violation().map(|v| {
        let detail = match (&v, reserved) {
            (switchboard_domain::seats::Violation::SharedPoolOverflow { .. }, None) => format!(
                "Team {} holds {} seats, more than the shared pool of subscription {} has free. Reserve seats for it or add seats.",
                team.name, team.seats_used, sub.name
            ),
            _ => v.detail(),
        };
        ServiceError::conflict(ProblemCode::from(v), detail)
    })
}

/// Where a team sits in billing now, for the audit log.
fn placement(t: &TeamRow) -> Placement {
    Placement {
        subscription_id: t.subscription_id.clone(),
        reserved_seats: t.reserved_seats,
        used: t.seats_used,
    }
}

fn parse_reservation(r: Option<i64>) -> ServiceResult<Option<i64>> {
    r.map(|n| plan::parse_seats("reserved_seats", n))
        .transpose()
        .map_err(Into::into)
}
