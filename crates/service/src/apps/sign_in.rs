//! App sign-in: the portal's code exchanged for an app token bound to one membership, and choosing the team.

use super::{
    AppSession, AppTeam, AppVerify, USER_TOKEN_TTL_MS, app_token_hash, new_token, unauthenticated,
};
use crate::ProblemCode;
use crate::views::rfc3339;
use crate::write::Actor;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::reach::Authority;
use switchboard_domain::team::LoginType;
use switchboard_store::apps::{self as store, AppTokenRow};
use switchboard_store::{now_ms, people};

impl Services {
    /// The email-login teams the user may run the app in (R24, R33). A token from an
    /// organization's provider reaches that organization's email teams and nothing else; a
    /// token from an emailed code reaches the email teams no SSO policy covers (a team under
    /// SSO gets its token only through its provider).
    pub(crate) async fn app_teams(
        &self,
        c: &mut switchboard_store::Conn,
        user: &UserId,
        via: &Authority,
    ) -> ServiceResult<Vec<AppTeam>> {
        let under_sso: Vec<(OrgId, TeamId)> = switchboard_store::sso::email_teams_of_user(c, user)
            .await?
            .into_iter()
            .filter(|t| t.policy_id.is_some())
            .map(|t| (t.org_id, t.team_id))
            .collect();
        let mut teams = Vec::new();
        for people::UserOrg {
            org_id, org_name, ..
        } in people::orgs_of_user(c, user).await?
        {
            if let Authority::Sso(vouching) = via
                && *vouching != org_id
            {
                continue;
            }
            for m in people::memberships_of_users(c, &org_id, std::slice::from_ref(user)).await? {
                let sso_only = under_sso
                    .iter()
                    .any(|(o, t)| *o == org_id && *t == m.team_id);
                let reached = matches!(via, Authority::Sso(_)) || !sso_only;
                if m.login_type == LoginType::Email && reached {
                    teams.push(AppTeam {
                        org_id: org_id.clone(),
                        org_name: org_name.clone(),
                        team_id: m.team_id,
                        team_name: m.team_name,
                    });
                }
            }
        }
        Ok(teams)
    }

    /// App sign-in: the same code as the portal, exchanged for an app token bound to one
    /// membership (the only one, or `team_id`), or unbound until the app chooses. Teams under
    /// SSO are not offered: their token is issued only after SSO (R24).
    pub async fn app_verify(
        &self,
        req: AppVerify,
        client_ip: std::net::IpAddr,
    ) -> ServiceResult<AppSession> {
        let (mut tx, user, now, _) = self
            .redeem_code(&req.email, &req.code, req.attempt_id.as_deref(), client_ip)
            .await?;
        let teams = self
            .app_teams(&mut tx, &user.id, &Authority::EmailCode)
            .await?;
        if teams.is_empty()
            && switchboard_store::sso::email_teams_of_user(&mut tx, &user.id)
                .await?
                .iter()
                .any(|t| t.policy_id.is_some())
        {
            return Err(ServiceError::AppRefused {
                code: ProblemCode::SsoRequired,
                detail: "Your team signs in with single sign-on: sign in to the app with SSO (Continue with SSO).".into(),
            });
        }
        let session = self
            .issue_app_token(&mut tx, &user.id, teams, req.team_id.as_deref(), None, now)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Issues a user's app token, bound to the chosen team (the only one, or `team_id`) or
    /// unbound until the app chooses. Nothing is written when the user has no team.
    pub(crate) async fn issue_app_token(
        &self,
        c: &mut switchboard_store::Conn,
        user: &UserId,
        teams: Vec<AppTeam>,
        team_id: Option<&str>,
        sso_org: Option<&OrgId>,
        now: i64,
    ) -> ServiceResult<AppSession> {
        if teams.is_empty() {
            // Nothing is committed: the code stays usable once an admin adds the user to a team.
            return Err(ServiceError::AppRefused {
                code: ProblemCode::NoTeam,
                detail: "You are not a member of any email-login team, so the app has nothing to run in. Ask your admin to add you.".into(),
            });
        }
        let chosen = match team_id {
            Some(id) => Some(
                teams
                    .iter()
                    .find(|t| t.team_id.as_str() == id)
                    .ok_or(ServiceError::NotFound { what: "team" })?
                    .clone(),
            ),
            None if teams.len() == 1 => Some(teams[0].clone()),
            None => None,
        };
        let token = new_token("sba");
        let row = AppTokenRow {
            org_id: chosen.as_ref().map(|t| t.org_id.clone()),
            team_id: chosen.as_ref().map(|t| t.team_id.clone()),
            user_id: Some(user.clone()),
            device_id: None,
            expires_at: now + USER_TOKEN_TTL_MS,
            org_version: None,
            sso_org_id: sso_org.cloned(),
        };
        store::insert_app_token(c, &app_token_hash(&token), &row, now).await?;
        Ok(AppSession {
            token,
            expires_at: rfc3339(row.expires_at),
            team_id: row.team_id.map(Into::into),
            teams,
        })
    }

    pub(crate) async fn token_row(&self, token: &str) -> ServiceResult<AppTokenRow> {
        let mut c = self.store.read().await?;
        store::app_token(&mut c, &app_token_hash(token), now_ms())
            .await?
            .ok_or_else(unauthenticated)
    }

    /// The teams a signed-in app user may choose from.
    pub async fn app_list_teams(&self, token: &str) -> ServiceResult<Vec<AppTeam>> {
        let row = self.token_row(token).await?;
        let user = row.user_id.ok_or(ServiceError::invalid(
            "token",
            "is a device token; devices belong to one team",
        ))?;
        let mut c = self.store.read().await?;
        self.app_teams(
            &mut c,
            &user,
            &Authority::from_sso_org(row.sso_org_id.clone()),
        )
        .await
    }

    /// Binds the app token to one of the user's teams. The organizations it leaves and joins
    /// both move to a new version, so every instance's cached answer for it is rebuilt.
    pub async fn app_select_team(
        &self,
        ctx: &RequestInfo,
        token: &str,
        team: &TeamId,
    ) -> ServiceResult<AppSession> {
        let row = self.token_row(token).await?;
        let user = row.user_id.clone().ok_or(ServiceError::invalid(
            "token",
            "is a device token; devices belong to one team",
        ))?;
        let teams = {
            let mut c = self.store.read().await?;
            self.app_teams(
                &mut c,
                &user,
                &Authority::from_sso_org(row.sso_org_id.clone()),
            )
            .await?
        };
        let chosen = teams
            .iter()
            .find(|t| t.team_id == *team)
            .ok_or(ServiceError::NotFound { what: "team" })?
            .clone();
        // Lock both organizations in id order, so two such moves can never wait on each other.
        let mut both = vec![chosen.org_id.clone()];
        both.extend(row.org_id.clone().filter(|o| *o != chosen.org_id));
        both.sort();
        let email = {
            let mut c = self.store.read().await?;
            people::get_user(&mut c, &user)
                .await?
                .map(|u| u.email)
                .ok_or(ServiceError::NotFound { what: "user" })?
        };
        let actor = Actor::User {
            id: user.clone(),
            email: email.clone(),
        };
        let chosen_org = chosen.org_id.clone();
        let first = both[0].clone();
        let mut w = self.write_as(&first, actor.clone(), ctx).await?;
        for other in &both[1..] {
            w.touch_org(other).await?;
        }
        store::bind_app_token(
            w.db(),
            &app_token_hash(token),
            &chosen.org_id,
            &chosen.team_id,
        )
        .await?;
        let event = AuditEvent::AppTeamChosen {
            user: user.clone(),
            email,
            before: row.team_id.clone(),
            after: chosen.team_id.clone(),
        };
        // The entry belongs to the chosen organization's log, whose lock this write holds.
        w.record_in(&chosen_org, event).await?;
        w.commit().await?;
        Ok(AppSession {
            token: token.to_owned(),
            expires_at: rfc3339(row.expires_at),
            team_id: Some(chosen.team_id.into()),
            teams,
        })
    }
}
