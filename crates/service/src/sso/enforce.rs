//! R24 for emailed codes: whether a person may still sign in by code. Someone all of whose
//! email-team memberships are under SSO policies signs in through the provider only, unless they
//! are an Org Admin or one of a policy's break-glass emails — then the code works and the sign-in
//! is audited as `signin.break_glass` in each organization concerned.

use crate::ServiceResult;
use switchboard_domain::ids::OrgId;
use switchboard_domain::role::OrgRole;
use switchboard_domain::settings::PolicyKind;
use switchboard_domain::sso::{EmailSignIn, EmailTeam, email_sign_in};
use switchboard_store::people::{self, UserRow};
use switchboard_store::{Conn, settings, sso};

/// How `user` may sign in by emailed code (R24).
pub(crate) async fn email_sign_in_of(c: &mut Conn, user: &UserRow) -> ServiceResult<EmailSignIn> {
    let rows = sso::email_teams_of_user(c, &user.id).await?;
    if rows.iter().all(|r| r.policy_id.is_none()) {
        return Ok(EmailSignIn::Allowed);
    }
    let admin_of: Vec<OrgId> = people::orgs_of_user(c, &user.id)
        .await?
        .into_iter()
        .filter(|o| o.org_role == Some(OrgRole::OrgAdmin))
        // An Org Admin of another organization is no admin where SSO covers them.
        .filter(|o| {
            rows.iter()
                .any(|r| r.org_id == o.org_id && r.policy_id.is_some())
        })
        .map(|o| o.org_id)
        .collect();
    let mut break_glass = false;
    for r in &rows {
        if let Some(policy) = &r.policy_id
            && let Some(p) = settings::get_policy(c, &r.org_id, policy, PolicyKind::Sso).await?
        {
            let options = super::policy::options_of(&p);
            break_glass |= options
                .break_glass_emails
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&user.email));
        }
    }
    let teams: Vec<EmailTeam> = rows
        .into_iter()
        .map(|r| EmailTeam {
            org: r.org_id,
            team: r.team_id,
            sso: r.policy_id,
        })
        .collect();
    Ok(email_sign_in(&teams, &admin_of, break_glass))
}
