//! R24 and R33 for a person in one organization: what that organization knows of them (their
//! email-login teams there and which are under SSO, whether they are its Org Admin, whether one
//! of its SSO policies names them break-glass) and how far a credential reaches them into it.
//! Every fact is read from that organization alone, so nothing another tenant controls — its
//! teams, roles, break-glass lists — moves the decision.

use crate::ServiceResult;
use switchboard_domain::ids::OrgId;
use switchboard_domain::reach::{Authority, OrgFacts, Reach, reach};
use switchboard_domain::role::{OrgRole, Presence};
use switchboard_domain::settings::PolicyKind;
use switchboard_store::people::{self, UserRow};
use switchboard_store::{Conn, settings, sso};

/// What `org` knows of `user` for R24 there.
pub(crate) async fn org_facts(
    c: &mut Conn,
    org: &OrgId,
    user: &UserRow,
) -> ServiceResult<OrgFacts> {
    let teams = sso::email_teams_in_org(c, org, &user.id).await?;
    let under_sso: Vec<bool> = teams.iter().map(|t| t.policy_id.is_some()).collect();
    // Only a person every one of whose teams is under SSO needs the rest.
    if under_sso.is_empty() || under_sso.iter().any(|s| !s) {
        return Ok(OrgFacts {
            email_teams_under_sso: under_sso,
            ..OrgFacts::default()
        });
    }
    let org_admin =
        people::presence(c, org, &user.id).await? == Presence::Member(Some(OrgRole::OrgAdmin));
    Ok(OrgFacts {
        email_teams_under_sso: under_sso,
        org_admin,
        break_glass: is_break_glass(c, org, &user.email).await?,
    })
}

/// Whether an SSO policy of `org` names `email` break-glass (compared in the one canonical form,
/// R4: `xn--` and Unicode domains alike).
pub(crate) async fn is_break_glass(c: &mut Conn, org: &OrgId, email: &str) -> ServiceResult<bool> {
    let Ok(me) = switchboard_domain::email::Email::parse(email) else {
        return Ok(false);
    };
    for p in settings::list_policies(c, org, PolicyKind::Sso).await? {
        // A policy whose options can't be read names nobody break-glass (and is logged), rather
        // than failing every sign-in of the organization's people.
        let options = match super::policy::options_of(&p) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(policy = %p.id, error = %e, "an SSO policy's options can't be read");
                continue;
            }
        };
        if options
            .break_glass_emails
            .iter()
            .any(|e| switchboard_domain::email::Email::parse(e).ok().as_ref() == Some(&me))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How far a credential of `authority` reaches `user` into `org` (R33).
pub(crate) async fn reach_in(
    c: &mut Conn,
    authority: &Authority,
    org: &OrgId,
    user: &UserRow,
) -> ServiceResult<Reach> {
    if let Authority::Sso(vouching) = authority {
        return Ok(if vouching == org {
            Reach::Full
        } else {
            Reach::None
        });
    }
    Ok(reach(authority, org, &org_facts(c, org, user).await?))
}

/// Every organization of `user`, and how far an emailed code reaches them into each.
pub(crate) async fn code_reach(c: &mut Conn, user: &UserRow) -> ServiceResult<Vec<(OrgId, Reach)>> {
    let mut out = Vec::new();
    for o in people::orgs_of_user(c, &user.id).await? {
        let r = reach_in(c, &Authority::EmailCode, &o.org_id, user).await?;
        out.push((o.org_id, r));
    }
    Ok(out)
}

/// Whether an emailed code may sign `user` in at all: they are in no organization yet, or a
/// code reaches at least one of theirs.
pub(crate) fn code_reaches_anything(reach: &[(OrgId, Reach)]) -> bool {
    reach.is_empty() || reach.iter().any(|(_, r)| *r != Reach::None)
}
