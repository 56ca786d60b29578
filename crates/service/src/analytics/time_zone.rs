//! R26: the organization's time zone, in which analytics count calendar days (default UTC).
//! A change applies to events taken from then on; days already counted stay as they were.

use crate::views::OrgView;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use serde::Deserialize;
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::usage::time_zone_ok;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    /// An IANA time zone, e.g. `Europe/Berlin`.
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: String,
}

impl Services {
    pub async fn update_org(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        req: UpdateOrg,
    ) -> ServiceResult<OrgView> {
        let tz = req.time_zone.trim().to_owned();
        if !time_zone_ok(&tz) {
            return Err(ServiceError::invalid(
                "time_zone",
                format!("{tz:?} is not an IANA time zone like Europe/Berlin or America/New_York"),
            ));
        }
        let mut w = self.write(who, ctx).await?;
        w.may(Action::EditOrg)?;
        let before = switchboard_store::usage::time_zone(w.db(), &who.org)
            .await?
            .unwrap_or_else(|| "UTC".into());
        if before == tz {
            // Nothing to change (and so nothing to record): the write rolls back.
            drop(w);
            return self.get_org(who).await;
        }
        switchboard_store::usage::set_time_zone(w.db(), &who.org, &tz).await?;
        w.record(AuditEvent::OrgTimeZoneChanged {
            org: who.org.clone(),
            before,
            after: tz,
        })
        .await?;
        w.commit().await?;
        self.get_org(who).await
    }
}
