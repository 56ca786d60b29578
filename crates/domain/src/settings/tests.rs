//! Tests of [`super`] (settings.rs), kept apart so the rules read without them.

use super::*;
use serde_json::json;

fn map(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).unwrap()
}

#[test]
fn r19_catalog_loads_with_every_required_key() {
    for key in [
        "outbound_noise_cancellation",
        "inbound_noise_cancellation",
        "background_voice_cancellation",
        "accent_conversion",
        "agent_assist",
        "live_transcription",
        "call_summary",
        "recording_retention_days",
        "usage_analytics",
        "agents_can_change_settings",
        "auto_update_channel",
    ] {
        let s = spec(key).unwrap_or_else(|| panic!("{key} missing"));
        s.check(&s.default).unwrap();
    }
}

#[test]
fn every_enum_value_has_a_label_a_person_reads() {
    for s in catalog() {
        for v in s.values.iter().flatten() {
            let label = s.value_label(&json!(v));
            assert_ne!(
                &label, v,
                "{}: {v} has no label in catalog/settings.json",
                s.key
            );
        }
    }
    let b = spec("agent_assist").unwrap();
    assert_eq!(b.value_label(&json!(true)), "On");
    assert_eq!(b.value_label(&json!(false)), "Off");
}

#[test]
fn r19_values_are_checked_against_the_catalog() {
    check_values(&map(json!({"agent_assist": true, "recording_retention_days": 90, "auto_update_channel": "paused"}))).unwrap();
    for bad in [
        json!({"nope": true}),
        json!({"agent_assist": "yes"}),
        json!({"recording_retention_days": 3651}),
        json!({"recording_retention_days": 1.5}),
        json!({"auto_update_channel": "nightly"}),
    ] {
        assert!(check_values(&map(bad.clone())).is_err(), "{bad}");
    }
}

#[test]
fn r23_effective_value_follows_plan_policy_team_default() {
    let features: Vec<String> = vec!["noise_cancellation".into(), "agent_assist".into()];
    let team = map(
        json!({"agent_assist": true, "outbound_noise_cancellation": false, "accent_conversion": true}),
    );
    let policy = AppliedPolicy {
        id: "pol_1".into(),
        name: "Quiet floor".into(),
        values: map(json!({"outbound_noise_cancellation": true})),
    };
    let eff = resolve(&features, &team, &[policy]);
    let get = |k: &str| eff.iter().find(|e| e.key == k).unwrap().clone();
    assert_eq!(get("outbound_noise_cancellation").value, json!(true));
    assert!(get("outbound_noise_cancellation").locked);
    assert_eq!(get("agent_assist").source, Source::Team);
    assert_eq!(get("inbound_noise_cancellation").source, Source::Default);
    assert_eq!(
        get("accent_conversion").source,
        Source::Unavailable {
            missing_feature: "accent_conversion".into()
        }
    );
}
