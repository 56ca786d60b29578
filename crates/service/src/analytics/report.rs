//! The analytics report by mail: the last 30 days' per-team summary, mailed to the person who
//! asks (through the outbox, after commit, like every mail).

use crate::mail::Mail;
use crate::outbox::{self, MailKind};
use crate::{OrgCaller, ServiceError, ServiceResult, Services};
use switchboard_store::people;

impl Services {
    /// Queues the report for the caller; answers the address it goes to.
    pub async fn mail_analytics_report(&self, who: &OrgCaller) -> ServiceResult<String> {
        who.may(switchboard_domain::access::Action::ViewAnalytics)?;
        if who.token.is_some() {
            return Err(ServiceError::invalid(
                "token",
                "an API token has no mailbox: ask for the report signed in as a person",
            ));
        }
        let summary = self.team_analytics(who, None, None).await?;
        let email = {
            let mut c = self.store.read().await?;
            people::get_user(&mut c, &who.user)
                .await?
                .map(|u| u.email)
                .ok_or(ServiceError::NotFound { what: "user" })?
        };
        let mut body = format!(
            "Usage per team, {} to {} (the previous 30 days in brackets):\n\n",
            summary.from, summary.to
        );
        for t in &summary.items {
            body.push_str(&format!(
                "{}: {} active of {} seats ({:.0}% adoption) [{}], {} calls [{}], {:.1} call minutes [{:.1}]\n",
                t.team_name,
                t.figures.active_users,
                t.figures.seats_held,
                t.figures.adoption * 100.0,
                t.previous.active_users,
                t.figures.calls,
                t.previous.calls,
                t.figures.call_minutes,
                t.previous.call_minutes,
            ));
        }
        let mut tx = self.store.write().await?;
        outbox::queue(
            &mut tx,
            MailKind::Report,
            None,
            Mail {
                to: email.clone(),
                subject: format!(
                    "Switchboard usage report, {} to {}",
                    summary.from, summary.to
                ),
                body,
                code: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.wake_mailer();
        Ok(email)
    }
}
