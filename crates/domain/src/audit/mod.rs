//! R25: the audit log is append-only and tamper-evident. Each entry's hash covers its own fields and
//! the previous entry's hash, so changing or deleting any entry breaks every hash after it.

mod entry;
pub mod event;
#[cfg(test)]
mod event_tests;
mod state;
mod summary;

pub use event::{AuditEvent, EntryParts};
use sha2::{Digest, Sha256};
pub use summary::{ACTIONS, summary};

/// The hash of the (absent) entry before an organization's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one audit entry that its hash covers.
#[derive(Debug, Clone)]
pub struct EntryFields<'a> {
    pub org_id: &'a str,
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    pub request_id: &'a str,
    /// The actor's and the target's names at the time (an email, a team's name). Covered by the
    /// hash when present; entries written before names were kept have none.
    pub actor_name: Option<&'a str>,
    pub target_name: Option<&'a str>,
}

/// `sha256(prev_hash ‖ each field, length-prefixed)` in hex. Length prefixes make the encoding
/// unambiguous: no two different entries hash the same bytes.
pub fn entry_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    let seq = e.seq.to_string();
    let at = e.at_ms.to_string();
    for part in [
        prev_hash,
        e.org_id,
        &seq,
        &at,
        e.actor,
        e.action,
        e.target,
        e.before,
        e.after,
        e.request_id,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    // Names are tagged, so an actor name can never be read as a target name or vice versa.
    for (tag, name) in [(b'a', e.actor_name), (b't', e.target_name)] {
        if let Some(n) = name {
            h.update([tag]);
            h.update((n.len() as u64).to_be_bytes());
            h.update(n.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> EntryFields<'_> {
        EntryFields {
            org_id: "org_x",
            seq: 1,
            at_ms: 5,
            actor: "usr_a",
            action,
            target: "team_t",
            before: "null",
            after: "{}",
            request_id: "r1",
            actor_name: Some("ana@example.com"),
            target_name: None,
        }
    }

    #[test]
    fn r25_hash_depends_on_every_field_and_the_previous_hash() {
        let a = entry_hash(GENESIS, &entry("team.create"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, entry_hash(GENESIS, &entry("team.delete")));
        assert_ne!(a, entry_hash(&a, &entry("team.create")));
        assert_eq!(a, entry_hash(GENESIS, &entry("team.create")));
        let mut renamed = entry("team.create");
        renamed.actor_name = Some("bo@example.com");
        assert_ne!(a, entry_hash(GENESIS, &renamed));
        let (mut as_actor, mut as_target) = (entry("team.create"), entry("team.create"));
        (
            as_actor.actor_name,
            as_target.actor_name,
            as_target.target_name,
        ) = (Some("x"), None, Some("x"));
        assert_ne!(
            entry_hash(GENESIS, &as_actor),
            entry_hash(GENESIS, &as_target)
        );
    }
}
