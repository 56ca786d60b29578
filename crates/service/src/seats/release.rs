//! R29: idle seats are released by rule. For every email-login team whose effective
//! `seat_release_after_days` is N > 0, a seat holder idle (no call with the app in the team, and
//! no fresh grant of access) for more than N days loses app access — the seat is freed, the
//! memberships stay — audited with actor `system`. Seven days before, the person gets a notice
//! (once per idle stretch) and the team's admins a daily digest of what is coming.
//!
//! The job looks first without a lock and takes the organization's write lock only when there
//! is something to do; under the lock it reads the idle set again, so a call that arrived in
//! between keeps the seat and two instances running at once release each seat once.

use crate::mail::Mail;
use crate::memberships::{self, Noted, Person};
use crate::outbox::{self, MailKind};
use crate::settings::effective_settings;
use crate::write::Actor;
use crate::{RequestInfo, ServiceResult, Services};
use serde::Serialize;
use std::collections::BTreeMap;
use switchboard_domain::audit::AuditEvent;
use switchboard_domain::audit::event::MembershipState;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::OrgRole;
use switchboard_domain::team::LoginType;
use switchboard_store::idle::{self, SeatHolder};
use switchboard_store::orgs::{self, TeamRow};
use switchboard_store::{Conn, people, usage};

/// The setting that turns the rule on for a team.
pub const SETTING: &str = "seat_release_after_days";
/// How long before its release an idle seat's holder is told.
pub const NOTICE_DAYS: i64 = 7;
pub(crate) const DAY_MS: i64 = 86_400_000;

/// One seat the rule released, or will release.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdleSeat {
    pub user_id: UserId,
    pub email: String,
    pub team_id: TeamId,
    pub team_name: String,
    /// The newest call in the team (RFC 3339), or null when there was none.
    pub last_call_at: Option<String>,
    /// Since when the seat is held (RFC 3339).
    pub access_since: String,
    /// The day the seat is released (the organization's time zone).
    pub release_on: String,
}

/// What a run did (or, dry, would do) in one organization.
#[derive(Debug, Clone, Serialize)]
pub struct OrgRelease {
    pub org_id: OrgId,
    pub released: Vec<IdleSeat>,
    /// Holders told this run that their seat is released on `release_on`.
    pub noticed: Vec<IdleSeat>,
}

/// A team under the rule, with its N.
pub(crate) struct RuledTeam {
    pub team: TeamRow,
    pub days: i64,
}

/// The email-login teams of `org` where the rule is on.
pub(crate) async fn ruled_teams(c: &mut Conn, org: &OrgId) -> ServiceResult<Vec<RuledTeam>> {
    let mut out = Vec::new();
    // With the catalog's default off, an organization where no team value or policy names the
    // key has the rule nowhere: one probe instead of every team's settings.
    let default_off =
        switchboard_domain::settings::spec(SETTING).is_some_and(|s| s.default.as_i64() == Some(0));
    if default_off && !idle::may_have_rule(c, org, SETTING).await? {
        return Ok(out);
    }
    for team in orgs::list_teams(c, org).await? {
        if team.login_type != LoginType::Email {
            continue;
        }
        let (_, effective, _) = effective_settings(c, org, &team).await?;
        let days = effective
            .iter()
            .find(|e| e.key == SETTING)
            .and_then(|e| e.value.as_i64())
            .unwrap_or(0);
        if days > 0 {
            out.push(RuledTeam { team, days });
        }
    }
    Ok(out)
}

/// The seat holders of a ruled team idle long enough at `at` to be told: N − 7 days, and at
/// least a day (with N = 7 the notice comes after a day, the release a week after it).
async fn upcoming(
    c: &mut Conn,
    org: &OrgId,
    t: &RuledTeam,
    at: i64,
) -> ServiceResult<Vec<SeatHolder>> {
    let cutoff = at - (t.days - NOTICE_DAYS).max(1) * DAY_MS;
    Ok(idle::idle_since_before(c, org, &t.team.id, cutoff).await?)
}

pub(crate) fn rfc3339(ms: i64) -> String {
    crate::views::rfc3339(ms)
}

/// How long a notice stands: its week, and two days' grace for a job that ran late. An older
/// one (the rule was off in between, or the job was down) is given again before any release.
const NOTICE_STANDS_MS: i64 = (NOTICE_DAYS + 2) * DAY_MS;

/// The notice of `h`'s current stretch that still stands at `at`, if any.
fn standing_notice(
    told: &std::collections::HashMap<(UserId, i64), i64>,
    h: &SeatHolder,
    at: i64,
) -> Option<i64> {
    told.get(&(h.user_id.clone(), h.idle_from()))
        .copied()
        .filter(|noticed| at - noticed <= NOTICE_STANDS_MS)
}

/// When a holder's seat is released: N days into the stretch, and never sooner than
/// [`NOTICE_DAYS`] after a standing notice (none yet: told now, at `at`), so switching the rule
/// on never takes a seat without notice.
fn release_at(h: &SeatHolder, days: i64, noticed_at: Option<i64>, at: i64) -> i64 {
    (h.idle_from() + days * DAY_MS).max(noticed_at.unwrap_or(at) + NOTICE_DAYS * DAY_MS)
}

fn idle_seat(h: &SeatHolder, t: &RuledTeam, release_at: i64, tz: &str) -> IdleSeat {
    IdleSeat {
        user_id: h.user_id.clone(),
        email: h.email.clone(),
        team_id: t.team.id.clone(),
        team_name: t.team.name.clone(),
        last_call_at: h.last_call_at.map(rfc3339),
        access_since: rfc3339(h.access_since),
        release_on: switchboard_domain::usage::day_of(release_at, tz),
    }
}

/// A seat of a ruled team idle long enough to be told: its holder, the notice that stands (if
/// any), when it is released, and how it reads. What the job, the digest and the idle list read.
pub(crate) struct Due {
    pub holder: SeatHolder,
    pub noticed_at: Option<i64>,
    pub release_at: i64,
    pub seat: IdleSeat,
}

/// The seats of `t` due a notice or a release at `at`, days in `tz`.
pub(crate) async fn due_in(
    c: &mut Conn,
    org: &OrgId,
    t: &RuledTeam,
    at: i64,
    tz: &str,
) -> ServiceResult<Vec<Due>> {
    let told = idle::notices(c, org, &t.team.id).await?;
    Ok(upcoming(c, org, t, at)
        .await?
        .into_iter()
        .map(|holder| {
            let noticed_at = standing_notice(&told, &holder, at);
            let release_at = release_at(&holder, t.days, noticed_at, at);
            Due {
                seat: idle_seat(&holder, t, release_at, tz),
                holder,
                noticed_at,
                release_at,
            }
        })
        .collect())
}

impl Services {
    /// Runs the rule as of `at` (epoch ms) in every organization, or in `only`. Each
    /// organization is its own transaction; one that fails is logged and the others go on.
    /// `dry_run` answers what would happen and changes nothing.
    pub async fn release_idle_seats(
        &self,
        at: i64,
        only: Option<&OrgId>,
        dry_run: bool,
    ) -> ServiceResult<Vec<OrgRelease>> {
        let orgs = match only {
            Some(o) => vec![o.clone()],
            None => orgs::all_ids(&mut *self.store.read().await?).await?,
        };
        let mut out = Vec::new();
        for org in orgs {
            match self.release_idle_in(&org, at, dry_run).await {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {}
                Err(e) if only.is_some() => return Err(e),
                Err(e) => tracing::error!(org = %org, error = %e, "releasing idle seats failed"),
            }
        }
        Ok(out)
    }

    async fn release_idle_in(
        &self,
        org: &OrgId,
        at: i64,
        dry_run: bool,
    ) -> ServiceResult<Option<OrgRelease>> {
        // A look without the lock: most organizations have nothing to do.
        {
            let mut c = self.store.read().await?;
            let mut any = false;
            for t in ruled_teams(&mut c, org).await? {
                any |= !upcoming(&mut c, org, &t, at).await?.is_empty();
            }
            if !any {
                return Ok(None);
            }
        }
        let (report, coming) = self.release_and_notice(org, at, dry_run).await?;
        // What was released stays released, and is reported, whatever becomes of the digest.
        if !dry_run && let Err(e) = self.digest_upcoming(org, at, coming).await {
            tracing::error!(org = %org, error = %e, "the idle-seat digest failed");
        }
        Ok(Some(report))
    }

    /// Under the organization's lock: releases what is due and tells whom it is coming to,
    /// each an audit entry; a run that finds nothing to do changes nothing. Answers the report
    /// and the seats still to come, per team, for the digest.
    async fn release_and_notice(
        &self,
        org: &OrgId,
        at: i64,
        dry_run: bool,
    ) -> ServiceResult<(OrgRelease, Vec<(TeamId, IdleSeat)>)> {
        let ctx = RequestInfo {
            request_id: format!("seat-release-{at}"),
        };
        let mut w = self.write_as(org, Actor::System, &ctx).await?;
        let tz = usage::zone(w.db(), org).await?;
        let mut report = OrgRelease {
            org_id: org.clone(),
            released: Vec::new(),
            noticed: Vec::new(),
        };
        let mut coming = Vec::new();
        for mut t in ruled_teams(w.db(), org).await? {
            for due in due_in(w.db(), org, &t, at, &tz).await? {
                if due.release_at <= at {
                    if !dry_run {
                        release(&mut w, &mut t, &due.holder).await?;
                    }
                    report.released.push(due.seat);
                    continue;
                }
                coming.push((t.team.id.clone(), due.seat.clone()));
                if due.noticed_at.is_some() {
                    continue;
                }
                if !dry_run {
                    let stale_before = at - NOTICE_STANDS_MS;
                    if !idle::note_notice(w.db(), org, &due.holder, at, stale_before).await? {
                        continue;
                    }
                    notify_holder(&mut w, org, &due.seat).await?;
                }
                report.noticed.push(due.seat);
            }
        }
        if dry_run || (report.released.is_empty() && report.noticed.is_empty()) {
            w.unchanged().await?;
        } else {
            w.commit().await?;
            self.wake_mailer();
        }
        Ok((report, coming))
    }

    /// One mail a day to each Org Admin, and each Team Admin of a team with seats released
    /// within the week, listing those they look after. Its own transaction: a mail and the note
    /// that it went, no change to the organization.
    async fn digest_upcoming(
        &self,
        org: &OrgId,
        at: i64,
        coming: Vec<(TeamId, IdleSeat)>,
    ) -> ServiceResult<()> {
        let (day, lists) = {
            let mut c = self.store.read().await?;
            let day = switchboard_domain::usage::day_of(at, &usage::zone(&mut c, org).await?);
            (day, digest_lists(&mut c, org, coming).await?)
        };
        if lists.is_empty() {
            return Ok(());
        }
        // Its first statement writes (the digest's note): on SQLite a transaction that reads
        // first can't wait for another process's writer.
        let mut tx = self.store.write().await?;
        for (to, seats) in lists {
            if idle::note_digest(&mut tx, org, &to, &day).await? {
                outbox::queue(
                    &mut tx,
                    MailKind::Notice,
                    Some(org),
                    digest_mail(to, &seats),
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.wake_mailer();
        Ok(())
    }
}

/// Turns the holder's app access off through the membership primitive, recorded as a release.
async fn release(
    w: &mut crate::write::Write,
    t: &mut RuledTeam,
    h: &SeatHolder,
) -> ServiceResult<()> {
    let person = Person {
        id: h.user_id.clone(),
        email: h.email.clone(),
    };
    let state = |app_access| MembershipState {
        team_role: h.team_role,
        app_access,
    };
    memberships::set_access(
        w,
        &mut t.team,
        &person,
        state(true),
        state(false),
        Noted::Within,
    )
    .await?;
    w.record(AuditEvent::SeatReleased {
        user: h.user_id.clone(),
        email: h.email.clone(),
        team: t.team.id.clone(),
        team_name: t.team.name.clone(),
        idle_from: rfc3339(h.idle_from()),
        idle_days: t.days,
    })
    .await
}

async fn notify_holder(
    w: &mut crate::write::Write,
    org: &OrgId,
    seat: &IdleSeat,
) -> ServiceResult<()> {
    w.record(AuditEvent::SeatReleaseNoticed {
        user: seat.user_id.clone(),
        email: seat.email.clone(),
        team: seat.team_id.clone(),
        team_name: seat.team_name.clone(),
        release_on: seat.release_on.clone(),
    })
    .await?;
    let mail = Mail {
        to: seat.email.clone(),
        subject: format!(
            "Your seat in {} is released on {}",
            seat.team_name, seat.release_on
        ),
        body: format!(
            "Your seat in {} is released on {} unless you take a call with the app before then.\n\nSeats that go unused are given back so your organization doesn't pay for them; if yours is released, ask your admin for it again.\n",
            seat.team_name, seat.release_on
        ),
        code: None,
    };
    outbox::queue(w.db(), MailKind::Notice, Some(org), mail).await
}

/// Who gets a digest and what it lists: every Org Admin all of it, each Team Admin their
/// teams' part.
async fn digest_lists(
    c: &mut Conn,
    org: &OrgId,
    coming: Vec<(TeamId, IdleSeat)>,
) -> ServiceResult<BTreeMap<String, Vec<IdleSeat>>> {
    let mut lists: BTreeMap<String, Vec<IdleSeat>> = BTreeMap::new();
    if coming.is_empty() {
        return Ok(lists);
    }
    for a in people::list_org_roles(c, org).await? {
        if a.org_role == OrgRole::OrgAdmin {
            lists.insert(a.email, coming.iter().map(|(_, s)| s.clone()).collect());
        }
    }
    let mut teams: Vec<&TeamId> = coming.iter().map(|(t, _)| t).collect();
    teams.dedup();
    for team in teams {
        for email in idle::team_admin_emails(c, org, team).await? {
            let list = lists.entry(email).or_default();
            for (_, s) in coming.iter().filter(|(t, _)| t == team) {
                if !list
                    .iter()
                    .any(|x| x.user_id == s.user_id && x.team_id == s.team_id)
                {
                    list.push(s.clone());
                }
            }
        }
    }
    Ok(lists)
}

fn digest_mail(to: String, seats: &[IdleSeat]) -> Mail {
    let lines: Vec<String> = seats
        .iter()
        .map(|s| {
            format!(
                "- {} in {}: released on {}",
                s.email, s.team_name, s.release_on
            )
        })
        .collect();
    Mail {
        to,
        subject: format!("{} idle seats are released within 7 days", seats.len()),
        body: format!(
            "These seats have had no call with the app for a while and are released on the day shown unless used:\n\n{}\n\nTo keep one, ask the person to take a call with the app, or change the team's \"Release idle seats after\" setting.\n",
            lines.join("\n")
        ),
        code: None,
    }
}
