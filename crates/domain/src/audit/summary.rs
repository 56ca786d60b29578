//! How a stored audit entry reads to a person: one sentence in the past tense ("Assigned Org
//! Analyst to vera@acme.com", "Created team Outbound Sales"), made from what the entry stores —
//! its action, the target's name at the time and the before/after values — so entries written
//! by earlier releases read the same way. The API returns it as `summary`; the portal shows it.

use crate::settings;
use serde_json::Value;

/// The sentence for one entry. An action this release doesn't know still reads ("team.archive
/// on Sales"), never as an empty cell.
pub fn summary(action: &str, target_name: Option<&str>, before: &Value, after: &Value) -> String {
    let name = target_name.unwrap_or("an object");
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let b = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool);
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64);
    let team_of = |v: &Value| {
        let t = s(v, "team_name");
        if t.is_empty() { "a team".to_owned() } else { t }
    };
    let access = |on: Option<bool>| match on {
        Some(true) => "with app access",
        _ => "without app access",
    };
    let role = |v: &Value, k: &str| role_words(&s(v, k)).to_owned();
    match action {
        "org.provision" => "Provisioned the organization".to_owned(),
        "org.establish" => format!("Named the organization {}", s(after, "name")),
        "org.time_zone" => format!("Set the time zone to {}", s(after, "time_zone")),
        "team.create" => format!("Created team {name}"),
        "team.update" => {
            let (was, now) = (s(before, "name"), s(after, "name"));
            if !was.is_empty() && was != now {
                format!("Renamed team {was} to {now}")
            } else {
                format!("Changed the description of team {name}")
            }
        }
        "team.delete" => format!("Deleted team {name}"),
        "team.scim_update" => format!("Linked team {name} to the identity provider's group"),
        "membership.bulk_add" => {
            let count = after
                .get("user_ids")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            format!(
                "Added {} to {name} as {} {}",
                people(count),
                team_role_words(&s(after, "team_role"), count != 1),
                access(b(after, "app_access"))
            )
        }
        "membership.add" => format!(
            "Added {name} to {} as {} {}",
            team_of(after),
            team_role_words(&s(after, "team_role"), false),
            access(b(after, "app_access"))
        ),
        "membership.join_sso" => format!("{name} joined {} through single sign-on", team_of(after)),
        "membership.update" => {
            let mut changes = Vec::new();
            if s(before, "team_role") != s(after, "team_role") {
                changes.push(format!(
                    "made {name} {} of {}",
                    team_role_words(&s(after, "team_role"), false),
                    team_of(after)
                ));
            }
            if b(before, "app_access") != b(after, "app_access") {
                let on = b(after, "app_access") == Some(true);
                changes.push(format!(
                    "turned app access {} for {name} in {}",
                    if on { "on" } else { "off" },
                    team_of(after)
                ));
            }
            match changes.len() {
                0 => format!("Saved {name}'s membership of {} unchanged", team_of(after)),
                _ => capitalized(&changes.join(" and ")),
            }
        }
        "membership.remove" => {
            let left = if b(after, "removed_from_org") == Some(true) {
                ", which removed them from the organization"
            } else {
                ""
            };
            format!("Removed {name} from {}{left}", team_of(before))
        }
        "user.remove_from_org" => format!("Removed {name} from the organization"),
        "user.invite" => format!("Sent {name} an invitation"),
        "user.scim_update" => match b(after, "active") {
            Some(false) => format!("Deactivated {name} from the identity provider"),
            _ => format!("Reactivated {name} from the identity provider"),
        },
        "org_role.assign" => format!("Assigned {} to {name}", role(after, "role")),
        "org_role.change" => format!(
            "Changed {name} from {} to {}",
            role(before, "role"),
            role(after, "role")
        ),
        "org_role.revoke" => format!("Revoked {name}'s {} role", role(before, "role")),
        "api_token.create" => format!("Created API token {name}"),
        "api_token.revoke" => format!("Revoked API token {name}"),
        "signin.break_glass" => format!("{name} signed in by email code (break-glass)"),
        "signin.portal" => format!("{name} signed in to the portal"),
        "signin.sso_subject_mismatch" => format!(
            "Refused a single sign-on as {name}: the identity provider vouched for another account with this email"
        ),
        "sso.link_reset" => {
            format!("Unlinked {name}'s identity provider account: their next sign-in links anew")
        }
        "domain.claim" => format!("Claimed the domain {name}"),
        "domain.verify" => match s(after, "by").as_str() {
            "operator" => format!("The vendor verified the domain {name}"),
            _ => format!("Verified the domain {name} by its DNS record"),
        },
        "seat.release" => format!(
            "Released the seat of {name} in {}: no call with the app for {} days",
            team_of(after),
            after
                .get("idle_days")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or_default()
        ),
        "seat.release_notice" => format!(
            "Told {name} their idle seat in {} is released on {}",
            team_of(after),
            s(after, "release_on")
        ),
        "domain.lapse" => format!("The domain {name} lapsed: its DNS record was gone 7 days"),
        "domain.remove" => format!("Removed the domain {name}"),
        "signout.portal" => format!("{name} signed out of the portal"),
        "subscription.create" => format!("Created subscription {name}"),
        "subscription.update" => {
            let (was, now) = (n(before, "seats"), n(after, "seats"));
            match (was, now) {
                (Some(w), Some(x)) if w != x => {
                    format!("Changed the seats of {name} from {w} to {x}")
                }
                _ => format!("Changed the terms of {name}"),
            }
        }
        "subscription.rename" => format!(
            "Renamed subscription {} to {}",
            s(before, "name"),
            s(after, "name")
        ),
        "subscription.payment_method" => format!("Set the payment method of {name}"),
        "subscription.team_add" => format!("Added team {name} to a subscription"),
        "subscription.team_reserve" => match n(after, "reserved_seats") {
            Some(r) => format!("Reserved {} for team {name}", seats(r)),
            None => format!("Let team {name} share the pool"),
        },
        "subscription.team_remove" => format!("Took team {name} out of its subscription"),
        "subscription.team_move" => format!("Moved team {name} to another subscription"),
        "invoice.close" => format!("Closed invoice {}", s(after, "number")),
        "invoice.status" => format!("Marked {name} as {}", s(after, "status")),
        "team_setting.update" => {
            let key = s(after, "key");
            let label = settings::spec(&key).map_or(key.clone(), |sp| sp.label.clone());
            match (after.get("value"), settings::spec(&key)) {
                (Some(Value::Null) | None, _) => format!("Reset {label} to its default in {name}"),
                (Some(v), Some(sp)) => format!("Set {label} to {} in {name}", sp.value_label(v)),
                (Some(v), None) => format!("Set {label} to {v} in {name}"),
            }
        }
        "policy.create" => format!("Created policy {name}"),
        "policy.update" => format!("Changed policy {name}"),
        "policy.delete" => format!("Deleted policy {name}"),
        "sso_policy.create" => format!("Created SSO policy {name}"),
        "sso_policy.update" => format!("Changed SSO policy {name}"),
        "sso_policy.delete" => format!("Deleted SSO policy {name}"),
        "enrollment_key.create" => format!("Created an enrollment key for {name}"),
        "enrollment_key.revoke" => format!("Revoked an enrollment key of {name}"),
        "device.enroll" => format!("Enrolled device {name}"),
        "device.rename" => format!(
            "Renamed device {} to {}",
            s(before, "name"),
            s(after, "name")
        ),
        "device.remove" => format!("Removed device {name}"),
        "app_token.select_team" => format!("{name} chose a team in the app"),
        other => format!("{other} on {name}"),
    }
}

/// Every action the log writes, with what a person calls it, for the audit log's filter.
pub const ACTIONS: &[(&str, &str)] = &[
    ("signin.portal", "Signed in"),
    ("signout.portal", "Signed out"),
    ("signin.break_glass", "Signed in by break-glass"),
    (
        "signin.sso_subject_mismatch",
        "Single sign-on refused: another provider account",
    ),
    ("sso.link_reset", "Provider account unlinked"),
    ("domain.claim", "Domain claimed"),
    ("domain.verify", "Domain verified"),
    ("domain.lapse", "Domain lapsed"),
    ("seat.release", "Idle seat released"),
    ("seat.release_notice", "Idle seat notice sent"),
    ("domain.remove", "Domain removed"),
    ("org.provision", "Organization provisioned"),
    ("org.establish", "Organization named"),
    ("org.time_zone", "Time zone changed"),
    ("team.create", "Team created"),
    ("team.update", "Team changed"),
    ("team.delete", "Team deleted"),
    ("team.scim_update", "Team linked by SCIM"),
    ("membership.bulk_add", "Users added"),
    ("membership.add", "User added to a team"),
    ("membership.join_sso", "User joined by single sign-on"),
    ("membership.update", "Membership changed"),
    ("membership.remove", "User removed from a team"),
    ("user.remove_from_org", "User removed from the organization"),
    ("user.invite", "Invitation sent"),
    ("user.scim_update", "User changed by SCIM"),
    ("org_role.assign", "Org role assigned"),
    ("org_role.change", "Org role changed"),
    ("org_role.revoke", "Org role revoked"),
    ("api_token.create", "API token created"),
    ("api_token.revoke", "API token revoked"),
    ("subscription.create", "Subscription created"),
    ("subscription.update", "Subscription terms changed"),
    ("subscription.rename", "Subscription renamed"),
    ("subscription.payment_method", "Payment method set"),
    ("subscription.team_add", "Team added to a subscription"),
    ("subscription.team_reserve", "Seats reserved"),
    (
        "subscription.team_remove",
        "Team taken out of a subscription",
    ),
    ("subscription.team_move", "Team moved between subscriptions"),
    ("invoice.close", "Invoice closed"),
    ("invoice.status", "Invoice status changed"),
    ("team_setting.update", "Team setting changed"),
    ("policy.create", "Policy created"),
    ("policy.update", "Policy changed"),
    ("policy.delete", "Policy deleted"),
    ("sso_policy.create", "SSO policy created"),
    ("sso_policy.update", "SSO policy changed"),
    ("sso_policy.delete", "SSO policy deleted"),
    ("enrollment_key.create", "Enrollment key created"),
    ("enrollment_key.revoke", "Enrollment key revoked"),
    ("device.enroll", "Device enrolled"),
    ("device.rename", "Device renamed"),
    ("device.remove", "Device removed"),
    ("app_token.select_team", "Team chosen in the app"),
];

fn role_words(role: &str) -> &str {
    match role {
        "org_admin" => "Org Admin",
        "org_analyst" => "Org Analyst",
        "" => "no",
        other => other,
    }
}

fn team_role_words(role: &str, plural: bool) -> &'static str {
    match (role, plural) {
        ("team_admin", false) => "Team Admin",
        ("team_admin", true) => "Team Admins",
        (_, false) => "member",
        (_, true) => "members",
    }
}

fn people(n: usize) -> String {
    if n == 1 {
        "1 person".to_owned()
    } else {
        format!("{n} people")
    }
}

fn seats(n: i64) -> String {
    if n == 1 {
        "1 seat".to_owned()
    } else {
        format!("{n} seats")
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::summary;
    use serde_json::{Value, json};

    #[test]
    fn entries_read_as_sentences_in_the_past_tense() {
        let none = Value::Null;
        assert_eq!(
            summary(
                "org_role.assign",
                Some("vera@acme.com"),
                &none,
                &json!({"role": "org_analyst"})
            ),
            "Assigned Org Analyst to vera@acme.com"
        );
        assert_eq!(
            summary("team.create", Some("Outbound Sales"), &none, &json!({})),
            "Created team Outbound Sales"
        );
        assert_eq!(
            summary(
                "membership.update",
                Some("ana@acme.com"),
                &json!({"team_name": "Sales", "team_role": "member", "app_access": false}),
                &json!({"team_name": "Sales", "team_role": "member", "app_access": true})
            ),
            "Turned app access on for ana@acme.com in Sales"
        );
        assert_eq!(
            summary(
                "membership.bulk_add",
                Some("Sales"),
                &none,
                &json!({"team_role": "member", "app_access": true, "user_ids": ["a", "b"]})
            ),
            "Added 2 people to Sales as members with app access"
        );
        assert_eq!(
            summary(
                "team_setting.update",
                Some("Sales"),
                &json!({"key": "auto_update_channel", "value": null}),
                &json!({"key": "auto_update_channel", "value": "early_access"})
            ),
            "Set Auto-update channel to Early access in Sales"
        );
        assert_eq!(
            summary("team.archive", Some("Sales"), &none, &none),
            "team.archive on Sales"
        );
    }

    /// Every action word the log writes (read from `entry/`, where each event names its
    /// action) has its own sentence, so a new kind of entry can't fall back to its code.
    #[test]
    fn every_action_the_log_writes_reads_as_words() {
        let source = [
            include_str!("entry/people.rs"),
            include_str!("entry/billing.rs"),
            include_str!("entry/settings.rs"),
        ]
        .concat();
        let actions: Vec<&str> = source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|w| {
                w.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && !b.is_empty()
                        && (a.to_owned() + b)
                            .bytes()
                            .all(|c| c.is_ascii_lowercase() || c == b'_')
                })
            })
            .collect();
        assert!(actions.len() > 40, "{actions:?}");
        for a in actions {
            let text = summary(a, Some("x"), &Value::Null, &Value::Null);
            assert!(!text.starts_with(a), "{a} has no sentence in summary.rs");
            assert!(
                super::ACTIONS.iter().any(|(x, _)| *x == a),
                "{a} is not in ACTIONS (the audit log's filter)"
            );
        }
    }
}
