//! Enrollment keys of device-login teams: created (shown once), listed, revoked.

use super::{CreateEnrollmentKey, EnrollmentKeyView, key_view, new_token, token_hash};
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::{EnrollmentKeyId, TeamId};
use switchboard_domain::team::LoginType;
use switchboard_store::apps::{self as store, EnrollmentKeyRow};
use switchboard_store::now_ms;

impl Services {
    /// Creates an enrollment key for a device-login team; the key is shown once.
    pub async fn create_enrollment_key(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
        req: CreateEnrollmentKey,
    ) -> ServiceResult<EnrollmentKeyView> {
        let expires_at = req
            .expires_at
            .as_deref()
            .map(|s| crate::views::future_time("expires_at", s))
            .transpose()?;
        if req.max_uses.is_some_and(|n| !(1..=100_000).contains(&n)) {
            return Err(ServiceError::invalid(
                "max_uses",
                "must be from 1 to 100000",
            ));
        }
        let mut w = self.write(who, ctx).await?;
        let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
        let team_id = t.id.clone();
        w.may(Action::ManageDevices(&team_id))?;
        if t.login_type != LoginType::Device {
            return Err(ServiceError::invalid(
                "team",
                format!(
                    "team {} signs in by email; enrollment keys are for device-login teams",
                    t.name
                ),
            ));
        }
        let key = new_token("sbk");
        let row = EnrollmentKeyRow {
            org_id: who.org.clone(),
            id: EnrollmentKeyId::generate(),
            team_id: t.id.clone(),
            expires_at,
            max_uses: req.max_uses,
            uses: 0,
            revoked_at: None,
            created_by: who.user.to_string(),
            created_at: now_ms(),
        };
        store::insert_enrollment_key(w.db(), &row, &token_hash("enroll", &key)).await?;
        w.record(AuditEvent::EnrollmentKeyCreated {
            key: row.id.clone(),
            team: team_id,
            team_name: t.name.clone(),
            expires_at: req.expires_at.clone(),
            max_uses: req.max_uses,
        })
        .await?;
        w.commit().await?;
        Ok(key_view(row, Some(key)))
    }

    pub async fn list_enrollment_keys(
        &self,
        who: &OrgCaller,
        team: &TeamId,
    ) -> ServiceResult<Vec<EnrollmentKeyView>> {
        let mut c = self.store.read().await?;
        let t = crate::teams::load_team_by_id(&mut c, who, team).await?;
        who.may(Action::ManageDevices(&t.id.clone()))?;
        Ok(store::enrollment_keys_of_team(&mut c, &who.org, &t.id)
            .await?
            .into_iter()
            .map(|k| key_view(k, None))
            .collect())
    }

    pub async fn revoke_enrollment_key(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
        id: &EnrollmentKeyId,
    ) -> ServiceResult<()> {
        let not_found = || ServiceError::NotFound {
            what: "enrollment key",
        };
        let mut w = self.write(who, ctx).await?;
        let t = crate::teams::load_team_by_id(w.db(), who, team).await?;
        let team_id = t.id.clone();
        w.may(Action::ManageDevices(&team_id))?;
        let k = store::get_enrollment_key(w.db(), &who.org, id)
            .await?
            .filter(|k| k.team_id == t.id)
            .ok_or_else(not_found)?;
        store::revoke_enrollment_key(w.db(), &who.org, &k.id, now_ms()).await?;
        w.record(AuditEvent::EnrollmentKeyRevoked {
            key: id.clone(),
            team: team_id,
            team_name: t.name.clone(),
            was_revoked: k.revoked_at.is_some(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
