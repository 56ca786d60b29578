//! The entries of organizations, teams, people, memberships, roles, tokens, domains and sign-ins (see [`super`]).

use super::{part, v};
use crate::audit::event::AuditEvent;
use crate::audit::state::MembershipState;
use serde_json::{Value, json};

/// The entry of one event of this area; [`AuditEvent::parts`] sends only this area's here.
pub(super) fn parts(e: &AuditEvent) -> super::EntryParts {
    use AuditEvent::*;
    match e {
        OrgProvisioned {
            org,
            team,
            team_name,
            login_type,
            subscription,
            plan,
            seats,
            admin,
            admin_email,
        } => part(
            "org.provision",
            org,
            None,
            Value::Null,
            json!({"team": {"id": team, "name": team_name, "login_type": login_type},
                "subscription": {"id": subscription, "plan": plan, "seats": seats},
                "admin": {"user_id": admin, "email": admin_email}}),
        ),
        OrgEstablished {
            org,
            name,
            first_org_admin,
        } => part(
            "org.establish",
            org,
            Some(name),
            Value::Null,
            json!({"name": name, "first_org_admin": first_org_admin}),
        ),
        TeamCreated {
            team,
            text,
            login_type,
        } => part(
            "team.create",
            team,
            Some(&text.name),
            Value::Null,
            json!({"name": text.name, "description": text.description, "login_type": login_type}),
        ),
        TeamUpdated {
            team,
            before,
            after,
        } => part("team.update", team, Some(&after.name), v(before), v(after)),
        TeamDeleted {
            team,
            text,
            login_type,
        } => part(
            "team.delete",
            team,
            Some(&text.name),
            json!({"name": text.name, "description": text.description, "login_type": login_type}),
            Value::Null,
        ),
        MembersAdded {
            team,
            team_name,
            state,
            users,
        } => part(
            "membership.bulk_add",
            team,
            Some(team_name),
            Value::Null,
            json!({"team_role": state.team_role, "app_access": state.app_access, "user_ids": users}),
        ),
        MembershipAdded {
            user,
            email,
            team,
            team_name,
            state,
        } => part(
            "membership.add",
            user,
            Some(email),
            Value::Null,
            json!({"team_id": team, "team_name": team_name, "team_role": state.team_role, "app_access": state.app_access}),
        ),
        MembershipUpdated {
            user,
            email,
            team,
            team_name,
            before,
            after,
        } => {
            let side = |s: &MembershipState| {
                json!({"team_id": team, "team_name": team_name,
                "team_role": s.team_role, "app_access": s.app_access})
            };
            part(
                "membership.update",
                user,
                Some(email),
                side(before),
                side(after),
            )
        }
        MembershipRemoved {
            user,
            email,
            team,
            team_name,
            before,
            org_role,
            removed_from_org,
        } => part(
            "membership.remove",
            user,
            Some(email),
            json!({"team_id": team, "team_name": team_name, "team_role": before.team_role,
                "app_access": before.app_access, "org_role": org_role}),
            json!({"removed_from_org": removed_from_org}),
        ),
        RemovedFromOrg {
            user,
            email,
            org_role,
            teams,
        } => part(
            "user.remove_from_org",
            user,
            Some(email),
            json!({"org_role": org_role, "team_ids": teams}),
            Value::Null,
        ),
        OrgRoleAssigned {
            user,
            email,
            role,
            added_to_initial_team,
            app_access,
        } => part(
            "org_role.assign",
            user,
            Some(email),
            Value::Null,
            json!({"role": role, "added_to_initial_team": added_to_initial_team, "app_access": app_access}),
        ),
        OrgRoleChanged {
            user,
            email,
            before,
            after,
        } => part(
            "org_role.change",
            user,
            Some(email),
            json!({"role": before}),
            json!({"role": after}),
        ),
        ApiTokenCreated {
            token,
            name,
            scopes,
            expires_at,
        } => part(
            "api_token.create",
            token,
            Some(name),
            Value::Null,
            json!({"scopes": scopes, "expires_at": expires_at}),
        ),
        ApiTokenRevoked { token, name } => part(
            "api_token.revoke",
            token,
            Some(name),
            json!({"revoked": false}),
            json!({"revoked": true}),
        ),
        OrgTimeZoneChanged { org, before, after } => part(
            "org.time_zone",
            org,
            None,
            json!({"time_zone": before}),
            json!({"time_zone": after}),
        ),
        ScimUserUpdated {
            user,
            email,
            active_before,
            active_after,
        } => part(
            "user.scim_update",
            user,
            Some(email),
            json!({"active": active_before}),
            json!({"active": active_after}),
        ),
        ScimGroupUpdated {
            team,
            team_name,
            external_id,
        } => part(
            "team.scim_update",
            team,
            Some(team_name),
            Value::Null,
            json!({"external_id": external_id}),
        ),
        BreakGlassSignIn { user, email } => part(
            "signin.break_glass",
            user,
            Some(email),
            Value::Null,
            json!({"method": "email_code"}),
        ),
        DomainClaimed { org, domain } => part(
            "domain.claim",
            org,
            Some(domain),
            Value::Null,
            json!({"domain": domain, "status": "pending"}),
        ),
        DomainVerified { org, domain, by } => part(
            "domain.verify",
            org,
            Some(domain),
            Value::Null,
            json!({"domain": domain, "status": "verified", "by": by}),
        ),
        SeatReleased {
            user,
            email,
            team,
            team_name,
            idle_from,
            idle_days,
        } => part(
            "seat.release",
            user,
            Some(email),
            json!({"team_id": team, "team_name": team_name, "app_access": true}),
            json!({"team_id": team, "team_name": team_name, "app_access": false,
                "reason": "idle", "idle_from": idle_from, "idle_days": idle_days}),
        ),
        SeatReleaseNoticed {
            user,
            email,
            team,
            team_name,
            release_on,
        } => part(
            "seat.release_notice",
            user,
            Some(email),
            Value::Null,
            json!({"team_id": team, "team_name": team_name, "release_on": release_on}),
        ),
        DomainLapsed { org, domain } => part(
            "domain.lapse",
            org,
            Some(domain),
            json!({"status": "verified"}),
            json!({"domain": domain, "status": "lapsed"}),
        ),
        DomainRemoved { org, domain } => part(
            "domain.remove",
            org,
            Some(domain),
            json!({"domain": domain}),
            Value::Null,
        ),
        SsoSubjectMismatch {
            user,
            email,
            policy,
        } => part(
            "signin.sso_subject_mismatch",
            user,
            Some(email),
            Value::Null,
            json!({"sso_policy_id": policy, "refused": true}),
        ),
        SsoLinkReset {
            user,
            email,
            policies,
        } => part(
            "sso.link_reset",
            user,
            Some(email),
            json!({"linked_policies": policies}),
            Value::Null,
        ),
        SignedIn {
            user,
            email,
            method,
        } => part(
            "signin.portal",
            user,
            Some(email),
            Value::Null,
            json!({"method": method}),
        ),
        SignedOut { user, email } => part(
            "signout.portal",
            user,
            Some(email),
            json!({"signed_in": true}),
            json!({"signed_in": false}),
        ),
        JoinedJustInTime {
            user,
            email,
            team,
            team_name,
            policy,
        } => part(
            "membership.join_sso",
            user,
            Some(email),
            Value::Null,
            json!({"team_id": team, "team_name": team_name, "team_role": "member",
                "app_access": true, "sso_policy_id": policy}),
        ),
        InvitationResent { user, email } => part(
            "user.invite",
            user,
            Some(email),
            Value::Null,
            json!({"invited": true}),
        ),
        OrgRoleRevoked { user, email, role } => part(
            "org_role.revoke",
            user,
            Some(email),
            json!({"role": role}),
            Value::Null,
        ),
        _ => unreachable!("AuditEvent::parts sends each area only its own events"),
    }
}
