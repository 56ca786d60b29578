//! Ending memberships: one ([`leave`]; the last one takes the person out of the organization,
//! R7) or all of a person's in one organization ([`leave_org`], R8). Neither may leave the
//! organization without an Org Admin (R10).

use super::{Noted, Person};
use crate::ServiceResult;
use crate::write::Write;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::TeamId;
use switchboard_domain::role::OrgRole;
use switchboard_store::orgs::TeamRow;
use switchboard_store::people;

/// Ends `person`'s membership of `team` (in state `before`). When it is their last membership
/// in the organization (`last`), they leave the organization too — refused if they are its last
/// Org Admin.
pub async fn leave(
    w: &mut Write,
    team: &mut TeamRow,
    person: &Person,
    before: MembershipState,
    org_role: Option<OrgRole>,
    last: bool,
    noted: Noted,
) -> ServiceResult<()> {
    let org = team.org_id.clone();
    if last {
        crate::roles::guard_last_admin(w.db(), &org, org_role).await?;
        people::delete_org_member(w.db(), &org, &person.id).await?;
    }
    people::delete_membership(w.db(), &org, &person.id, &team.id, before.app_access).await?;
    team.seats_used -= i64::from(before.app_access);
    if noted == Noted::Own {
        w.record(AuditEvent::MembershipRemoved {
            user: person.id.clone(),
            email: person.email.clone(),
            team: team.id.clone(),
            team_name: team.name.clone(),
            before,
            org_role,
            removed_from_org: last,
        })
        .await?;
    }
    Ok(())
}

/// Takes `person` out of the organization: every membership (`teams`) and the org role at once,
/// recorded as one `RemovedFromOrg` entry — refused if they are its last Org Admin.
pub async fn leave_org(
    w: &mut Write,
    person: &Person,
    org_role: Option<OrgRole>,
    teams: Vec<TeamId>,
) -> ServiceResult<()> {
    let org = w.org().clone();
    crate::roles::guard_last_admin(w.db(), &org, org_role).await?;
    people::delete_memberships_of_user(w.db(), &org, &person.id).await?;
    people::delete_org_member(w.db(), &org, &person.id).await?;
    w.record(AuditEvent::RemovedFromOrg {
        user: person.id.clone(),
        email: person.email.clone(),
        org_role,
        teams,
    })
    .await
}
