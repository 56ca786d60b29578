//! Tests of the audit events (R25): an event names its target and lays out its before and after
//! as the log shows them.

use super::event::{AuditEvent, MembershipState};
use crate::ids::{TeamId, UserId};
use crate::role::TeamRole;

#[test]
fn r25_events_name_their_target_and_keep_the_log_shape() {
    let user = UserId::generate();
    let team = TeamId::generate();
    let e = AuditEvent::MembershipRemoved {
        user: user.clone(),
        email: "ana@example.com".into(),
        team: team.clone(),
        team_name: "Sales".into(),
        before: MembershipState {
            team_role: TeamRole::Member,
            app_access: true,
        },
        org_role: None,
        removed_from_org: true,
    };
    let parts = e.parts();
    assert_eq!(parts.action, "membership.remove");
    assert_eq!(parts.target, user.as_str());
    assert_eq!(parts.target_name.as_deref(), Some("ana@example.com"));
    assert_eq!(parts.before["team_id"], team.as_str());
    assert_eq!(parts.before["team_role"], "member");
    assert_eq!(parts.after["removed_from_org"], true);
}
