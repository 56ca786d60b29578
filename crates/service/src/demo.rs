//! Demo data: a realistic call-center organization, built through the same use cases an admin
//! would call (provisioning, establishing, bulk adds, role assignment), so the demo exercises the
//! real rules. Names and distributions come from a fixed seed: every run looks the same.

use crate::billing::TeamAllocation;
use crate::operator::{NewSubscription, NewTeam, ProvisionRequest};
use crate::roles::AssignRole;
use crate::teams::CreateTeam;
use crate::users::BulkAdd;
use crate::{RequestInfo, ServiceError, ServiceResult, Services};
use std::collections::BTreeMap;
use switchboard_domain::ids::{OrgId, SubscriptionId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole};
use switchboard_domain::team::LoginType;
use switchboard_store::{now_ms, orgs, people};

const FIRST: &[&str] = &[
    "ana", "ben", "chloe", "dev", "elena", "farid", "grace", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sami", "tara", "umar", "vera",
    "wei", "ximena", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "garcia", "smith", "nguyen", "muller", "rossi", "kowalski", "okafor", "tanaka", "silva",
    "haddad", "larsen", "patel", "dubois", "novak", "jensen", "costa", "ivanova", "moreau",
    "santos", "fischer",
];
const TEAM_NAMES: &[&str] = &[
    "Support Tier 1",
    "Support Tier 2",
    "Sales EU",
    "Sales US",
    "Billing Desk",
    "Retention",
    "Onboarding",
    "Collections",
    "Tech Escalations",
    "VIP Care",
    "Night Shift",
    "Spanish Line",
];

/// The email that signs in as the demo's Org Admin.
pub const DEMO_ADMIN: &str = "admin@demo.switchboard.test";

/// A tiny deterministic generator (xorshift) so demo data is the same on every run.
struct Seq(u64);

impl Seq {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub async fn has_data(s: &Services) -> ServiceResult<bool> {
    let mut c = s.store.read().await?;
    Ok(orgs::any_org(&mut c).await?)
}

fn team_name(i: usize) -> String {
    match TEAM_NAMES.get(i) {
        Some(n) => (*n).to_owned(),
        None => format!("Team {:03}", i + 1),
    }
}

/// Creates the demo organization and returns a note on how to sign in.
pub async fn create(s: &Services, users: usize, teams: usize) -> ServiceResult<String> {
    let teams = teams.max(1);
    let ctx = RequestInfo {
        request_id: "demo".into(),
    };
    let mut rng = Seq(0x5eed_cafe_f00d);
    let seats = (users + users / 4 + 10) as i64;
    let provisioned = s
        .provision_customer(
            &ctx,
            ProvisionRequest {
                team: NewTeam {
                    name: team_name(0),
                    login_type: LoginType::Email,
                    description: Some("First line of support".into()),
                },
                admin_email: DEMO_ADMIN.into(),
                subscription: NewSubscription {
                    plan: "enterprise".into(),
                    seats,
                },
            },
        )
        .await?;
    let admin = crate::auth::Session {
        user: UserId::from_db(provisioned.admin_user_id.clone()),
        only_org: None,
    };
    let mut team_ids = vec![provisioned.team_id.clone()];
    let mut who = s.org_caller(&admin, &provisioned.org_id).await?;
    for i in 1..teams {
        // Every eighth team is a device team (shared workstations).
        let login = if i % 8 == 7 {
            LoginType::Device
        } else {
            LoginType::Email
        };
        let req = CreateTeam {
            name: team_name(i),
            login_type: login,
            description: None,
            organization_name: (i == 1).then(|| "Acme Contact Center".to_owned()),
        };
        team_ids.push(s.create_team(&who, &ctx, req).await?.id);
        if i == 1 {
            who = s.org_caller(&admin, &provisioned.org_id).await?;
        }
    }
    // Every team is covered by the one subscription.
    let sub = SubscriptionId::parse(&provisioned.subscription_id).expect("a subscription id");
    for t in &team_ids[1..] {
        let team = TeamId::parse(t).expect("a team id");
        s.set_team_allocation(&who, &ctx, &sub, &team, TeamAllocation::default())
            .await?;
    }

    // People, named, created first so bulk adds find them. Each has a part in one consistent
    // story (see `Part`): the counters, the users list and the analytics all follow from it.
    let mut emails = Vec::with_capacity(users);
    let mut rows = Vec::with_capacity(users);
    let mut parts = Vec::with_capacity(users);
    for n in 0..users {
        let (f, l) = (FIRST[rng.below(FIRST.len())], LAST[rng.below(LAST.len())]);
        let email = format!("{f}.{l}.{n}@demo.switchboard.test");
        let name = format!(
            "{}{} {}{}",
            f[..1].to_uppercase(),
            &f[1..],
            l[..1].to_uppercase(),
            &l[1..]
        );
        rows.push((UserId::generate(), email.clone(), Some(name)));
        emails.push(email);
        parts.push(Part::draw(&mut rng));
    }
    let now = now_ms();
    {
        let mut tx = s.store.write().await?;
        people::insert_users(&mut tx, &rows, now).await?;
        // Everyone but the invited signed in before the 90 days of usage began (a few days
        // apart), so nobody has used the app without having signed in.
        for ((id, ..), part) in rows.iter().zip(&parts) {
            if *part != Part::Invited {
                let days_before = 91 + rng.below(30) as i64;
                let at = now - days_before * DAY_MS + rng.below(DAY_MS as usize) as i64;
                people::mark_signed_in(&mut tx, id, at).await?;
            }
        }
        tx.commit().await?;
    }

    // Each person joins one team; about one in ten also joins a second; two per team are Team
    // Admins. App access is each person's own: on for everyone who uses the app, and for most of
    // the rest, off for a few (so a team's seats are exactly its members with access).
    let email_teams: Vec<usize> = (0..teams).filter(|i| i % 8 != 7).collect();
    let mut per_team: Vec<Vec<usize>> = vec![Vec::new(); teams];
    let mut second: Vec<Vec<usize>> = vec![Vec::new(); teams];
    for n in 0..emails.len() {
        let t = email_teams[n % email_teams.len()];
        per_team[t].push(n);
        if rng.below(10) == 0 {
            let other = email_teams[rng.below(email_teams.len())];
            if other != t {
                second[other].push(n);
            }
        }
    }
    for (t, list) in per_team.iter().enumerate().chain(second.iter().enumerate()) {
        let team = &team_ids[t];
        for chunk in list.chunks(1000) {
            let (admins, members) = chunk.split_at(chunk.len().min(2));
            for (role, part) in [(TeamRole::TeamAdmin, admins), (TeamRole::Member, members)] {
                for access in [true, false] {
                    let who_: Vec<String> = part
                        .iter()
                        .filter(|n| parts[**n].app_access() == access)
                        .map(|n| emails[*n].clone())
                        .collect();
                    if who_.is_empty() {
                        continue;
                    }
                    let req = BulkAdd {
                        team_id: team.clone(),
                        team_role: role,
                        emails: who_,
                        app_access: Some(access),
                        invite: Some(false),
                    };
                    s.bulk_add_users(&who, &ctx, req).await?;
                }
            }
        }
    }
    for (i, e) in emails.iter().take(6).enumerate() {
        let role = if i < 2 {
            OrgRole::OrgAdmin
        } else {
            OrgRole::OrgAnalyst
        };
        s.assign_org_role(
            &who,
            &ctx,
            AssignRole {
                email: e.clone(),
                role,
            },
        )
        .await?;
    }
    let by_user: BTreeMap<UserId, Part> = rows
        .iter()
        .zip(&parts)
        .map(|((id, ..), part)| (id.clone(), *part))
        .collect();
    demo_usage(s, &provisioned.org_id, &by_user).await?;
    let org = OrgId::parse(&provisioned.org_id).expect("an organization id");
    let first = TeamId::parse(&provisioned.team_id).expect("a team id");
    crate::demo_seats::seed(s, &who, &ctx, &org, &first).await?;
    s.store.analyze().await?;
    Ok(format!(
        "Demo organization \"Acme Contact Center\" ({}) with {users} users in {teams} teams.",
        provisioned.org_id
    ))
}

/// A demo person's part in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Added and invited, never signed in: no app access used, no usage.
    Invited,
    /// Signed in, holds a seat, takes calls most weekdays.
    Regular,
    /// Signed in, holds a seat, stopped taking calls a month or more ago (left, or moved on).
    Stopped,
    /// Signed in, holds a seat, never took a call.
    NeverCalled,
    /// Signed in, without app access (a supervisor who only reads the portal).
    NoAccess,
}

impl Part {
    fn draw(rng: &mut Seq) -> Self {
        match rng.below(100) {
            0..=9 => Part::Invited,
            10..=81 => Part::Regular,
            82..=88 => Part::Stopped,
            89..=94 => Part::NeverCalled,
            _ => Part::NoAccess,
        }
    }

    fn app_access(self) -> bool {
        !matches!(self, Part::NoAccess)
    }
}

const DAY_MS: i64 = 86_400_000;

/// 90 days of plausible usage, written as the daily rollups the analytics read, only by people
/// who signed in and hold a seat: calls on weekdays (a few on Saturdays), one team that adopts
/// late (from day 45), people who stopped calling a month or more ago, and accent conversion
/// switched on mid-period (from day 60).
async fn demo_usage(s: &Services, org: &str, parts: &BTreeMap<UserId, Part>) -> ServiceResult<()> {
    let org = OrgId::from_db(org.to_owned());
    let mut rng = Seq(0x0a11_ca11_5eed);
    let mut tx = s.store.write().await?;
    let teams: Vec<_> = orgs::list_teams(&mut tx, &org)
        .await?
        .into_iter()
        .filter(|t| t.login_type == LoginType::Email && t.subscription_id.is_some())
        .collect();
    let members = switchboard_store::scim::team_members(&mut tx, &org).await?;
    let today = switchboard_domain::usage::day_of(switchboard_store::now_ms(), "UTC")
        .parse::<jiff::civil::Date>()
        .map_err(|_| ServiceError::invalid("day", "today could not be read"))?;
    // Who stops, and on which day: decided once per person, the same in every team.
    let mut stops: BTreeMap<UserId, i64> = BTreeMap::new();
    let mut subjects = Vec::new();
    let mut features: BTreeMap<(TeamId, String, &str), i64> = BTreeMap::new();
    for back in (0..90_i64).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else {
            continue;
        };
        let n = 89 - back; // days since the start
        let weekday = day.weekday().to_monday_zero_offset();
        let rate = match weekday {
            0..=4 => 80,
            5 => 15,
            _ => 0,
        };
        for (i, team) in teams.iter().enumerate() {
            let late = i == 2;
            if late && n < 45 {
                continue;
            }
            for (_, user) in members.iter().filter(|(t, _)| *t == team.id) {
                match parts.get(user) {
                    Some(Part::Regular) => {}
                    Some(Part::Stopped) => {
                        let stop = *stops
                            .entry(user.clone())
                            .or_insert_with(|| 20 + rng.below(40) as i64);
                        if n >= stop {
                            continue;
                        }
                    }
                    // Invited (never signed in), never called, no app access, or the demo's
                    // own Org Admin, who hasn't signed in yet: no usage.
                    _ => continue,
                }
                if rng.below(100) >= rate {
                    continue;
                }
                let calls = 2 + rng.below(6) as i64;
                let seconds = calls * (120 + rng.below(300) as i64);
                let mut add = |feature: &'static str, s: i64| {
                    *features
                        .entry((team.id.clone(), day.to_string(), feature))
                        .or_default() += s;
                };
                add("outbound_noise_cancellation", seconds);
                if n >= 60 {
                    add("accent_conversion", seconds / 3);
                }
                if rng.below(3) == 0 {
                    add("agent_assist", seconds / 2);
                }
                subjects.push((
                    team.id.clone(),
                    user.to_string(),
                    day.to_string(),
                    calls,
                    seconds,
                    1,
                ));
            }
        }
    }
    let features: Vec<_> = features
        .into_iter()
        .map(|((team, day, feature), s)| (team, day, feature.to_owned(), s))
        .collect();
    switchboard_store::usage::insert_rollups(&mut tx, &org, &subjects, &features).await?;
    people::demo_signed_in_here(&mut tx, &org).await?;
    tx.commit().await?;
    Ok(())
}

/// How to sign in to the demo as its Org Admin, given the address served and where mail goes.
pub fn sign_in_hint(base_url: &str, mail: &str) -> String {
    let mail = match mail.strip_prefix("file:") {
        Some(path) => format!("the code is in {path}"),
        None => format!("the code is mailed through {mail}"),
    };
    format!("Open {base_url}/sign-in and sign in as {DEMO_ADMIN} ({mail})")
}
