//! A device-login team's workstations in the portal, on the team's page: enrolled devices (each
//! holds a seat; removing one frees it and ends its token) and enrollment keys (create — the key
//! is shown once, on the page that answers the form, never in a redirect — and revoke).

use super::browser::{FormError, OrgPage, PageAt, PageForm, PageResult, done};
use super::teams::{team_page, team_page_with_key};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::ids::{DeviceId, EnrollmentKeyId, TeamId};
use switchboard_service::ServiceError;
use switchboard_service::apps::CreateEnrollmentKey;

/// Creates an enrollment key (optional use limit and expiry date) and shows it once.
pub async fn create_key(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(team): PageAt<TeamId>,
    PageForm(f): PageForm,
) -> PageResult {
    let max_uses = match f.get("max_uses").trim() {
        "" => Ok(None),
        n => n.parse::<i64>().map(Some).map_err(|_| {
            ServiceError::invalid(
                "max_uses",
                "a whole number of devices, or blank for no limit",
            )
        }),
    };
    // A date from the form's date field means the end of that day, UTC.
    let expires_at = f.optional("expires_at").map(|d| {
        if d.len() == 10 {
            format!("{d}T23:59:59Z")
        } else {
            d
        }
    });
    let created = match max_uses {
        Ok(max_uses) => {
            let key = CreateEnrollmentKey {
                expires_at,
                max_uses,
            };
            state
                .services
                .create_enrollment_key(&p.who, &req, &team, key)
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(k) => team_page_with_key(&state, &p, &team, None, None, k.key).await,
        Err(e) => team_page(&state, &p, &team, None, Some(FormError::from_service(e)?)).await,
    }
}

/// Revokes an enrollment key: no device enrolls with it any more.
pub async fn revoke_key(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt((team, key)): PageAt<(TeamId, EnrollmentKeyId)>,
    PageForm(_): PageForm,
) -> PageResult {
    match state
        .services
        .revoke_enrollment_key(&p.who, &req, &team, &key)
        .await
    {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/teams/{team}", p.who.org),
            "Revoked the enrollment key; devices enrolled with it keep running.",
        )),
        Err(e) => team_page(&state, &p, &team, None, Some(FormError::from_service(e)?)).await,
    }
}

/// Removes a device: its seat is freed and its token stops working.
pub async fn remove_device(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt((team, device)): PageAt<(TeamId, DeviceId)>,
    PageForm(_): PageForm,
) -> PageResult {
    match state
        .services
        .remove_device(&p.who, &req, &team, &device)
        .await
    {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/teams/{team}", p.who.org),
            "Removed the device and freed its seat.",
        )),
        Err(e) => team_page(&state, &p, &team, None, Some(FormError::from_service(e)?)).await,
    }
}
