//! What the agents' apps talk to: sign-in by code into an app token bound to one membership,
//! devices enrolled with enrollment keys (each a seat holder), and the entitlement answer.
//!
//! The entitlement answer is the hot path. Per request it reads one row — the token joined to its
//! organization's version — and answers from a per-token cache entry built at that version. Every
//! change to an organization bumps its version in the same transaction (see
//! `switchboard_store::Store::write_org`), so the next request on any server instance sees it;
//! no timer, no shared memory.

use crate::seats;
use crate::write::Actor;
use crate::settings::effective_settings;
use crate::teams::load_team;
use crate::views::rfc3339;
use crate::{Ctx, OrgCaller, ServiceError, ServiceResult, Services};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use switchboard_domain::access::Action;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::ids::{DeviceId, EnrollmentKeyId, OrgId, TeamId, UserId};
use switchboard_domain::settings::Source;
use switchboard_domain::team::{LoginType, Name};
use switchboard_store::apps::{self as store, AppTokenRow, DeviceRow, EnrollmentKeyRow};
use switchboard_store::{now_ms, orgs, people};
use utoipa::ToSchema;

/// User app tokens live 90 days; device tokens until the device is removed (ten years).
const USER_TOKEN_TTL_MS: i64 = 90 * 24 * 3600 * 1000;
const DEVICE_TOKEN_TTL_MS: i64 = 10 * 365 * 24 * 3600 * 1000;
/// Entries kept before the cache starts over (a bound on memory, not a freshness rule).
const CACHE_LIMIT: usize = 200_000;

/// A built entitlement answer: the JSON body and its strong ETag.
#[derive(Debug)]
pub struct Answer {
    pub body: String,
    pub etag: String,
}

/// One cached answer: the token it is for, the organization version it was built at.
struct Cached {
    token: AppTokenRow,
    version: i64,
    answer: Arc<Answer>,
}

/// Answers per app token, and the batcher that reads organization versions.
#[derive(Default, Clone)]
pub struct EntitlementCache {
    answers: Arc<Mutex<HashMap<String, Arc<Cached>>>>,
    versions: Arc<tokio::sync::OnceCell<VersionReader>>,
}

type VersionReply = tokio::sync::oneshot::Sender<Result<Option<i64>, String>>;

/// Reads organization versions for many requests at once. A request waits for the next read
/// that starts after it arrived (never one already in flight), so it always sees every commit
/// made before it came in; under load one read answers every request that queued meanwhile.
#[derive(Clone)]
struct VersionReader {
    queue: tokio::sync::mpsc::UnboundedSender<(String, VersionReply)>,
}

impl VersionReader {
    fn start(store: switchboard_store::Store) -> Self {
        let (queue, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, VersionReply)>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                let mut orgs: Vec<String> = batch.iter().map(|(o, _)| o.clone()).collect();
                orgs.sort();
                orgs.dedup();
                let read = async {
                    let mut c = store.read().await?;
                    orgs::versions(&mut c, &orgs).await
                };
                let result = read.await.map_err(|e| e.to_string());
                for (org, reply) in batch {
                    let answer = match &result {
                        Ok(rows) => Ok(rows.iter().find(|(id, _)| *id == org).map(|(_, v)| *v)),
                        Err(e) => Err(e.clone()),
                    };
                    let _ = reply.send(answer);
                }
            }
        });
        Self { queue }
    }

    async fn version(&self, org: &str) -> ServiceResult<Option<i64>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let failed = |e: String| {
            ServiceError::Store(switchboard_store::StoreError::Database(
                switchboard_store::sqlx::Error::Protocol(e),
            ))
        };
        self.queue
            .send((org.to_owned(), tx))
            .map_err(|_| failed("the version reader stopped".into()))?;
        rx.await
            .map_err(|_| failed("the version reader stopped".into()))?
            .map_err(failed)
    }
}

fn token_hash(kind: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

fn app_token_hash(token: &str) -> String {
    token_hash("app", token)
}

fn new_token(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(rand::rng().random::<[u8; 32]>()))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppVerify {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    /// The team to sign in to, when the user is in several.
    #[schema(min_length = 1, max_length = 64, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppTeam {
    pub org_id: String,
    pub org_name: Option<String>,
    pub team_id: String,
    pub team_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppSession {
    pub token: String,
    pub expires_at: String,
    /// The team the token is bound to; null until the app chooses one of `teams`.
    pub team_id: Option<String>,
    pub teams: Vec<AppTeam>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    #[schema(min_length = 1, max_length = 200)]
    pub enrollment_key: String,
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100)]
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolled {
    pub device_id: String,
    pub org_id: String,
    pub team_id: String,
    /// The device token: send it as a bearer token to `/app/v1/entitlement`.
    pub token: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollmentKey {
    /// RFC 3339; none: never expires.
    #[schema(format = DateTime, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub expires_at: Option<String>,
    /// How many devices may enroll with it; none: no limit.
    #[schema(minimum = 1, maximum = 100000, nullable = false)]
    #[serde(default, deserialize_with = "crate::json::present")]
    pub max_uses: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrollmentKeyView {
    pub id: String,
    pub team_id: String,
    pub expires_at: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked: bool,
    pub created_at: String,
    /// The key itself: shown once, when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub enrolled_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameDevice {
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*[^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff][^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ue000-\\uf8ff]*$", min_length = 1, max_length = 100)]
    pub name: String,
}

fn key_view(k: EnrollmentKeyRow, key: Option<String>) -> EnrollmentKeyView {
    EnrollmentKeyView {
        expires_at: k.expires_at.map(rfc3339),
        revoked: k.revoked_at.is_some(),
        created_at: rfc3339(k.created_at),
        id: k.id,
        team_id: k.team_id,
        max_uses: k.max_uses,
        uses: k.uses,
        key,
    }
}

fn device_view(d: DeviceRow) -> DeviceView {
    DeviceView {
        enrolled_at: rfc3339(d.enrolled_at),
        id: d.id,
        team_id: d.team_id,
        name: d.name,
    }
}

fn unauthenticated() -> ServiceError {
    ServiceError::Unauthenticated(
        "The app token is unknown, expired or revoked. Sign in (or enroll) again.",
    )
}

impl Services {
    /// The email-login teams the user may run the app in, across organizations.
    async fn app_teams(
        &self,
        c: &mut switchboard_store::Conn,
        user: &str,
    ) -> ServiceResult<Vec<AppTeam>> {
        let mut teams = Vec::new();
        for (org_id, org_name, _) in people::orgs_of_user(c, user).await? {
            for m in people::memberships_of_users(c, &org_id, &[user.to_owned()]).await? {
                if m.login_type == LoginType::Email.as_str() {
                    teams.push(AppTeam {
                        org_id: org_id.clone(),
                        org_name: org_name.clone(),
                        team_id: m.team_id,
                        team_name: m.team_name,
                    });
                }
            }
        }
        Ok(teams)
    }

    /// App sign-in: the same code as the portal, exchanged for an app token bound to one
    /// membership (the only one, or `team_id`), or unbound until the app chooses.
    pub async fn app_verify(
        &self,
        req: AppVerify,
        client_ip: std::net::IpAddr,
    ) -> ServiceResult<AppSession> {
        let (mut tx, user, now) = self.redeem_code(&req.email, &req.code, client_ip).await?;
        let teams = self.app_teams(&mut tx, &user.id).await?;
        if teams.is_empty() {
            // Nothing is committed: the code stays usable once an admin adds the user to a team.
            return Err(ServiceError::Refused {
                code: "no_team",
                detail: "You are not a member of any email-login team, so the app has nothing to run in. Ask your admin to add you.".into(),
            });
        }
        let chosen = match &req.team_id {
            Some(id) => Some(
                teams
                    .iter()
                    .find(|t| &t.team_id == id)
                    .ok_or(ServiceError::NotFound { what: "team" })?
                    .clone(),
            ),
            None if teams.len() == 1 => Some(teams[0].clone()),
            None => None,
        };
        let token = new_token("sba");
        let row = AppTokenRow {
            org_id: chosen.as_ref().map(|t| t.org_id.clone()),
            team_id: chosen.as_ref().map(|t| t.team_id.clone()),
            user_id: Some(user.id.clone()),
            device_id: None,
            expires_at: now + USER_TOKEN_TTL_MS,
            org_version: None,
        };
        store::insert_app_token(&mut tx, &app_token_hash(&token), &row, now).await?;
        tx.commit().await?;
        Ok(AppSession {
            token,
            expires_at: rfc3339(row.expires_at),
            team_id: row.team_id,
            teams,
        })
    }

    async fn token_row(&self, token: &str) -> ServiceResult<AppTokenRow> {
        let mut c = self.store.read().await?;
        store::app_token(&mut c, &app_token_hash(token), now_ms())
            .await?
            .ok_or_else(unauthenticated)
    }

    /// The teams a signed-in app user may choose from.
    pub async fn app_list_teams(&self, token: &str) -> ServiceResult<Vec<AppTeam>> {
        let row = self.token_row(token).await?;
        let user = row.user_id.ok_or(ServiceError::invalid(
            "token",
            "is a device token; devices belong to one team",
        ))?;
        let mut c = self.store.read().await?;
        self.app_teams(&mut c, &user).await
    }

    /// Binds the app token to one of the user's teams. The organizations it leaves and joins
    /// both move to a new version, so every instance's cached answer for it is rebuilt.
    pub async fn app_select_team(
        &self,
        ctx: &Ctx,
        token: &str,
        team: &str,
    ) -> ServiceResult<AppSession> {
        let row = self.token_row(token).await?;
        let user = row.user_id.clone().ok_or(ServiceError::invalid(
            "token",
            "is a device token; devices belong to one team",
        ))?;
        let teams = {
            let mut c = self.store.read().await?;
            self.app_teams(&mut c, &user).await?
        };
        let chosen = teams
            .iter()
            .find(|t| t.team_id == team)
            .ok_or(ServiceError::NotFound { what: "team" })?
            .clone();
        // Lock both organizations in id order, so two such moves can never wait on each other.
        let mut both = vec![chosen.org_id.clone()];
        both.extend(row.org_id.clone().filter(|o| *o != chosen.org_id));
        both.sort();
        let email = {
            let mut c = self.store.read().await?;
            people::get_user(&mut c, &user)
                .await?
                .map(|u| u.email)
                .unwrap_or_default()
        };
        let actor = Actor::User {
            id: UserId::from_db(user.clone()),
            email: email.clone(),
        };
        let chosen_org = OrgId::from_db(chosen.org_id.clone());
        let first = OrgId::from_db(both[0].clone());
        let mut w = self.write_as(&first, actor.clone(), ctx).await?;
        for other in &both[1..] {
            w.touch_org(&OrgId::from_db(other.clone())).await?;
        }
        store::bind_app_token(
            w.db(),
            &app_token_hash(token),
            &chosen.org_id,
            &chosen.team_id,
        )
        .await?;
        let event = AuditEvent::AppTeamChosen {
            user: UserId::from_db(user.clone()),
            email,
            before: row.team_id.clone().map(TeamId::from_db),
            after: TeamId::from_db(chosen.team_id.clone()),
        };
        // The entry belongs to the chosen organization's log, whose lock this write holds.
        w.record_in(&chosen_org, event).await?;
        w.commit().await?;
        Ok(AppSession {
            token: token.to_owned(),
            expires_at: rfc3339(row.expires_at),
            team_id: Some(chosen.team_id),
            teams,
        })
    }

    /// The entitlement answer for an app or device token, from the cache when the organization's
    /// version has not moved since it was built. A known token costs one batched version read.
    pub async fn entitlement(&self, token: &str) -> ServiceResult<Arc<Answer>> {
        let hash = app_token_hash(token);
        let known = self
            .entitlements
            .answers
            .lock()
            .expect("cache lock")
            .get(&hash)
            .cloned();
        if let Some(cached) = known
            && cached.token.expires_at > now_ms()
            && let Some(org) = &cached.token.org_id
        {
            let store = self.store.clone();
            let reader = self
                .entitlements
                .versions
                .get_or_init(|| async move { VersionReader::start(store) })
                .await;
            if reader.version(org).await? == Some(cached.version) {
                return Ok(cached.answer.clone());
            }
        }
        // Unknown token, or the organization changed: read the token again and rebuild.
        let row = {
            let mut c = self.store.read().await?;
            store::app_token(&mut c, &hash, now_ms()).await?
        };
        let Some(row) = row else {
            self.entitlements
                .answers
                .lock()
                .expect("cache lock")
                .remove(&hash);
            return Err(unauthenticated());
        };
        let (Some(org), Some(team), Some(version)) =
            (row.org_id.clone(), row.team_id.clone(), row.org_version)
        else {
            return Err(ServiceError::conflict(
                "team_choice_required",
                "This user is in several teams: list them with GET /app/v1/teams and choose one with POST /app/v1/teams/{team}/select.",
            ));
        };
        let built = self.build_entitlement(&org, &team, &row).await;
        let mut cache = self.entitlements.answers.lock().expect("cache lock");
        let answer = match built {
            Ok(a) => Arc::new(a),
            Err(e) => {
                cache.remove(&hash);
                return Err(e);
            }
        };
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(
            hash,
            Arc::new(Cached {
                token: row,
                version,
                answer: answer.clone(),
            }),
        );
        Ok(answer)
    }

    async fn build_entitlement(
        &self,
        org: &str,
        team: &str,
        row: &AppTokenRow,
    ) -> ServiceResult<Answer> {
        let mut c = self.store.read().await?;
        let o = orgs::get_org(&mut c, org)
            .await?
            .ok_or_else(unauthenticated)?;
        let t = orgs::get_team(&mut c, org, team)
            .await?
            .ok_or_else(|| ServiceError::Refused {
                code: "membership_removed",
                detail: "The team this app signed in to no longer exists.".into(),
            })?;
        let subject = match (&row.user_id, &row.device_id) {
            (_, Some(device)) => {
                let d = store::get_device(&mut c, org, device)
                    .await?
                    .ok_or_else(unauthenticated)?;
                json!({"kind": "device", "id": d.id, "name": d.name})
            }
            (Some(user), None) => {
                let m = people::get_membership(&mut c, org, user, team).await?.ok_or_else(|| ServiceError::Refused {
                    code: "membership_removed",
                    detail: "You are no longer a member of this team. Ask your admin, or sign in to another team.".into(),
                })?;
                if m.app_access == 0 {
                    return Err(ServiceError::Refused {
                        code: "app_access_off",
                        detail: "App access is turned off for you in this team. Ask your admin to turn it on.".into(),
                    });
                }
                let u = people::get_user(&mut c, user)
                    .await?
                    .ok_or_else(unauthenticated)?;
                json!({"kind": "user", "id": u.id, "email": u.email})
            }
            (None, None) => return Err(unauthenticated()),
        };
        let (_, effective, _) = effective_settings(&mut c, org, &t).await?;
        let mut settings = serde_json::Map::new();
        let mut locked = Vec::new();
        for e in effective {
            if matches!(e.source, Source::Unavailable { .. }) {
                continue;
            }
            if e.locked {
                locked.push(e.key.clone());
            }
            settings.insert(e.key, e.value);
        }
        let body = json!({
            "org": {"id": o.id, "name": o.name},
            "team": {"id": t.id, "name": t.name},
            "subject": subject,
            "app_access": true,
            "seat": "held",
            "settings": Value::Object(settings),
            "locked": locked,
        })
        .to_string();
        // Strong ETag from the content: equal answers share a tag on every instance, and the tag
        // moves only when what this subject sees moves — never because of an unrelated write in
        // the organization (the body carries no version).
        let etag = format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(body.as_bytes()))[..32]
        );
        Ok(Answer { body, etag })
    }

    /// Creates an enrollment key for a device-login team; the key is shown once.
    pub async fn create_enrollment_key(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        team: &str,
        req: CreateEnrollmentKey,
    ) -> ServiceResult<EnrollmentKeyView> {
        let expires_at = match &req.expires_at {
            Some(s) => {
                let t =
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| {
                            ServiceError::invalid(
                                "expires_at",
                                "must be an RFC 3339 time like 2027-01-31T00:00:00Z",
                            )
                        })?;
                let ms = (t.unix_timestamp_nanos() / 1_000_000) as i64;
                if ms <= now_ms() {
                    return Err(ServiceError::invalid("expires_at", "is in the past"));
                }
                Some(ms)
            }
            None => None,
        };
        if req.max_uses.is_some_and(|n| !(1..=100_000).contains(&n)) {
            return Err(ServiceError::invalid(
                "max_uses",
                "must be from 1 to 100000",
            ));
        }
        let mut w = self.write(who, ctx).await?;
        let t = load_team(w.db(), who, team).await?;
        let team_id = TeamId::from_db(t.id.clone());
        w.may(Action::ManageDevices(&team_id))?;
        if t.login_type != LoginType::Device.as_str() {
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
            org_id: who.org.to_string(),
            id: EnrollmentKeyId::generate().to_string(),
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
            key: EnrollmentKeyId::from_db(row.id.clone()),
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
        team: &str,
    ) -> ServiceResult<Vec<EnrollmentKeyView>> {
        let mut c = self.store.read().await?;
        let t = load_team(&mut c, who, team).await?;
        who.may(Action::ManageDevices(&TeamId::from_db(t.id.clone())))?;
        Ok(
            store::enrollment_keys_of_team(&mut c, who.org.as_str(), &t.id)
                .await?
                .into_iter()
                .map(|k| key_view(k, None))
                .collect(),
        )
    }

    pub async fn revoke_enrollment_key(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        team: &str,
        key: &str,
    ) -> ServiceResult<()> {
        let not_found = || ServiceError::NotFound {
            what: "enrollment key",
        };
        let id = EnrollmentKeyId::parse(key).ok_or_else(not_found)?;
        let mut w = self.write(who, ctx).await?;
        let t = load_team(w.db(), who, team).await?;
        let team_id = TeamId::from_db(t.id.clone());
        w.may(Action::ManageDevices(&team_id))?;
        let k = store::get_enrollment_key(w.db(), who.org.as_str(), id.as_str())
            .await?
            .filter(|k| k.team_id == t.id)
            .ok_or_else(not_found)?;
        store::revoke_enrollment_key(w.db(), who.org.as_str(), &k.id, now_ms()).await?;
        w.record(AuditEvent::EnrollmentKeyRevoked {
            key: id,
            team: team_id,
            team_name: t.name.clone(),
            was_revoked: k.revoked_at.is_some(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// Enrolls a device with a key: a seat holder of the key's team, seat-checked (R13, R17).
    pub async fn enroll_device(&self, ctx: &Ctx, req: Enroll) -> ServiceResult<Enrolled> {
        let invalid = |why: &str| ServiceError::Refused {
            code: "enrollment_key_invalid",
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
        let org = OrgId::from_db(org);
        let k = {
            let mut c = self.store.read().await?;
            store::find_enrollment_key(&mut c, &hash)
                .await?
                .ok_or_else(|| invalid("is not known"))?
        };
        let key_id = EnrollmentKeyId::from_db(k.id.clone());
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
        let team = orgs::get_team(w.db(), org.as_str(), &k.team_id)
            .await?
            .ok_or_else(|| invalid("belongs to a team that no longer exists"))?;
        seats::check_team(w.db(), org.as_str(), &team.id, &team.name, 1).await?;
        let device = DeviceRow {
            org_id: org.to_string(),
            id: DeviceId::generate().to_string(),
            team_id: team.id.clone(),
            name: name.as_str().to_owned(),
            enrolled_at: now,
        };
        store::insert_device(w.db(), &device).await?;
        store::use_enrollment_key(w.db(), org.as_str(), &k.id).await?;
        let token = new_token("sbd");
        let row = AppTokenRow {
            org_id: Some(org.to_string()),
            team_id: Some(team.id.clone()),
            user_id: None,
            device_id: Some(device.id.clone()),
            expires_at: now + DEVICE_TOKEN_TTL_MS,
            org_version: None,
        };
        store::insert_app_token(w.db(), &app_token_hash(&token), &row, now).await?;
        w.record(AuditEvent::DeviceEnrolled {
            device: DeviceId::from_db(device.id.clone()),
            name: device.name.clone(),
            team: TeamId::from_db(team.id.clone()),
            team_name: team.name.clone(),
        })
        .await?;
        w.commit().await?;
        Ok(Enrolled {
            device_id: device.id,
            org_id: org.to_string(),
            team_id: team.id,
            token,
        })
    }

    pub async fn list_devices(
        &self,
        who: &OrgCaller,
        team: &str,
    ) -> ServiceResult<Vec<DeviceView>> {
        let mut c = self.store.read().await?;
        let t = load_team(&mut c, who, team).await?;
        who.may(Action::ManageDevices(&TeamId::from_db(t.id.clone())))?;
        Ok(store::devices_of_team(&mut c, who.org.as_str(), &t.id)
            .await?
            .into_iter()
            .map(device_view)
            .collect())
    }

    pub async fn rename_device(
        &self,
        who: &OrgCaller,
        ctx: &Ctx,
        team: &str,
        device: &str,
        req: RenameDevice,
    ) -> ServiceResult<DeviceView> {
        let name = Name::parse("name", &req.name)?;
        let mut w = self.write(who, ctx).await?;
        let mut d = load_device(&mut w, who, team, device).await?;
        store::rename_device(w.db(), who.org.as_str(), &d.id, name.as_str()).await?;
        w.record(AuditEvent::DeviceRenamed {
            device: DeviceId::from_db(d.id.clone()),
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
        ctx: &Ctx,
        team: &str,
        device: &str,
    ) -> ServiceResult<()> {
        let mut w = self.write(who, ctx).await?;
        let d = load_device(&mut w, who, team, device).await?;
        store::delete_device(w.db(), &d).await?;
        w.record(AuditEvent::DeviceRemoved {
            device: DeviceId::from_db(d.id.clone()),
            name: d.name.clone(),
            team: TeamId::from_db(d.team_id.clone()),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}

/// A device of one of the caller's teams, for a change.
async fn load_device(
    w: &mut crate::write::Write,
    who: &OrgCaller,
    team: &str,
    device: &str,
) -> ServiceResult<DeviceRow> {
    let not_found = || ServiceError::NotFound { what: "device" };
    let t = load_team(w.db(), who, team).await?;
    w.may(Action::ManageDevices(&TeamId::from_db(t.id.clone())))?;
    let id = DeviceId::parse(device).ok_or_else(not_found)?;
    store::get_device(w.db(), who.org.as_str(), id.as_str())
        .await?
        .filter(|d| d.team_id == t.id)
        .ok_or_else(not_found)
}
