//! The entitlement answer: may this app run, with which settings — from the cache while the organization's version holds.

use super::cache::{Cached, EntitlementAnswer, Holds, Refusal, TokenKey};
use super::{app_token_digest, unauthenticated};
use crate::ProblemCode;
use crate::settings::effective_settings;
use crate::{ServiceError, ServiceResult, Services};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;
use switchboard_domain::ids::OrgId;
use switchboard_domain::ids::TeamId;
use switchboard_domain::settings::{self, Source};
use switchboard_store::apps::{self as store, AppTokenRow};
use switchboard_store::{now_ms, orgs, people};

impl Services {
    /// The entitlement answer for an app or device token, from the cache when the organization's
    /// version has not moved since it was built. A known token costs one batched version read.
    pub async fn entitlement(&self, token: &str) -> ServiceResult<Arc<EntitlementAnswer>> {
        // The cache is keyed by the token's digest; the database by its hex (made on a miss only).
        let key = app_token_digest(token);
        let kept = self.kept_entitlement(&key).await?;
        self.entitlements.count_lookup(kept.is_some());
        if let Some(kept) = kept {
            return kept;
        }
        // Unknown token, or the organization changed: read the token again and rebuild — one
        // request per token at a time; those that queued meanwhile take its answer when it is
        // kept (after an admin's write, 32 connections of one app rebuild once, not 32 times).
        let _turn = self.entitlements.rebuild_turn(&key).await;
        // The watch's poll (and listener) start with the first token this instance serves.
        self.entitlements.versions.start(&self.store);
        if let Some(kept) = self.kept_entitlement(&key).await? {
            return kept;
        }
        self.entitlements.count_rebuild();
        // Before the read: a refusal kept without a version holds from here (see `Holds::Until`).
        let (asked, commits) = (Instant::now(), self.entitlements.versions.commits());
        let row = {
            let mut c = self.store.read().await?;
            store::app_token(&mut c, &hex::encode(key), now_ms()).await?
        };
        let Some(row) = row else {
            self.entitlements.forget(&key);
            return Err(unauthenticated());
        };
        let choose = || {
            ServiceError::conflict(
                ProblemCode::TeamChoiceRequired,
                "This user is in several teams: list them with GET /app/v1/teams and choose one with POST /app/v1/teams/{team}/select.",
            )
        };
        let (Some(org), Some(version)) = (row.org_id.clone(), row.org_version) else {
            // No organization yet (a user in several teams who hasn't chosen one): no version
            // tells when to ask again, so the refusal is kept for one poll interval (half the
            // freshness bound, leaving the rest for the request that reads it), and only while
            // this instance commits nothing (choosing a team here applies at once).
            let refusal = choose();
            let holds = Holds::Until {
                deadline: asked + self.entitlements.versions.poll_interval(),
                commits,
            };
            self.entitlements.put(
                key,
                Cached {
                    token: row,
                    holds,
                    answer: Err(Refusal::of(&refusal).expect("a conflict is kept")),
                },
            );
            return Err(refusal);
        };
        self.entitlements.versions.advance(&org, version);
        let answer = match &row.team_id {
            None => Err(choose()),
            Some(team) => self.build_entitlement(&org, team, &row).await.map(Arc::new),
        };
        // Answers and lasting refusals are kept until the organization's version moves.
        match answer.as_ref().map_err(Refusal::of) {
            Err(None) => self.entitlements.forget(&key),
            kept => {
                let kept = kept.map(Arc::clone).map_err(|r| r.expect("matched above"));
                self.entitlements.put(
                    key,
                    Cached {
                        token: row,
                        holds: Holds::AtVersion(version),
                        answer: kept,
                    },
                );
            }
        }
        answer
    }

    /// The kept answer (or refusal) for a token, if it still holds.
    async fn kept_entitlement(
        &self,
        key: &TokenKey,
    ) -> ServiceResult<Option<ServiceResult<Arc<EntitlementAnswer>>>> {
        let Some(cached) = self.entitlements.get(key) else {
            return Ok(None);
        };
        if cached.token.expires_at <= now_ms() {
            return Ok(None);
        }
        let holds = match (&cached.holds, &cached.token.org_id) {
            (Holds::AtVersion(v), Some(org)) => {
                self.entitlements.version(&self.store, org).await? == Some(*v)
            }
            (Holds::AtVersion(_), None) => false,
            (Holds::Until { deadline, commits }, _) => {
                Instant::now() < *deadline && self.entitlements.versions.commits() == *commits
            }
        };
        Ok(holds.then(|| cached.answer.clone().map_err(|r| r.error())))
    }

    pub(crate) async fn build_entitlement(
        &self,
        org: &OrgId,
        team: &TeamId,
        row: &AppTokenRow,
    ) -> ServiceResult<EntitlementAnswer> {
        let mut c = self.store.read().await?;
        let o = orgs::get_org(&mut c, org)
            .await?
            .ok_or_else(unauthenticated)?;
        let t =
            orgs::get_team(&mut c, org, team)
                .await?
                .ok_or_else(|| ServiceError::AppRefused {
                    code: ProblemCode::MembershipRemoved,
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
                let m = people::get_membership(&mut c, org, user, team).await?.ok_or_else(|| ServiceError::AppRefused {
                    code: ProblemCode::MembershipRemoved,
                    detail: "You are no longer a member of this team. Ask your admin, or sign in to another team.".into(),
                })?;
                // R33: a token from another organization's provider, or a code's token for a
                // team that has since moved under SSO, answers as a removed membership does.
                let vouched = match &row.sso_org_id {
                    Some(vouching) => vouching == org,
                    None => !switchboard_store::sso::team_under_sso(&mut c, org, team).await?,
                };
                if !vouched {
                    return Err(ServiceError::AppRefused {
                        code: ProblemCode::MembershipRemoved,
                        detail: "You are no longer a member of this team. Ask your admin, or sign in to another team.".into(),
                    });
                }
                if m.app_access == 0 {
                    return Err(ServiceError::AppRefused {
                        code: ProblemCode::AppAccessOff,
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
            // Unavailable keys, and admin settings only Switchboard acts on, aren't the app's.
            if matches!(e.source, Source::Unavailable { .. })
                || settings::spec(&e.key).is_some_and(|s| !s.sent_to_apps)
            {
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
        Ok(EntitlementAnswer {
            body: body.into(),
            etag,
        })
    }
}
