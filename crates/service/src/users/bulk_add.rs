//! R6: many emails added to one team at once, all or nothing with respect to seats.

use super::{AddOutcome, AddResult, BulkAdd, BulkAddResult, MAX_BULK_EMAILS, invitations};
use crate::memberships::{self, Access};
use crate::teams::load_team;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use std::collections::{HashMap, HashSet};
use switchboard_domain::access::Action;
use switchboard_domain::email::Email;
use switchboard_domain::ids::UserId;
use switchboard_store::now_ms;
use switchboard_store::people::{self};

impl Services {
    /// R6: adds many emails to one team, all or nothing with respect to seats.
    pub async fn bulk_add_users(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        req: BulkAdd,
    ) -> ServiceResult<BulkAddResult> {
        if req.emails.is_empty() {
            return Err(ServiceError::invalid(
                "emails",
                "must list at least one email",
            ));
        }
        if req.emails.len() > MAX_BULK_EMAILS {
            return Err(ServiceError::invalid(
                "emails",
                format!(
                    "lists {} emails; send at most {MAX_BULK_EMAILS} per request",
                    req.emails.len()
                ),
            ));
        }
        let role = req.team_role;
        let mut w = self.write(who, ctx).await?;
        let mut team = load_team(w.db(), who, &req.team_id).await?;
        w.may(Action::ManageMembership(&team.id))?;
        let access = Access::asked(req.app_access);
        memberships::allowed(&team, access)?;
        let now = now_ms();

        // Parse, and drop repeats of an email already listed.
        let mut results: Vec<AddResult> = Vec::with_capacity(req.emails.len());
        let mut valid: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for raw in &req.emails {
            let (outcome, reason) = match Email::parse(raw) {
                Ok(e) if seen.insert(e.to_string()) => {
                    valid.push(e.to_string());
                    (AddOutcome::Added, None)
                }
                Ok(_) => (
                    AddOutcome::Invalid,
                    Some("is listed more than once in this request".to_owned()),
                ),
                Err(e) => (AddOutcome::Invalid, Some(format!("email {}", e.reason))),
            };
            results.push(AddResult {
                email: raw.clone(),
                outcome,
                user_id: None,
                reason,
            });
        }

        let mut ids: HashMap<String, UserId> = people::find_users_by_emails(w.db(), &valid)
            .await?
            .into_iter()
            .collect();
        // Create the users that don't exist yet, then read every id back: a user created by
        // another organization's writer meanwhile is found, not duplicated.
        let new_users: Vec<(UserId, String, Option<String>)> = valid
            .iter()
            .filter(|e| !ids.contains_key(*e))
            .map(|e| (UserId::generate(), e.clone(), None))
            .collect();
        if !new_users.is_empty() {
            people::insert_users(w.db(), &new_users, now).await?;
            ids = people::find_users_by_emails(w.db(), &valid)
                .await?
                .into_iter()
                .collect();
        }
        let existing: Vec<UserId> = ids.values().cloned().collect();
        let already: HashSet<UserId> = people::members_among(w.db(), &who.org, &team.id, &existing)
            .await?
            .into_iter()
            .collect();
        let to_add: Vec<UserId> = valid
            .iter()
            .map(|e| ids[e].clone())
            .filter(|id| !already.contains(id))
            .collect();
        if to_add.is_empty() {
            w.unchanged().await?;
            return Ok(summarize(results, &ids, &already));
        }
        // Invitations go to people new to the organization who have never signed in; someone
        // already active here is just added to the team.
        let invitees = if req.invite == Some(false) {
            Vec::new()
        } else {
            people::to_invite(w.db(), &who.org, &to_add).await?
        };
        memberships::join_many(&mut w, &mut team, to_add, role, access).await?;
        if !invitees.is_empty() {
            let emails: HashMap<&UserId, &String> = ids.iter().map(|(e, id)| (id, e)).collect();
            let invitees: Vec<(UserId, String)> = invitees
                .iter()
                .map(|id| (id.clone(), emails[id].clone()))
                .collect();
            invitations::invite(&mut w, &team.name, &invitees).await?;
        }
        w.commit().await?;
        self.wake_mailer();
        Ok(summarize(results, &ids, &already))
    }
}

/// The outcome per email: `added` ones that were members already are `already_member`.
fn summarize(
    mut results: Vec<AddResult>,
    ids: &HashMap<String, UserId>,
    already: &HashSet<UserId>,
) -> BulkAddResult {
    for r in results
        .iter_mut()
        .filter(|r| r.outcome == AddOutcome::Added)
    {
        let email = Email::parse(&r.email).expect("parsed above").to_string();
        let id = ids[&email].clone();
        if already.contains(&id) {
            r.outcome = AddOutcome::AlreadyMember;
        }
        r.user_id = Some(id.into());
    }
    let count = |o| results.iter().filter(|r| r.outcome == o).count();
    BulkAddResult {
        added: count(AddOutcome::Added),
        already_member: count(AddOutcome::AlreadyMember),
        invalid: count(AddOutcome::Invalid),
        results,
    }
}
