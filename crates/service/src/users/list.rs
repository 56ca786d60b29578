//! R11: one page of the organization's users, searched, filtered and sorted, with cursors to
//! the pages on either side and how many users match in all.

use super::{UserQuery, user_filter, user_view};
use crate::teams::in_scope;
use crate::views::{MembershipView, UserView, membership_view};
use crate::{OrgCaller, ServiceResult, Services};
use serde::Serialize;
use std::collections::HashMap;
use switchboard_domain::access::Action;
use switchboard_domain::ids::UserId;
use switchboard_store::people::{self};
use switchboard_store::user_order::Keyset;
use utoipa::ToSchema;

/// One page of the user list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `cursor` (with the same filters and `sort`) for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Pass as `before` for the page before; null on the first.
    pub prev_cursor: Option<String>,
    /// How many users match the filters in all.
    pub total: i64,
}

impl Services {
    /// R11: one page of the organization's users, filtered and sorted (by id when no order is
    /// asked for), with the cursors of the pages on either side.
    pub async fn list_users(&self, who: &OrgCaller, q: &UserQuery) -> ServiceResult<UserPage> {
        let scope = who.may(Action::ViewUsers)?;
        let mut filter = user_filter(&scope, q)?;
        if let Some(idle) = q.idle {
            let mut holders: Vec<UserId> = self
                .idle_seats(who, None)
                .await?
                .into_iter()
                .map(|s| s.user_id)
                .collect();
            holders.sort();
            holders.dedup();
            filter.among = Some((idle, holders));
        }
        let limit = (filter.limit - 1) as usize;
        let mut c = self.store.read().await?;
        let mut rows = people::list_users(&mut c, &who.org, &filter).await?;
        let total = people::count_users(&mut c, &who.org, &filter).await?;
        let more = rows.len() > limit;
        let backward = filter.before.is_some();
        if more && backward {
            // Read backward, the extra row is the furthest back: there is a page before.
            rows.remove(0);
        }
        rows.truncate(limit);
        let edge = |r: &people::UserListRow| {
            Keyset {
                value: r.sort_value.clone(),
                id: r.id.clone(),
            }
            .encode()
        };
        let has_next = if backward { true } else { more };
        let has_prev = if backward {
            more
        } else {
            filter.after.is_some()
        };
        let next_cursor = rows.last().filter(|_| has_next).map(edge);
        let prev_cursor = rows.first().filter(|_| has_prev).map(edge);
        let ids: Vec<UserId> = rows.iter().map(|r| r.id.clone()).collect();
        let mut by_user: HashMap<UserId, Vec<MembershipView>> = HashMap::new();
        for m in people::memberships_of_users(&mut c, &who.org, &ids).await? {
            if in_scope(&scope, &m.team_id) {
                by_user
                    .entry(m.user_id.clone())
                    .or_default()
                    .push(membership_view(&m));
            }
        }
        let items = rows
            .into_iter()
            .map(|u| {
                let ms = by_user.remove(&u.id).unwrap_or_default();
                user_view(u, ms)
            })
            .collect();
        Ok(UserPage {
            items,
            next_cursor,
            prev_cursor,
            total,
        })
    }
}
