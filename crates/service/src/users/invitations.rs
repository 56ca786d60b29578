//! Invitations: adding users mails each new member an invitation through the outbox, in the same
//! transaction as the membership (so a refused add mails nobody), unless the request says
//! `"invite": false`. The users list shows "Invited" with the date until the first sign-in;
//! **Resend invitation** mails it again, at most once per [`RESEND_AFTER_MS`] per user.

use super::load_member;
use crate::outbox::MailKind;
use crate::write::{Actor, Write};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::{Action, MembershipChange};
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::UserId;
use switchboard_store::outbox::QueuedMail;
use switchboard_store::{now_ms, orgs, people};

/// The shortest time between two invitations of one user to one organization.
pub const RESEND_AFTER_MS: i64 = 10 * 60_000;

/// Who an invitation names as its sender.
fn inviter(actor: &Actor) -> String {
    match actor {
        Actor::User { email, .. } => email.clone(),
        _ => "Your organization's admin".to_owned(),
    }
}

fn invitation(org_name: &str, team_name: &str, from: &str, to: &str) -> (String, String) {
    (
        format!("{from} invited you to {team_name} at {org_name} on Switchboard"),
        format!(
            "{from} added you to the team {team_name} of {org_name}.\n\n\
             To start, install the Switchboard app your organization uses, open it and sign in \
             with this address ({to}): the app emails you a one-time code, no password needed.\n\n\
             If you did not expect this, you can ignore this message."
        ),
    )
}

/// Queues invitations for `users` (id and email) to `team_name`, in the write's transaction,
/// and records when they were sent.
pub(crate) async fn invite(
    w: &mut Write,
    team_name: &str,
    users: &[(UserId, String)],
) -> ServiceResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let org = w.org().clone();
    let org_name = orgs::get_org(w.db(), &org)
        .await?
        .and_then(|o| o.name)
        .unwrap_or_else(|| "your organization".to_owned());
    let from = inviter(w.actor());
    let now = now_ms();
    let mails: Vec<QueuedMail> = users
        .iter()
        .map(|(_, email)| {
            let (subject, body) = invitation(&org_name, team_name, &from, email);
            QueuedMail {
                id: format!("mail_{}", ulid::Ulid::new().to_string().to_lowercase()),
                org_id: Some(org.to_string()),
                kind: MailKind::Invitation.as_str().into(),
                recipient: email.clone(),
                subject,
                body,
                code: None,
                attempts: 0,
            }
        })
        .collect();
    switchboard_store::outbox::enqueue_many(w.db(), &mails, now).await?;
    let ids: Vec<UserId> = users.iter().map(|(id, _)| id.clone()).collect();
    people::mark_invited(w.db(), &org, &ids, now).await?;
    Ok(())
}

impl Services {
    /// Mails a user who has not signed in yet their invitation again.
    pub async fn resend_invitation(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        id: &UserId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        let member = load_member(w.db(), who, id).await?;
        let org_role = member.org_role();
        // Whoever may change one of the user's memberships may invite them again.
        let team = member
            .memberships
            .iter()
            .find(|m| {
                w.may(Action::ChangeMembership(
                    &m.team_id,
                    MembershipChange {
                        target_org_role: org_role,
                        removes_last_team: false,
                    },
                ))
                .is_ok()
            })
            .cloned()
            .ok_or(ServiceError::NotPermitted(
                switchboard_domain::access::NOT_YOUR_ROLE,
            ))?;
        let u = member.person;
        if member.row.first_signed_in_at.is_some() {
            return Err(ServiceError::conflict(
                crate::ProblemCode::AlreadySignedIn,
                format!(
                    "{} has signed in already: there is no invitation to resend.",
                    u.email
                ),
            ));
        }
        if let Some(at) = member.row.invited_at {
            let wait = at + RESEND_AFTER_MS - now_ms();
            if wait > 0 {
                return Err(ServiceError::Throttled {
                    retry_after: std::time::Duration::from_millis(wait as u64),
                });
            }
        }
        invite(&mut w, &team.team_name, &[(id.clone(), u.email.clone())]).await?;
        w.record(AuditEvent::InvitationResent {
            user: id.clone(),
            email: u.email,
        })
        .await?;
        w.commit().await?;
        self.wake_mailer();
        Ok(())
    }
}
