//! R11: the head counts at the top of the users page — users, and those not yet signed in —
//! over the part of the organization the caller sees.

use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::{Action, Scope};
use switchboard_store::user_list::UserCounts;

impl Services {
    pub async fn user_counts(&self, who: &OrgCaller) -> ServiceResult<UserCounts> {
        let scope = who.may(Action::ViewUsers)?;
        let mut c = self.store.read().await?;
        let teams = match &scope {
            Scope::Org => None,
            Scope::Teams(ts) => Some(ts.as_slice()),
        };
        Ok(switchboard_store::user_list::user_counts(&mut c, &who.org, teams).await?)
    }
}
