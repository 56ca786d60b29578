//! Sessions whose opening and ending are in the audit log: a person with a portal role (an org
//! role, or Team Admin of a team) signing in or out is an entry in each organization where they
//! hold one — with a break-glass sign-in (R24) written as such — in the transaction that opens or
//! ends the session. Agents, who have no portal role, sign in without an entry: their sign-ins
//! don't move the organization's version (and so don't empty the entitlement cache).

use crate::views::SessionView;
use crate::write::Actor;
use crate::{RequestInfo, ServiceResult, Services};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::SignInMethod;
use switchboard_domain::ids::OrgId;
use switchboard_domain::reach::Reach;
use switchboard_store::{people, signin};

impl Services {
    /// Opens a session for `user`, with an audit entry in each of `entries`' organizations, all
    /// in one transaction under their write locks (taken in id order). `only_org` limits the
    /// session to the organization whose identity provider vouched.
    pub(crate) async fn open_audited_session(
        &self,
        user: &people::UserRow,
        mut entries: Vec<(OrgId, AuditEvent)>,
        only_org: Option<&OrgId>,
        now: i64,
        ctx: &RequestInfo,
    ) -> ServiceResult<SessionView> {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let Some((first, _)) = entries.first() else {
            let mut tx = self.store.write().await?;
            let session = self.open_session(&mut tx, &user.id, only_org, now).await?;
            tx.commit().await?;
            return Ok(session);
        };
        let actor = Actor::User {
            id: user.id.clone(),
            email: user.email.clone(),
        };
        let mut w = self.write_as(&first.clone(), actor, ctx).await?;
        let mut locked = vec![first.clone()];
        for (org, _) in &entries[1..] {
            if !locked.contains(org) {
                w.touch_org(org).await?;
                locked.push(org.clone());
            }
        }
        for (org, event) in entries {
            w.record_in(&org, event).await?;
        }
        let session = self.open_session(w.db(), &user.id, only_org, now).await?;
        w.commit().await?;
        Ok(session)
    }

    /// The sign-in entries of a person signing in with `method`: one per organization where they
    /// hold a portal role (within `only_org`, when the session is limited to it).
    pub(crate) async fn sign_in_entries(
        &self,
        user: &people::UserRow,
        method: SignInMethod,
        only_org: Option<&OrgId>,
    ) -> ServiceResult<Vec<(OrgId, AuditEvent)>> {
        let mut c = self.store.read().await?;
        Ok(signin::portal_orgs_of_user(&mut c, &user.id)
            .await?
            .into_iter()
            .filter(|o| only_org.is_none_or(|only| only == o))
            .map(|o| {
                let event = AuditEvent::SignedIn {
                    user: user.id.clone(),
                    email: user.email.clone(),
                    method,
                };
                (o, event)
            })
            .collect())
    }

    /// Signs a person out: the session ends, and where they hold a portal role the sign-out is
    /// an entry of the audit log. A session already gone is signed out all the same.
    pub async fn sign_out_audited(&self, token: &str, ctx: &RequestInfo) -> ServiceResult<()> {
        let Ok(session) = self.authenticate(token).await else {
            return self.sign_out(token).await;
        };
        let (user, mut orgs) = {
            let mut c = self.store.read().await?;
            let user = people::get_user(&mut c, &session.user).await?;
            let orgs = signin::portal_orgs_of_user(&mut c, &session.user).await?;
            (user, orgs)
        };
        {
            // R33: audited only where the session reached.
            let mut c = self.store.read().await?;
            let via = session.authority();
            let mut reached = Vec::new();
            for o in orgs {
                if crate::standing::reach_of(&mut c, &via, &o, &session.user).await? != Reach::None
                {
                    reached.push(o);
                }
            }
            orgs = reached;
        }
        let (Some(user), Some(first)) = (user, orgs.first().cloned()) else {
            return self.sign_out(token).await;
        };
        let actor = Actor::User {
            id: user.id.clone(),
            email: user.email.clone(),
        };
        let mut w = self.write_as(&first, actor, ctx).await?;
        for org in &orgs[1..] {
            w.touch_org(org).await?;
        }
        for org in &orgs {
            let event = AuditEvent::SignedOut {
                user: user.id.clone(),
                email: user.email.clone(),
            };
            w.record_in(org, event).await?;
        }
        signin::delete_session(w.db(), &super::hash_token(token)).await?;
        w.commit().await?;
        Ok(())
    }
}
