//! Per person over a period: calls and call minutes, and the last day they used the app — those
//! who never did included (the people an Org Admin pays seats for and should ask about).

use super::teams::minutes;
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use serde::Serialize;
use std::collections::HashMap;
use switchboard_domain::access::Action;
use switchboard_store::{people, usage};
use utoipa::ToSchema;

/// Most people one page lists.
const PAGE: usize = 200;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserUsage {
    pub user_id: String,
    pub email: String,
    /// The last day they used the app, ever; null: never.
    pub last_active: Option<String>,
    pub calls: i64,
    pub call_minutes: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsersUsage {
    pub from: String,
    pub to: String,
    pub items: Vec<UserUsage>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

impl Services {
    /// `sort`: `calls` (most first, the default), `minutes`, `last_active` (most recent first,
    /// never last) or `email`.
    pub async fn analytics_users(
        &self,
        who: &OrgCaller,
        team: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        sort: Option<&str>,
        cursor: Option<&str>,
    ) -> ServiceResult<UsersUsage> {
        let scope = who.may(Action::ViewAnalytics)?;
        let (f, t) = self.period(who, from, to).await?;
        let offset: usize = match cursor {
            None => 0,
            Some(c) => c.parse().map_err(|_| {
                ServiceError::invalid("cursor", "is not a cursor from a previous page")
            })?,
        };
        let mut c = self.store.read().await?;
        let team = match team {
            Some(t) => Some(crate::teams::load_team(&mut c, who, t).await?.id),
            None => None,
        };
        let ids: Vec<_> = switchboard_store::scim::team_members(&mut c, &who.org)
            .await?
            .into_iter()
            .filter(|(tm, _)| scope.includes(tm) && team.as_ref().is_none_or(|x| x == tm))
            .map(|(_, u)| u)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let (a, b) = (f.to_string(), t.to_string());
        let figures: HashMap<String, (i64, i64)> =
            usage::per_subject(&mut c, &who.org, team.as_ref(), &a, &b)
                .await?
                .into_iter()
                .map(|(s, calls, secs)| (s, (calls, secs)))
                .collect();
        let last: HashMap<String, String> = usage::last_active(&mut c, &who.org)
            .await?
            .into_iter()
            .collect();
        let mut items = Vec::new();
        for id in ids {
            let Some(u) = people::get_user(&mut c, &id).await? else {
                continue;
            };
            let (calls, secs) = figures.get(id.as_str()).copied().unwrap_or((0, 0));
            items.push(UserUsage {
                last_active: last.get(id.as_str()).cloned(),
                user_id: id.to_string(),
                email: u.email,
                calls,
                call_minutes: minutes(secs),
            });
        }
        match sort.unwrap_or("calls") {
            "calls" => items.sort_by(|x, y| y.calls.cmp(&x.calls).then(x.email.cmp(&y.email))),
            "minutes" => items.sort_by(|x, y| {
                y.call_minutes
                    .total_cmp(&x.call_minutes)
                    .then(x.email.cmp(&y.email))
            }),
            "last_active" => items.sort_by(|x, y| {
                y.last_active
                    .cmp(&x.last_active)
                    .then(x.email.cmp(&y.email))
            }),
            "email" => items.sort_by(|x, y| x.email.cmp(&y.email)),
            _ => {
                return Err(ServiceError::invalid(
                    "sort",
                    "must be calls, minutes, last_active or email",
                ));
            }
        }
        let total = items.len();
        let items: Vec<UserUsage> = items.into_iter().skip(offset).take(PAGE).collect();
        let next = offset + items.len();
        Ok(UsersUsage {
            from: a,
            to: b,
            items,
            next_cursor: (next < total).then(|| next.to_string()),
        })
    }
}
