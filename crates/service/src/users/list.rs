//! R11: one page of the organization's users, searched and filtered, in a stable order.

use super::{UserQuery, user_filter, user_view};
use crate::teams::in_scope;
use crate::views::{MembershipView, Page, UserView, membership_view};
use crate::{OrgCaller, ServiceResult, Services};
use std::collections::HashMap;
use switchboard_domain::access::Action;
use switchboard_domain::ids::UserId;
use switchboard_store::people::{self};

impl Services {
    /// R11: one page of the organization's users, filtered, in a stable order.
    pub async fn list_users(
        &self,
        who: &OrgCaller,
        q: &UserQuery,
    ) -> ServiceResult<Page<UserView>> {
        let scope = who.may(Action::ViewUsers)?;
        let filter = user_filter(&scope, q)?;
        let limit = (filter.limit - 1) as usize;
        let mut c = self.store.read().await?;
        let mut rows = people::list_users(&mut c, &who.org, &filter).await?;
        let next_cursor = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            rows.last()
                .map(|r| String::from(r.id.clone()))
                .unwrap_or_default()
        });
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
        Ok(Page { items, next_cursor })
    }
}
