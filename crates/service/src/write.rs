//! The one write path. Every use case that changes an organization goes through [`Write`]:
//!
//! 1. [`Services::write`] (a signed-in user) or [`Services::write_as`] (the operator, the system,
//!    a device enrolling) opens the organization's write transaction, whose first statement takes
//!    the organization's write lock (`Store::write_org`);
//! 2. under that lock it loads what the user holds in the organization *now*, so a permission is
//!    decided on the standing that commits, not on the one read before the request waited for the
//!    lock ([`Write::may`]): an admin demoted meanwhile is refused;
//! 3. the use case reads and writes through [`Write::db`], and records what it changed as typed
//!    [`AuditEvent`]s ([`Write::record`]), appended to the hash chain in the same transaction;
//! 4. [`Write::commit`] commits all of it, or nothing (dropping a `Write` rolls back).
//!
//! No other module opens a write transaction on an organization or appends to the audit log
//! (a test in this file checks the sources).

use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::{self, Action, Scope, Standing};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::{ApiTokenId, EnrollmentKeyId, OrgId, TeamId, UserId};
use switchboard_store::audit::{self, AuditHead, NewEntry};
use switchboard_store::{Conn, Tx, now_ms};

/// Who a change is made by, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user (their id; their email is the entry's actor name).
    User { id: UserId, email: String },
    /// The vendor's operator (operator API and CLI).
    Operator,
    /// Switchboard itself (closing billing periods, demo data).
    System,
    /// A device enrolling with a key.
    EnrollmentKey(EnrollmentKeyId),
    /// An organization API token (its name is the entry's actor name).
    ApiToken { id: ApiTokenId, name: String },
}

impl Actor {
    /// The actor column of the log: a user id, `operator`, `system`, `enrollment_key:…`.
    pub fn id(&self) -> String {
        match self {
            Actor::User { id, .. } => id.to_string(),
            Actor::Operator => "operator".into(),
            Actor::System => "system".into(),
            Actor::EnrollmentKey(k) => format!("enrollment_key:{k}"),
            Actor::ApiToken { id, .. } => format!("api_token:{id}"),
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Actor::User { email, .. } => Some(email),
            Actor::ApiToken { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// An open write on one organization; see the module's documentation.
pub struct Write {
    tx: Tx,
    org: OrgId,
    actor: Actor,
    request_id: String,
    /// What the acting user holds in the organization, read under the lock; `None` for actors
    /// from outside it (operator, system, a device enrolling), who act on the whole organization.
    standing: Option<Standing>,
    /// Other organizations whose version this write moved, and so holds the lock of.
    touched: Vec<OrgId>,
    /// Every organization whose version this write moved, and to what: noted in this
    /// instance's version watch once the change commits, so this instance answers from the
    /// change at once (other instances hear of it, or poll for it).
    moved: Vec<(OrgId, i64)>,
    versions: crate::apps::VersionWatch,
    recorded: usize,
    /// The audit chains this write continues: each organization's head (R25), read with its
    /// lock, moved by every entry, and kept on its row when the write commits.
    chains: Vec<Chain>,
}

/// One organization's audit chain within a write.
struct Chain {
    org: OrgId,
    head: AuditHead,
    appended: bool,
}

impl Chain {
    fn new(org: &OrgId, head: AuditHead) -> Self {
        Self {
            org: org.clone(),
            head,
            appended: false,
        }
    }
}

impl Services {
    /// Opens `who`'s organization for a change made by them. Their standing is loaded again
    /// under the organization's write lock; if they no longer have any, the organization is
    /// "not found" to them, as it would be for a new request.
    pub(crate) async fn write(&self, who: &OrgCaller, ctx: &RequestInfo) -> ServiceResult<Write> {
        let (mut tx, version, head) = self.store.write_org(&who.org).await?;
        let chains = vec![Chain::new(&who.org, head)];
        if let Some(token) = &who.token {
            // An API token: still live under the lock (revoked meanwhile: as if never valid).
            let row = switchboard_store::api_tokens::live_by_id(&mut tx, &who.org, token, now_ms())
                .await?
                .ok_or(ServiceError::Unauthenticated(
                    "The API token was revoked or has expired.",
                ))?;
            let mut standing = crate::api_tokens::standing_of(&row, who.standing.org_established);
            // What the door it came through allows (see `api_token_caller`), and no more.
            if let (Some(t), Some(door)) = (standing.token.as_mut(), who.standing.token) {
                t.read &= door.read;
                t.write &= door.write;
                t.admin &= door.admin;
                t.scim &= door.scim;
            }
            return Ok(Write {
                tx,
                org: who.org.clone(),
                actor: Actor::ApiToken {
                    id: row.id,
                    name: row.name,
                },
                request_id: ctx.request_id.clone(),
                standing: Some(standing),
                touched: Vec::new(),
                moved: vec![(who.org.clone(), version)],
                versions: self.entitlements.versions.clone(),
                recorded: 0,
                chains,
            });
        }
        let gone = || ServiceError::NotFound {
            what: "organization",
        };
        // R33 under the lock too: a team moved under SSO since the request began stops a code
        // here.
        let (standing, email) =
            crate::standing::load(&mut tx, &who.org, &who.user, who.via.as_ref())
                .await?
                .ok_or_else(gone)?;
        Ok(Write {
            tx,
            org: who.org.clone(),
            actor: Actor::User {
                id: who.user.clone(),
                email,
            },
            request_id: ctx.request_id.clone(),
            standing: Some(standing),
            touched: Vec::new(),
            moved: vec![(who.org.clone(), version)],
            versions: self.entitlements.versions.clone(),
            recorded: 0,
            chains,
        })
    }

    /// Creates an organization (R1) and opens it for its first change, by the operator.
    pub(crate) async fn write_new_org(
        &self,
        org: &OrgId,
        initial_team: &TeamId,
        actor: Actor,
        ctx: &RequestInfo,
    ) -> ServiceResult<Write> {
        let mut tx = self.store.write().await?;
        switchboard_store::orgs::insert_org(&mut tx, org, initial_team, now_ms()).await?;
        Ok(Write {
            tx,
            org: org.clone(),
            actor,
            request_id: ctx.request_id.clone(),
            standing: None,
            touched: Vec::new(),
            moved: Vec::new(),
            versions: self.entitlements.versions.clone(),
            recorded: 0,
            chains: vec![Chain::new(org, AuditHead::genesis())],
        })
    }

    /// Opens an organization for a change by an actor from outside it (no permission table:
    /// the caller has already established who they are, e.g. by the operator token).
    pub(crate) async fn write_as(
        &self,
        org: &OrgId,
        actor: Actor,
        ctx: &RequestInfo,
    ) -> ServiceResult<Write> {
        let (tx, version, head) = self.store.write_org(org).await?;
        Ok(Write {
            tx,
            org: org.clone(),
            actor,
            request_id: ctx.request_id.clone(),
            standing: None,
            touched: Vec::new(),
            moved: vec![(org.clone(), version)],
            versions: self.entitlements.versions.clone(),
            recorded: 0,
            chains: vec![Chain::new(org, head)],
        })
    }
}

impl Write {
    /// Asks the permission table with the standing read under the lock; a refusal is a 403.
    /// Actors from outside the organization act on all of it.
    pub fn may(&self, action: Action<'_>) -> ServiceResult<Scope> {
        match &self.standing {
            Some(s) => Ok(access::decide(s, action)?),
            None => Ok(Scope::Org),
        }
    }

    /// The standing of the acting user, as it is under the lock.
    pub fn standing(&self) -> Option<&Standing> {
        self.standing.as_ref()
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Moves another organization's version too (a change in this transaction that concerns it,
    /// like an app token leaving it), so its cached answers are rebuilt. Take the organizations'
    /// locks in id order (open the write on the lower id), so two such writes never wait on
    /// each other.
    pub async fn touch_org(&mut self, other: &OrgId) -> ServiceResult<()> {
        let version = switchboard_store::orgs::bump_version(&mut self.tx, other).await?;
        self.touched.push(other.clone());
        self.moved.push((other.clone(), version));
        Ok(())
    }

    /// The transaction's connection, for the store's functions.
    pub fn db(&mut self) -> &mut Conn {
        &mut self.tx
    }

    /// The scopes of the API token acting, read under the lock; `None` for a person.
    pub fn token_scopes(&self) -> Option<switchboard_domain::access::TokenScopes> {
        self.standing.as_ref().and_then(|s| s.token)
    }

    /// Appends the audit entry of a change to the organization's chain, in this transaction.
    pub async fn record(&mut self, event: AuditEvent) -> ServiceResult<()> {
        let org = self.org.clone();
        self.record_in(&org, event).await
    }

    /// [`Write::record`] into the log of `org`: this write's organization or one it touched
    /// (whose lock it holds, so the chain can't fork).
    pub async fn record_in(&mut self, org: &OrgId, event: AuditEvent) -> ServiceResult<()> {
        assert!(
            *org == self.org || self.touched.contains(org),
            "an audit entry for {org}, whose lock this write does not hold"
        );
        let parts = event.parts();
        let actor = self.actor.id();
        let entry = NewEntry {
            actor: &actor,
            action: parts.action,
            target: &parts.target,
            before: parts.before,
            after: parts.after,
            request_id: &self.request_id,
            actor_name: self.actor.name(),
            target_name: parts.target_name.as_deref(),
        };
        let at = match self.chains.iter().position(|c| c.org == *org) {
            Some(i) => i,
            None => {
                let head = audit::head(&mut self.tx, org).await?;
                self.chains.push(Chain::new(org, head));
                self.chains.len() - 1
            }
        };
        let chain = &mut self.chains[at];
        if !chain.appended {
            // The chain continues after the later of the head its row keeps and its newest
            // entry: entries a previous release appended without moving the head (a rolling
            // upgrade) are continued, and newest entries deleted leave a gap that shows.
            let newest = audit::newest(&mut self.tx, org).await?;
            if newest.seq > chain.head.seq {
                chain.head = newest;
            }
        }
        audit::append(&mut self.tx, org, &mut chain.head, entry, now_ms()).await?;
        chain.appended = true;
        self.recorded += 1;
        Ok(())
    }

    /// Commits the change and its audit entries. Every committed change records at least one
    /// event; a use case that found nothing to change calls [`Write::unchanged`] instead.
    pub async fn commit(self) -> ServiceResult<()> {
        debug_assert!(
            self.recorded > 0,
            "a write on {} committed without an audit entry",
            self.org
        );
        if self.recorded == 0 {
            tracing::error!(org = %self.org, "a write committed without an audit entry");
        }
        // Until it commits, this write holds the locks of the organizations it moved: their
        // versions are current as of now, when nothing after them can have committed yet.
        let mut tx = self.tx;
        for chain in self.chains.iter().filter(|c| c.appended) {
            audit::anchor(&mut tx, &chain.org, &chain.head).await?;
        }
        let as_of = self.versions.now_us();
        tx.commit().await?;
        self.versions.committed(&self.moved, as_of);
        Ok(())
    }

    /// Ends a write that changed nothing: rolls back, so not even the organization's version
    /// moves (no cache anywhere is invalidated for nothing).
    pub async fn unchanged(self) -> ServiceResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The store's membership writes, for `crate::memberships` alone.
    const MEMBERSHIP_WRITES: [&str; 5] = [
        "people::insert_memberships(",
        "people::update_membership(",
        "people::delete_membership(",
        "people::delete_memberships_of_user(",
        "people::add_seats(",
    ];

    /// No module but this one opens an organization's write transaction or appends to the audit
    /// log: every change goes through the one path above.
    #[test]
    fn every_write_goes_through_the_write_path() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.file_name().is_some_and(|n| n == "write.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [".write_org(", "audit::append(", "bump_version("] {
                    if text.contains(needle) {
                        offenders.push(format!("{} calls {needle}", path.display()));
                    }
                }
                // Memberships are made, changed and ended by the primitives alone, which check
                // the seats and record the change.
                if path.components().any(|c| c.as_os_str() == "memberships") {
                    continue;
                }
                for needle in MEMBERSHIP_WRITES {
                    if text.contains(needle) {
                        offenders.push(format!("{} calls {needle}", path.display()));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
