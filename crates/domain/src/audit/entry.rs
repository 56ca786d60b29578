//! How an audit event becomes a log entry (R25): its action word, the object it names, and the
//! before and after JSON every entry of its kind shows.

use super::event::AuditEvent;
use super::state::{MembershipState, SsoSettings};
use serde::Serialize;
use serde_json::{Value, json};

/// An event laid out as the log stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryParts {
    pub action: &'static str,
    /// The id of the changed object.
    pub target: String,
    /// What a person calls it (a team's name, a user's email), as it was at the time.
    pub target_name: Option<String>,
    pub before: Value,
    pub after: Value,
}

fn v<T: Serialize>(x: T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

impl AuditEvent {
    /// The entry's action word, e.g. `membership.remove`.
    pub fn action(&self) -> &'static str {
        self.parts().action
    }

    /// The entry this event becomes.
    pub fn parts(&self) -> EntryParts {
        use AuditEvent::*;
        let p = |action, target: &dyn ToString, name: Option<&str>, before, after| EntryParts {
            action,
            target: target.to_string(),
            target_name: name.map(str::to_owned),
            before,
            after,
        };
        match self {
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
            } => p(
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
            } => p(
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
            } => p(
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
            } => p("team.update", team, Some(&after.name), v(before), v(after)),
            TeamDeleted {
                team,
                text,
                login_type,
            } => p(
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
            } => p(
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
            } => p(
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
                p(
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
            } => p(
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
            } => p(
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
            } => p(
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
            } => p(
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
            } => p(
                "api_token.create",
                token,
                Some(name),
                Value::Null,
                json!({"scopes": scopes, "expires_at": expires_at}),
            ),
            ApiTokenRevoked { token, name } => p(
                "api_token.revoke",
                token,
                Some(name),
                json!({"revoked": false}),
                json!({"revoked": true}),
            ),
            OrgTimeZoneChanged { org, before, after } => p(
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
            } => p(
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
            } => p(
                "team.scim_update",
                team,
                Some(team_name),
                Value::Null,
                json!({"external_id": external_id}),
            ),
            BreakGlassSignIn { user, email } => p(
                "signin.break_glass",
                user,
                Some(email),
                Value::Null,
                json!({"method": "email_code"}),
            ),
            DomainClaimed { org, domain } => p(
                "domain.claim",
                org,
                Some(domain),
                Value::Null,
                json!({"domain": domain, "status": "pending"}),
            ),
            DomainVerified { org, domain, by } => p(
                "domain.verify",
                org,
                Some(domain),
                Value::Null,
                json!({"domain": domain, "status": "verified", "by": by}),
            ),
            DomainLapsed { org, domain } => p(
                "domain.lapse",
                org,
                Some(domain),
                json!({"status": "verified"}),
                json!({"domain": domain, "status": "lapsed"}),
            ),
            DomainRemoved { org, domain } => p(
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
            } => p(
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
            } => p(
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
            } => p(
                "signin.portal",
                user,
                Some(email),
                Value::Null,
                json!({"method": method}),
            ),
            SignedOut { user, email } => p(
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
            } => p(
                "membership.join_sso",
                user,
                Some(email),
                Value::Null,
                json!({"team_id": team, "team_name": team_name, "team_role": "member",
                    "app_access": true, "sso_policy_id": policy}),
            ),
            InvitationResent { user, email } => p(
                "user.invite",
                user,
                Some(email),
                Value::Null,
                json!({"invited": true}),
            ),
            OrgRoleRevoked { user, email, role } => p(
                "org_role.revoke",
                user,
                Some(email),
                json!({"role": role}),
                Value::Null,
            ),
            SubscriptionCreated {
                subscription,
                name,
                terms,
                period,
            } => p(
                "subscription.create",
                subscription,
                Some(name),
                Value::Null,
                json!({"name": name, "plan": terms.plan, "seats": terms.seats, "status": terms.status,
                    "unit_price_cents": terms.unit_price_cents, "period": period}),
            ),
            SubscriptionTermsChanged {
                subscription,
                name,
                before,
                after,
            } => p(
                "subscription.update",
                subscription,
                Some(name),
                v(before),
                v(after),
            ),
            SubscriptionRenamed {
                subscription,
                before,
                after,
            } => p(
                "subscription.rename",
                subscription,
                Some(after),
                json!({"name": before}),
                json!({"name": after}),
            ),
            PaymentMethodSet {
                subscription,
                name,
                before,
                after,
                exp_month,
                exp_year,
            } => p(
                "subscription.payment_method",
                subscription,
                Some(name),
                v(before),
                json!({"brand": after.brand, "last4": after.last4, "exp_month": exp_month, "exp_year": exp_year}),
            ),
            TeamAddedToSubscription {
                team,
                team_name,
                before,
                after,
            } => p(
                "subscription.team_add",
                team,
                Some(team_name),
                v(before),
                v(after),
            ),
            TeamReservationChanged {
                team,
                team_name,
                before,
                after,
            } => p(
                "subscription.team_reserve",
                team,
                Some(team_name),
                v(before),
                v(after),
            ),
            TeamRemovedFromSubscription {
                team,
                team_name,
                before,
            } => p(
                "subscription.team_remove",
                team,
                Some(team_name),
                v(before),
                json!({"subscription_id": null}),
            ),
            TeamMoved {
                team,
                team_name,
                before,
                after,
            } => p(
                "subscription.team_move",
                team,
                Some(team_name),
                v(before),
                v(after),
            ),
            InvoiceClosed {
                subscription,
                invoice,
                number,
                total_cents,
            } => p(
                "invoice.close",
                subscription,
                None,
                Value::Null,
                json!({"invoice_id": invoice, "number": number, "total_cents": total_cents}),
            ),
            InvoiceStatusChanged {
                invoice,
                number,
                before,
                after,
            } => p(
                "invoice.status",
                invoice,
                Some(&format!("Invoice {number}")),
                json!({"status": before}),
                json!({"status": after}),
            ),
            TeamSettingChanged {
                team,
                team_name,
                key,
                before,
                after,
            } => p(
                "team_setting.update",
                team,
                Some(team_name),
                json!({"key": key, "value": before}),
                json!({"key": key, "value": after}),
            ),
            PolicyCreated { policy, state } => p(
                "policy.create",
                policy,
                Some(&state.name),
                Value::Null,
                v(state),
            ),
            PolicyUpdated {
                policy,
                before,
                after,
            } => p(
                "policy.update",
                policy,
                Some(&after.name),
                v(before),
                v(after),
            ),
            PolicyDeleted { policy, state } => p(
                "policy.delete",
                policy,
                Some(&state.name),
                v(state),
                Value::Null,
            ),
            SsoPolicyCreated { policy, state } => p(
                "sso_policy.create",
                policy,
                Some(&state.name),
                Value::Null,
                sso(state),
            ),
            SsoPolicyUpdated {
                policy,
                before,
                after,
            } => p(
                "sso_policy.update",
                policy,
                Some(&after.name),
                sso(before),
                sso(after),
            ),
            SsoPolicyDeleted { policy, state } => p(
                "sso_policy.delete",
                policy,
                Some(&state.name),
                sso(state),
                Value::Null,
            ),
            EnrollmentKeyCreated {
                key,
                team,
                team_name,
                expires_at,
                max_uses,
            } => p(
                "enrollment_key.create",
                key,
                Some(team_name),
                Value::Null,
                json!({"team_id": team, "expires_at": expires_at, "max_uses": max_uses}),
            ),
            EnrollmentKeyRevoked {
                key,
                team,
                team_name,
                was_revoked,
            } => p(
                "enrollment_key.revoke",
                key,
                Some(team_name),
                json!({"team_id": team, "revoked": was_revoked}),
                json!({"team_id": team, "revoked": true}),
            ),
            DeviceEnrolled {
                device,
                name,
                team,
                team_name,
            } => p(
                "device.enroll",
                device,
                Some(name),
                Value::Null,
                json!({"name": name, "team_id": team, "team_name": team_name}),
            ),
            DeviceRenamed {
                device,
                before,
                after,
            } => p(
                "device.rename",
                device,
                Some(after),
                json!({"name": before}),
                json!({"name": after}),
            ),
            DeviceRemoved { device, name, team } => p(
                "device.remove",
                device,
                Some(name),
                json!({"name": name, "team_id": team}),
                Value::Null,
            ),
            AppTeamChosen {
                user,
                email,
                before,
                after,
            } => p(
                "app_token.select_team",
                user,
                Some(email),
                json!({"team_id": before}),
                json!({"team_id": after}),
            ),
        }
    }
}

/// An SSO policy's settings flattened beside its name and teams, as entries show them.
fn sso(s: &SsoSettings) -> Value {
    let mut out = json!({"name": s.name, "team_ids": s.team_ids});
    if let (Value::Object(o), Value::Object(settings)) = (&mut out, &s.settings) {
        for (k, val) in settings {
            o.insert(k.clone(), val.clone());
        }
    }
    out
}
