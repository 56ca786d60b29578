//! R29 in the portal, in a real browser: the users page counts and filters the seats released
//! within the week, the user page names the day, the team settings page offers the rule — each
//! page checked with axe.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::seat_release::{DAY_MS, now_ms, seat_held_since, seat_holders, set_rule};

/// The portal shows what is coming: the users page counts and filters idle seats, the user page
/// names the day, the team settings page offers the rule — each checked with axe.
async fn r29_the_portal_shows_idle_seats_in_a_real_browser(app: TestApp) {
    let org = app.established_org(10).await;
    let team = org.initial_team.clone();
    set_rule(&app, &org, &team, 30).await;
    seat_holders(&app, &org, &team, &["eve@idle.example", "fay@idle.example"]).await;
    seat_held_since(
        &app,
        &org,
        &team,
        "eve@idle.example",
        now_ms() - 28 * DAY_MS,
    )
    .await;
    let b = crate::chrome::Chrome::start(&format!("idle-{}", app.backend())).await;
    let mut violations = Vec::new();
    b.goto(&format!("{}/orgs/{}/users", app.base, org.id)).await;
    crate::portal::sign_in(&app, &b, &org.admin_email).await;
    b.goto(&format!("{}/orgs/{}/users", app.base, org.id)).await;
    let counters = b.text(".counters").await;
    let counters = counters.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(counters.contains("1 Idle (release pending)"), "{counters}");
    violations.extend(b.audit("users-idle").await);
    b.goto(&format!("{}/orgs/{}/users?idle=true", app.base, org.id))
        .await;
    let table = b.text("table").await;
    assert!(
        table.contains("eve@idle.example") && !table.contains("fay@idle.example"),
        "{table}"
    );
    b.click_link("eve@idle.example").await;
    let banner = b.text("p.banner.warning").await;
    assert!(
        banner.starts_with("Seat in ")
            && banner.contains("is released on")
            && banner.contains("unless used"),
        "{banner}"
    );
    violations.extend(b.audit("user-idle").await);
    b.goto(&format!(
        "{}/orgs/{}/settings/teams/{team}",
        app.base, org.id
    ))
    .await;
    assert!(b.body().await.contains("Release idle seats after (days)"));
    violations.extend(b.audit("team-settings-idle").await);
    b.close().await;
    assert!(violations.is_empty(), "{violations:#?}");
}

db_tests!(r29_the_portal_shows_idle_seats_in_a_real_browser);
