//! The Admin Portal in a real browser (headless Chromium), on both databases: a Team Admin signs
//! in with an emailed code, creates the organization from onboarding (R2), creates a team, adds
//! several users at once (R6), moves people between teams (R5, R7), removes one from the
//! organization (R8), meets the last-admin rule (R10) and assigns an Org Analyst (R9), who then
//! sees no admin controls; the audit log lists what happened (R25). Every page is checked with
//! axe-core and photographed at two widths.

use crate::chrome::Chrome;
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;

/// Signs in on the sign-in page the browser is on: the email, then the code from the mail.
pub(crate) async fn sign_in(app: &TestApp, b: &Chrome, email: &str) {
    assert_eq!(b.path().await, "/sign-in");
    b.fill("#email", email).await;
    b.click("button[type=submit]").await;
    assert!(b.body().await.contains("a sign-in code is on its way"));
    let code = app.last_code(email).await.expect("a code was mailed");
    b.fill("#code", &code).await;
    b.click("form[action='/sign-in'] button[type=submit]").await;
    assert_ne!(
        b.path().await,
        "/sign-in",
        "signed in with {code}: {}",
        b.body().await
    );
}

async fn r2_to_r10_every_portal_flow_in_a_real_browser(app: TestApp) {
    let p = app
        .provision("Support", "email", "ta@example.com", "enterprise", 10)
        .await;
    let b = Chrome::start(&format!("flows-{}", app.backend())).await;
    let mut violations = Vec::new();

    // Signed out, a page sends you to sign in, and back after.
    b.goto(&format!("{}/orgs/{}/teams", app.base, p.org)).await;
    assert_eq!(b.path().await, "/sign-in");
    violations.extend(b.audit("sign-in").await);
    sign_in(&app, &b, "ta@example.com").await;
    assert_eq!(b.path().await, format!("/orgs/{}/teams", p.org));

    // R2: before the organization exists, its Team Admin sees onboarding.
    b.goto(&format!("{}/", app.base)).await;
    assert_eq!(b.path().await, format!("/orgs/{}/onboarding", p.org));
    assert!(!b.body().await.contains("Admins"), "no org sections yet");
    violations.extend(b.audit("onboarding").await);
    // A refused form keeps what was typed and says what is wrong beside the field.
    b.fill("#name", "Sales").await;
    b.tick("input[name=login_type][value=email]").await;
    b.click("main form.card button[type=submit]").await;
    assert!(
        b.text("#error-summary")
            .await
            .contains("There is a problem"),
        "{} {}",
        b.path().await,
        b.body().await
    );
    let beside = b.text(".field.has-error .field-error").await;
    assert!(
        !beside.is_empty(),
        "the message is beside the organization name"
    );
    assert!(b.text("#error-summary a[href='#organization_name']").await == beside);
    b.fill("#organization_name", "Acme Calls").await;
    b.click("main form.card button[type=submit]").await;
    assert_eq!(b.path().await, format!("/orgs/{}/teams", p.org));
    let flash = b.text(".banner.info").await;
    assert!(
        flash.contains("Acme Calls") && flash.contains("Sales"),
        "{flash}"
    );
    assert!(b.body().await.contains("Admins"), "the org sections appear");

    // Another team, from the teams page.
    b.fill("#name", "Billing Desk").await;
    b.tick("input[name=login_type][value=email]").await;
    b.fill("#description", "Invoices and refunds").await;
    b.click("main form.card button[type=submit]").await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Created team Billing Desk")
    );
    violations.extend(b.audit("team").await);
    b.click_link("Teams").await;
    let teams = b.text("table").await;
    assert!(teams.contains("Sales") && teams.contains("Billing Desk") && teams.contains("Support"));
    violations.extend(b.audit("teams").await);

    // R6: several users at once, separated every way people paste them.
    b.click_link("Users").await;
    b.select("team_id", "Sales").await;
    b.check("#app_access", false).await;
    b.fill(
        "#emails",
        "ana@acme.example, bo@acme.example\ncy@acme.example not-an-email",
    )
    .await;
    b.click("#add-users + form button[type=submit]").await;
    let results = b.text("#add-results").await;
    let results = if results.is_empty() {
        b.body().await
    } else {
        results
    };
    assert!(results.contains("Added 3"), "{results}");
    assert!(results.contains("not-an-email: not added"), "{results}");
    let table = b.text("table").await;
    assert!(
        table.contains("ana@acme.example") && table.contains("cy@acme.example"),
        "{table}"
    );
    violations.extend(b.audit("users").await);
    b.fill("#filter-q", "zq-nobody").await;
    b.click("form.filters button[type=submit]").await;
    assert!(b.body().await.contains("No users match 'zq-nobody'"));

    // R5 then R7: ana joins Billing Desk, leaves Sales, and stays active in Billing Desk.
    b.goto(&format!("{}/orgs/{}/users?q=ana", app.base, p.org))
        .await;
    b.click_link("ana@acme.example").await;
    let user_page = b.path().await;
    violations.extend(b.audit("user").await);
    b.select("team_id", "Billing Desk").await;
    b.click("form[action$='/memberships'] button[type=submit]")
        .await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Added to Billing Desk")
    );
    b.click_link("Remove from Sales").await;
    assert!(
        b.body()
            .await
            .contains("They stay a member of Billing Desk")
    );
    violations.extend(b.audit("confirm").await);
    b.click("button.danger").await;
    assert_eq!(b.path().await, user_page);
    assert_eq!(
        b.text(".banner.info").await,
        "Removed from Sales. Still a member of Billing Desk."
    );

    // R8: bo leaves the organization altogether.
    b.goto(&format!("{}/orgs/{}/users?q=bo%40", app.base, p.org))
        .await;
    b.click_link("bo@acme.example").await;
    b.click_link("Remove from organization").await;
    assert!(
        b.body()
            .await
            .contains("bo@acme.example loses access to 1 team,")
    );
    b.click("button.danger").await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Removed bo@acme.example from the organization")
    );
    assert!(!b.text("table").await.contains("bo@acme.example"));

    // R10 and R9: the last Org Admin's controls are disabled, with the reason; cy becomes an
    // Org Analyst.
    b.click_link("Admins").await;
    assert!(b.body().await.contains("The organization's last Org Admin"));
    b.fill("#email", "cy@acme.example").await;
    b.tick("input[name=role][value=org_analyst]").await;
    b.click("main form.card button[type=submit]").await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("cy@acme.example is now Org Analyst")
    );
    violations.extend(b.audit("admins").await);

    // R15: reserve seats until the banner shows; R16: move a team to another subscription.
    let token = app.sign_in("ta@example.com").await;
    let teams = app
        .get(&format!("/api/v1/orgs/{}/teams", p.org), &token)
        .await;
    let team_id = |name: &str| {
        teams.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (sales, support) = (team_id("Sales"), team_id("Support"));
    let support_used = teams.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Support")
        .unwrap()["seats_used"]
        .as_i64()
        .unwrap();
    let night = app
        .post(
            &format!("/operator/v1/orgs/{}/subscriptions", p.org),
            OPERATOR_TOKEN,
            json!({"plan": "enterprise", "seats": 5, "name": "Night shift", "period": "monthly", "unit_price_cents": 2500}),
        )
        .await;
    assert_eq!(night.status, 201, "{}", night.text);
    b.click_link("Billing").await;
    violations.extend(b.audit("billing").await);
    b.click(&format!("a[href$='/billing/{}']", p.subscription))
        .await;
    b.select("add_team_id", "Sales").await;
    b.click("form.card[action$='/allocate'] button[type=submit]")
        .await;
    assert!(
        b.text(".banner.info").await.contains("Sales"),
        "{}",
        b.body().await
    );
    b.fill(&format!("#reserve-{support}"), &support_used.to_string())
        .await;
    b.click(&format!("form:has(#reserve-{support}) button[type=submit]"))
        .await;
    assert!(
        b.body()
            .await
            .contains("Some teams have reached allocated seat limit"),
        "{}",
        b.body().await
    );
    violations.extend(b.audit("subscription").await);
    b.select(&format!("move-{sales}"), "Night shift").await;
    b.click(&format!("form:has(#move-{sales}) button[type=submit]"))
        .await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Moved to Night shift")
    );
    assert!(!b.text("table").await.contains("Sales"));

    // R21–R23: a policy locks a team's setting, naming itself there.
    b.click_link("Policies").await;
    b.fill("#name", "Floor standard").await;
    b.select("value.agents_can_change_settings", "On").await;
    b.tick(&format!("input[name=team_ids][value='{sales}']"))
        .await;
    b.click("main form.card button[type=submit]").await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Created policy Floor standard"),
        "{}",
        b.body().await
    );
    violations.extend(b.audit("policy").await);
    b.goto(&format!(
        "{}/orgs/{}/settings/teams/{sales}",
        app.base, p.org
    ))
    .await;
    let locked = b.text("tbody").await;
    assert!(
        locked.contains("Enforced by policy Floor standard"),
        "{locked}"
    );
    violations.extend(b.audit("team-settings").await);

    // R24: an SSO policy for an email team nobody here is only in (its members would then sign
    // in through the provider only); the secret is never shown again.
    let billing_desk = team_id("Billing Desk");
    // (Its domains are verified for the organization first: only verified domains may be named.)
    app.verify_domain_of(&p.org, "acme.example").await;
    app.verify_domain_of(&p.org, "acme-calls.example").await;
    b.click_link("SSO").await;
    b.fill("#name", "Acme Okta").await;
    b.fill("#issuer", "https://acme.okta.example").await;
    b.fill("#client_id", "switchboard").await;
    b.fill("#client_secret", "s3cr3t-value").await;
    b.fill("#allowed_domains", "acme.example, acme-calls.example")
        .await;
    b.tick(&format!("input[name=team_ids][value='{billing_desk}']"))
        .await;
    b.click("main form.card button[type=submit]").await;
    assert!(
        b.text(".banner.info")
            .await
            .contains("Created SSO policy Acme Okta"),
        "{}",
        b.body().await
    );
    assert!(!b.client.source().await.unwrap().contains("s3cr3t-value"));
    violations.extend(b.audit("sso").await);

    // A device-login team: an enrollment key, shown once.
    b.click_link("Teams").await;
    b.fill("#name", "Kiosks").await;
    b.tick("input[name=login_type][value=device]").await;
    b.click("main form.card button[type=submit]").await;
    b.fill("#max_uses", "5").await;
    b.click("form[action$='/enrollment-keys'] button[type=submit]")
        .await;
    let key = b.text("#new-key code").await;
    assert!(key.len() > 20, "the key is shown: {}", b.body().await);
    violations.extend(b.audit("device-team").await);
    let team_page = b
        .path()
        .await
        .trim_end_matches("/enrollment-keys")
        .to_owned();
    b.goto(&format!("{}{team_page}", app.base)).await;
    assert!(!b.body().await.contains(&key), "shown only once");
    assert!(b.body().await.contains("of 5"));

    // R25: the audit page lists these actions, as sentences.
    b.click_link("Audit log").await;
    let log = b.text("table").await;
    for action in [
        "Created team Billing Desk",
        "Added 3 people to Sales as members without app access",
        "Removed ana@acme.example from Sales",
        "Removed bo@acme.example from the organization",
        "Assigned Org Analyst to cy@acme.example",
        "ta@example.com signed in to the portal",
    ] {
        assert!(log.contains(action), "{action} in {log}");
    }
    violations.extend(b.audit("audit").await);

    // The Org Analyst reads, but manages nothing: no Add users, no admin controls.
    b.click("form[action='/sign-out'] button").await;
    assert_eq!(b.path().await, "/sign-in");
    sign_in(&app, &b, "cy@acme.example").await;
    b.goto(&format!("{}/orgs/{}/users", app.base, p.org)).await;
    assert!(!b.body().await.contains("Add users"));
    b.goto(&format!("{}/orgs/{}/admins", app.base, p.org)).await;
    assert!(!b.body().await.contains("Assign admin"));
    assert!(
        !b.text("nav.sidenav").await.contains("Billing"),
        "no billing link"
    );
    b.goto(&format!("{}/orgs/{}/billing", app.base, p.org))
        .await;
    assert!(b.body().await.contains("Forbidden"), "{}", b.body().await);
    b.close().await;
    assert!(
        violations.is_empty(),
        "axe-core found:\n{}",
        violations.join("\n")
    );
}

db_tests!(r2_to_r10_every_portal_flow_in_a_real_browser);
