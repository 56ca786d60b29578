//! Builders that read as the story they set up:
//!
//! ```ignore
//! let org = app.org().seats(20).established().await;
//! org.add(&app, &["a@example.com"]).to(&org.second_team).as_member().with_access().await;
//! org.add(&app, &["lead@example.com"]).to(&team).as_team_admin().await;
//! org.add(&app, &["b@example.com"]).to(&team).as_member().without_access().by(&lead).await;
//! ```
//!
//! They wrap [`TestApp::established_org`] and [`TestApp::add_users`], which stay for what the
//! builders can't say (an organization known only by its id, a role given as data).

use super::{Org, Resp, TestApp};
use futures::future::BoxFuture;
use std::future::IntoFuture;

impl TestApp {
    /// An organization to set up: `app.org().seats(20).established().await`.
    pub fn org(&self) -> OrgBuilder<'_> {
        OrgBuilder {
            app: self,
            seats: 10,
        }
    }
}

/// The organization [`TestApp::org`] sets up; its subscription has 10 seats unless told.
#[must_use = "an organization is set up only by `.established().await`"]
pub struct OrgBuilder<'a> {
    app: &'a TestApp,
    seats: i64,
}

impl OrgBuilder<'_> {
    /// The seats of the organization's subscription (the Enterprise plan).
    pub fn seats(self, seats: i64) -> Self {
        OrgBuilder { seats, ..self }
    }

    /// Provisioned by the operator and established by a second team, signed in as its first Org
    /// Admin ([`TestApp::established_org`]).
    pub async fn established(self) -> Org {
        self.app.established_org(self.seats).await
    }
}

impl Org {
    /// Adds `emails` to one of the organization's teams (`POST /users`) — sent when awaited,
    /// answering the response. Unless told otherwise: to the initial team, as members, by the
    /// first Org Admin, with app access as the server decides when the request doesn't say (R13).
    pub fn add<'a>(&'a self, app: &'a TestApp, emails: &'a [&'a str]) -> AddUsers<'a> {
        AddUsers {
            app,
            org: &self.id,
            caller: &self.admin,
            team: &self.initial_team,
            role: "member",
            emails,
            app_access: None,
        }
    }
}

/// A bulk add being described; `.await` sends it. See [`Org::add`].
#[must_use = "people are added only when the builder is awaited"]
pub struct AddUsers<'a> {
    app: &'a TestApp,
    org: &'a str,
    caller: &'a str,
    team: &'a str,
    role: &'a str,
    emails: &'a [&'a str],
    app_access: Option<bool>,
}

// `as_member()` and its kin take the builder by value, as every step of it does: the names read
// as the sentence ("add … to … as a member"), not as a conversion.
#[allow(clippy::wrong_self_convention)]
impl<'a> AddUsers<'a> {
    /// Into this team (an id).
    pub fn to(self, team: &'a str) -> Self {
        AddUsers { team, ..self }
    }

    /// With the team role `member`.
    pub fn as_member(self) -> Self {
        self.as_role("member")
    }

    /// With the team role `team_admin`.
    pub fn as_team_admin(self) -> Self {
        self.as_role("team_admin")
    }

    /// With this team role, as the API spells it.
    pub fn as_role(self, role: &'a str) -> Self {
        AddUsers { role, ..self }
    }

    /// Asking for app access (`"app_access": true`).
    pub fn with_access(self) -> Self {
        AddUsers {
            app_access: Some(true),
            ..self
        }
    }

    /// Asking for no app access (`"app_access": false`).
    pub fn without_access(self) -> Self {
        AddUsers {
            app_access: Some(false),
            ..self
        }
    }

    /// Sent by this caller (a session or API token) instead of the first Org Admin.
    pub fn by(self, caller: &'a str) -> Self {
        AddUsers { caller, ..self }
    }
}

impl<'a> IntoFuture for AddUsers<'a> {
    type Output = Resp;
    type IntoFuture = BoxFuture<'a, Resp>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let (org, caller, team, role) = (self.org, self.caller, self.team, self.role);
            self.app
                .add_users(org, caller, team, role, self.emails, self.app_access)
                .await
        })
    }
}
