//! The signed-in user, their organizations, memberships and org roles.

use super::Session;
use crate::views::{MeOrg, MeUser, MeView, membership_view, status_of};
use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::reach::Reach;
use switchboard_store::people;

impl Services {
    /// The signed-in user, their organizations, memberships and org roles.
    pub async fn me(&self, session: &Session, session_token: &str) -> ServiceResult<MeView> {
        let user = &session.user;
        let mut c = self.store.read().await?;
        let u = people::get_user(&mut c, user)
            .await?
            .ok_or(ServiceError::Unauthenticated(
                "This account no longer exists.",
            ))?;
        let mut orgs = Vec::new();
        for people::UserOrg {
            org_id,
            org_name: name,
            org_role: role,
        } in people::orgs_of_user(&mut c, user).await?
        {
            // R33: only the organizations this session reaches.
            let via = session.authority();
            if crate::standing::reach_of(&mut c, &via, &org_id, user).await? == Reach::None {
                continue;
            }
            let org = switchboard_store::orgs::get_org(&mut c, &org_id).await?;
            let memberships =
                people::memberships_of_users(&mut c, &org_id, std::slice::from_ref(&u.id)).await?;
            orgs.push(MeOrg {
                id: org_id.into(),
                name,
                established: org.as_ref().is_some_and(|o| o.established_at.is_some()),
                time_zone: org
                    .and_then(|o| o.time_zone)
                    .unwrap_or_else(|| "UTC".to_owned()),
                org_role: role,
                memberships: memberships.iter().map(membership_view).collect(),
            });
        }
        Ok(MeView {
            user: MeUser {
                id: u.id.into(),
                email: u.email,
                name: u.name,
                status: status_of(u.first_signed_in_at),
            },
            orgs,
            csrf_token: self.csrf_token(session_token),
        })
    }
}
