//! R12, R15: subscriptions as Org Admins see them, and renaming one.

use super::{RenameSubscription, SubscriptionView, load_subscription, subscription_view};
use crate::{OrgCaller, RequestInfo, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::event::AuditEvent;
use switchboard_domain::ids::SubscriptionId;
use switchboard_domain::team::Name;
use switchboard_store::billing::{self};

impl Services {
    pub async fn list_subscriptions(
        &self,
        who: &OrgCaller,
    ) -> ServiceResult<Vec<SubscriptionView>> {
        who.may(Action::ViewBilling)?;
        let mut c = self.store.read().await?;
        let mut out = Vec::new();
        for sub in billing::list_subscriptions(&mut c, &who.org).await? {
            out.push(subscription_view(&mut c, sub).await?);
        }
        Ok(out)
    }

    pub async fn get_subscription(
        &self,
        who: &OrgCaller,
        sub: &SubscriptionId,
    ) -> ServiceResult<SubscriptionView> {
        who.may(Action::ViewBilling)?;
        let mut c = self.store.read().await?;
        let row = load_subscription(&mut c, &who.org, sub).await?;
        subscription_view(&mut c, row).await
    }

    pub async fn rename_subscription(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        sub: &SubscriptionId,
        req: RenameSubscription,
    ) -> ServiceResult<SubscriptionView> {
        let name = Name::parse("name", &req.name)?;
        let mut w = self.write(who, ctx).await?;
        w.may(Action::ManageBilling)?;
        let row = load_subscription(w.db(), &who.org, sub).await?;
        billing::rename(w.db(), &who.org, &row.id, name.as_str()).await?;
        w.record(AuditEvent::SubscriptionRenamed {
            subscription: row.id.clone(),
            before: row.name.clone(),
            after: name.as_str().to_owned(),
        })
        .await?;
        let row = load_subscription(w.db(), &who.org, sub).await?;
        let view = subscription_view(w.db(), row).await?;
        w.commit().await?;
        Ok(view)
    }
}
