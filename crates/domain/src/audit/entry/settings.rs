//! The entries of team settings, setting and SSO policies, devices and the apps' team choice (see [`super`]).

use super::{part, sso, v};
use crate::audit::event::AuditEvent;
use serde_json::{Value, json};

/// The entry of one event of this area; [`AuditEvent::parts`] sends only this area's here.
pub(super) fn parts(e: &AuditEvent) -> super::EntryParts {
    use AuditEvent::*;
    match e {
        TeamSettingChanged {
            team,
            team_name,
            key,
            before,
            after,
        } => part(
            "team_setting.update",
            team,
            Some(team_name),
            json!({"key": key, "value": before}),
            json!({"key": key, "value": after}),
        ),
        PolicyCreated { policy, state } => part(
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
        } => part(
            "policy.update",
            policy,
            Some(&after.name),
            v(before),
            v(after),
        ),
        PolicyDeleted { policy, state } => part(
            "policy.delete",
            policy,
            Some(&state.name),
            v(state),
            Value::Null,
        ),
        SsoPolicyCreated { policy, state } => part(
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
        } => part(
            "sso_policy.update",
            policy,
            Some(&after.name),
            sso(before),
            sso(after),
        ),
        SsoPolicyDeleted { policy, state } => part(
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
        } => part(
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
        } => part(
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
        } => part(
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
        } => part(
            "device.rename",
            device,
            Some(after),
            json!({"name": before}),
            json!({"name": after}),
        ),
        DeviceRemoved { device, name, team } => part(
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
        } => part(
            "app_token.select_team",
            user,
            Some(email),
            json!({"team_id": before}),
            json!({"team_id": after}),
        ),
        _ => unreachable!("AuditEvent::parts sends each area only its own events"),
    }
}
