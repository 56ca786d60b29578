//! R25: one page of the audit log, filtered, newest first.

use super::{AuditQuery, End, is_action_word, is_object_id, parse_actor, parse_time, view};
use crate::views::{AuditEntryView, Page};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_store::audit::{self, AuditFilter};

impl Services {
    /// One page of the audit log, newest first.
    pub async fn audit_log(
        &self,
        who: &OrgCaller,
        q: &AuditQuery,
    ) -> ServiceResult<Page<AuditEntryView>> {
        who.may(Action::ViewAudit)?;
        let limit = q.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(ServiceError::invalid("limit", "must be from 1 to 500"));
        }
        let before_seq = match &q.cursor {
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ServiceError::invalid("cursor", "is not a cursor this list gave out")
            })?),
            None => None,
        };
        let mut c = self.store.read().await?;
        let zone = switchboard_store::usage::time_zone(&mut c, &who.org)
            .await?
            .unwrap_or_else(|| "UTC".to_owned());
        let actor = match q.actor.as_deref() {
            None => None,
            Some(a) => Some(parse_actor(&mut c, a).await?),
        };
        if let Some(a) = q.action.as_deref()
            && !is_action_word(a)
        {
            return Err(ServiceError::invalid(
                "action",
                "must be an action like team.create or membership.remove",
            ));
        }
        if let Some(t) = q.target.as_deref()
            && !is_object_id(t)
        {
            return Err(ServiceError::invalid(
                "target",
                "must be the id of an object, like team_01J… or usr_01J…",
            ));
        }
        let filter = AuditFilter {
            actor,
            action: q.action.clone(),
            target: q.target.clone(),
            from_ms: q
                .from
                .as_deref()
                .map(|s| parse_time("from", s, &zone, End::From))
                .transpose()?,
            to_ms: q
                .to
                .as_deref()
                .map(|s| parse_time("to", s, &zone, End::To))
                .transpose()?,
            before_seq,
            limit: limit + 1,
        };
        let mut rows = audit::list(&mut c, &who.org, &filter).await?;
        let next_cursor = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.seq.to_string()).unwrap_or_default()
        });
        Ok(Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        })
    }
}
