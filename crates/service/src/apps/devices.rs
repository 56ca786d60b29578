//! Devices: enrolled with a key (each a seat holder, R13), listed, renamed, removed.

use super::{
    DEVICE_TOKEN_TTL_MS, DeviceView, Enroll, Enrolled, RenameDevice, app_token_hash, device_view,
    load_device, new_token, token_hash,
};
use crate::ProblemCode;
use crate::seats;
use crate::write::Actor;
use crate::{OrgCaller, RequestInfo, ServiceError, ServiceResult, Services};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::{DeviceId, TeamId};
use switchboard_domain::team::Name;
use switchboard_store::apps::{self as store, AppTokenRow, DeviceRow};
use switchboard_store::{now_ms, orgs};

impl Services {
    /// Enrolls a device with a key: a seat holder of the key's team, seat-checked (R13, R17).
    pub async fn enroll_device(&self, ctx: &RequestInfo, req: Enroll) -> ServiceResult<Enrolled> {
        let invalid = |why: &str| ServiceError::AppRefused {
            code: ProblemCode::EnrollmentKeyInvalid,
            detail: format!("The enrollment key {why}; ask your admin for a new one."),
        };
        let name = Name::parse("device_name", &req.device_name)?;
        let hash = token_hash("enroll", req.enrollment_key.trim());
        let org = {
            let mut c = self.store.read().await?;
            store::find_enrollment_key(&mut c, &hash)
                .await?
                .ok_or_else(|| invalid("is not known"))?
                .org_id
        };
        let k = {
            let mut c = self.store.read().await?;
            store::find_enrollment_key(&mut c, &hash)
                .await?
                .ok_or_else(|| invalid("is not known"))?
        };
        let key_id = k.id.clone();
        let mut w = self
            .write_as(&org, Actor::EnrollmentKey(key_id), ctx)
            .await?;
        // Read again under the lock: uses and revocation may have changed meanwhile.
        let k = store::find_enrollment_key(w.db(), &hash)
            .await?
            .ok_or_else(|| invalid("is not known"))?;
        let now = now_ms();
        if k.revoked_at.is_some() {
            return Err(invalid("was revoked"));
        }
        if k.expires_at.is_some_and(|e| e <= now) {
            return Err(invalid("has expired"));
        }
        if k.max_uses.is_some_and(|m| k.uses >= m) {
            return Err(invalid("has been used up"));
        }
        let team = orgs::get_team(w.db(), &org, &k.team_id)
            .await?
            .ok_or_else(|| invalid("belongs to a team that no longer exists"))?;
        seats::check(w.db(), &team, 1).await?;
        let device = DeviceRow {
            org_id: org.clone(),
            id: DeviceId::generate(),
            team_id: team.id.clone(),
            name: name.as_str().to_owned(),
            enrolled_at: now,
        };
        store::insert_device(w.db(), &device).await?;
        store::use_enrollment_key(w.db(), &org, &k.id).await?;
        let token = new_token("sbd");
        let row = AppTokenRow {
            org_id: Some(org.clone()),
            team_id: Some(team.id.clone()),
            user_id: None,
            device_id: Some(device.id.clone()),
            expires_at: now + DEVICE_TOKEN_TTL_MS,
            org_version: None,
            sso_org_id: None,
        };
        store::insert_app_token(w.db(), &app_token_hash(&token), &row, now).await?;
        w.record(AuditEvent::DeviceEnrolled {
            device: device.id.clone(),
            name: device.name.clone(),
            team: team.id.clone(),
            team_name: team.name.clone(),
        })
        .await?;
        w.commit().await?;
        Ok(Enrolled {
            device_id: device.id.into(),
            org_id: org.clone().into(),
            team_id: team.id.into(),
            token,
        })
    }

    pub async fn list_devices(
        &self,
        who: &OrgCaller,
        team: &TeamId,
    ) -> ServiceResult<Vec<DeviceView>> {
        let mut c = self.store.read().await?;
        let t = crate::teams::load_team_by_id(&mut c, who, team).await?;
        who.may(Action::ManageDevices(&t.id.clone()))?;
        Ok(store::devices_of_team(&mut c, &who.org, &t.id)
            .await?
            .into_iter()
            .map(device_view)
            .collect())
    }

    pub async fn rename_device(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
        device: &DeviceId,
        req: RenameDevice,
    ) -> ServiceResult<DeviceView> {
        let name = Name::parse("name", &req.name)?;
        let mut w = self.write(who, ctx).await?;
        let mut d = load_device(&mut w, who, team, device).await?;
        store::rename_device(w.db(), &who.org, &d.id, name.as_str()).await?;
        w.record(AuditEvent::DeviceRenamed {
            device: d.id.clone(),
            before: d.name.clone(),
            after: name.as_str().to_owned(),
        })
        .await?;
        w.commit().await?;
        d.name = name.as_str().to_owned();
        Ok(device_view(d))
    }

    /// Removes a device: its seat is free and its token stops working.
    pub async fn remove_device(
        &self,
        who: &OrgCaller,
        ctx: &RequestInfo,
        team: &TeamId,
        device: &DeviceId,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        let d = load_device(&mut w, who, team, device).await?;
        store::delete_device(w.db(), &d).await?;
        w.record(AuditEvent::DeviceRemoved {
            device: d.id.clone(),
            name: d.name.clone(),
            team: d.team_id.clone(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}
