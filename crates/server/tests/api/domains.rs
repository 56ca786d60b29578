//! R34: verified domains, as the attack pass found them missing — organization A claimed B's
//! email domain for its own SSO policy and the oldest claim won discovery. Now a domain is
//! proven by a DNS TXT record (looked up on the tests' own DNS server) or by the operator, by
//! one organization at most; only verified domains may be named by an SSO policy, and only they
//! route sign-ins; a record gone 7 days lapses the domain, with the Org Admins told.

use crate::db_tests;
use crate::dns::Dns;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use serde_json::json;
use switchboard_service::Config;

/// The app asking the tests' DNS server.
async fn with_dns(app: TestApp) -> (TestApp, Dns) {
    let dns = Dns::start().await;
    let app = app
        .restart_with(Config {
            dns_servers: vec![dns.addr],
            ..TestApp::config()
        })
        .await;
    (app, dns)
}

fn sso_body(domain: &str, team: &str) -> serde_json::Value {
    json!({"name": "Corp IdP", "issuer": "https://idp.corp.example", "client_id": "c",
        "client_secret": "s", "allowed_domains": [domain], "team_ids": [team]})
}

async fn actions(app: &TestApp, org: &crate::helpers::Org) -> Vec<(String, String)> {
    let log = app.get(&org.path("/audit-log?limit=500"), &org.admin).await;
    log.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn r34_a_domain_is_verified_by_its_txt_record_and_then_routes_sso(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let (app, dns) = with_dns(app).await;
    // Not verified: no SSO policy may name it.
    let d = app
        .post(
            &org.path("/sso-policies"),
            &org.admin,
            sso_body("corp.example", &org.second_team),
        )
        .await
        .problem(422, "validation_failed");
    assert!(d.contains("not a verified domain"), "{d}");
    // The claim answers the record to publish (the Unicode form of a name is the same domain).
    let claimed = app
        .post(
            &org.path("/domains"),
            &org.admin,
            json!({"domain": "Corp.Example."}),
        )
        .await;
    assert_eq!(claimed.status.as_u16(), 201, "{}", claimed.text);
    let c = claimed.body.clone();
    assert_eq!(c["domain"], "corp.example");
    assert_eq!(c["status"], "pending");
    assert_eq!(c["record_name"], "_switchboard-challenge.corp.example");
    let value = c["record_value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("switchboard-verify="), "{value}");
    // Checked before the record is there: a clear refusal naming the record.
    let d = app
        .post(
            &org.path("/domains/corp.example/verify"),
            &org.admin,
            json!({}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(d.contains("_switchboard-challenge.corp.example"), "{d}");
    // A wrong value proves nothing.
    dns.txt(
        "_switchboard-challenge.corp.example",
        "switchboard-verify=guess",
    );
    app.post(
        &org.path("/domains/corp.example/verify"),
        &org.admin,
        json!({}),
    )
    .await
    .problem(422, "validation_failed");
    dns.txt("_switchboard-challenge.corp.example", &value);
    let v = app
        .post(
            &org.path("/domains/corp.example/verify"),
            &org.admin,
            json!({}),
        )
        .await;
    assert_eq!(v.ok()["status"], "verified");
    assert_eq!(v.body["verified_by"], "dns");
    // Now a policy may name it, and sign-ins for it route there.
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        sso_body("corp.example", &org.second_team),
    )
    .await
    .ok();
    let r = app
        .client
        .get(format!(
            "{}/auth/sso/start?email=ann@corp.example",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert!(
        !r.text()
            .await
            .unwrap()
            .contains("No single sign-on is set up")
    );
    let log = actions(&app, &org).await;
    assert!(log.iter().any(|(a, _)| a == "domain.claim"));
    assert!(log.iter().any(|(a, _)| a == "domain.verify"));
    let list = app.get(&org.path("/domains"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 1);
}

/// The attack: A names B's domain. A second claim on a verified domain is refused; a policy
/// whose domain is no longer verified (here, removed) routes nobody; the page says so.
async fn r34_an_unverified_or_second_claim_routes_nobody(app: TestApp) {
    let (a, b) = (
        app.org().seats(5).established().await,
        app.org().seats(5).established().await,
    );
    app.verify_domain(&b, "b-corp.example").await;
    let d = app
        .post(
            &a.path("/domains"),
            &a.admin,
            json!({"domain": "b-corp.example"}),
        )
        .await
        .problem(409, "domain_claimed");
    assert!(d.contains("another organization"), "{d}");
    app.post(
        &a.path("/sso-policies"),
        &a.admin,
        sso_body("b-corp.example", &a.second_team),
    )
    .await
    .problem(422, "validation_failed");
    // The operator can't hand B's verified domain to A either.
    let r = app
        .put(
            &format!("/operator/v1/orgs/{}/domains/b-corp.example", a.id),
            OPERATOR_TOKEN,
            json!({}),
        )
        .await;
    r.problem(409, "domain_claimed");
    // A's own domain, verified, named, then removed: the policy stays but routes nobody.
    app.verify_domain(&a, "a-corp.example").await;
    let pol = app
        .post(
            &a.path("/sso-policies"),
            &a.admin,
            sso_body("a-corp.example", &a.second_team),
        )
        .await;
    let pol = pol.ok()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.delete(&a.path("/domains/a-corp.example"), &a.admin)
            .await
            .status
            .as_u16(),
        204
    );
    let view = app
        .get(&a.path(&format!("/sso-policies/{pol}")), &a.admin)
        .await;
    assert_eq!(view.ok()["unverified_domains"], json!(["a-corp.example"]));
    let r = app
        .client
        .get(format!(
            "{}/auth/sso/start?email=ann@a-corp.example",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("No single sign-on is set up"),
        "an unverified domain routes nobody"
    );
    let (_, html) = crate::portal_http::page(
        &app,
        &format!("/orgs/{}/settings/sso/{pol}", a.id),
        &a.admin,
    )
    .await;
    assert!(html.contains("Not routing: a-corp.example"), "{html}");
}

async fn r34_the_operator_marks_a_domain_verified_audited(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let r = app
        .put(
            &format!("/operator/v1/orgs/{}/domains/München.example", org.id),
            OPERATOR_TOKEN,
            json!({}),
        )
        .await;
    let body = r.ok().clone();
    assert_eq!(body["domain"], "xn--mnchen-3ya.example");
    assert_eq!(body["display_name"], "münchen.example");
    assert_eq!(body["verified_by"], "operator");
    let log = app
        .get(&org.path("/audit-log?action=domain.verify"), &org.admin)
        .await;
    let entry = &log.ok()["items"][0];
    assert_eq!(entry["actor"], "operator");
    assert_eq!(
        entry["summary"],
        "The vendor verified the domain xn--mnchen-3ya.example"
    );
    // Without the operator token: 401.
    app.put(
        &format!("/operator/v1/orgs/{}/domains/x.example", org.id),
        &org.admin,
        json!({}),
    )
    .await
    .problem(401, "unauthorized");
    // An Org Analyst reads the domains but claims none.
    app.post(
        &org.path("/admins"),
        &org.admin,
        json!({"email": "reader@example.com", "role": "org_analyst"}),
    )
    .await
    .ok();
    let analyst = app.sign_in("reader@example.com").await;
    assert_eq!(
        app.get(&org.path("/domains"), &analyst).await.ok()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.post(
        &org.path("/domains"),
        &analyst,
        json!({"domain": "y.example"}),
    )
    .await
    .problem(403, "forbidden");
}

async fn r34_a_missing_record_lapses_after_seven_days(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let (app, dns) = with_dns(app).await;
    let c = app
        .post(
            &org.path("/domains"),
            &org.admin,
            json!({"domain": "lapse.example"}),
        )
        .await;
    let value = c.ok()["record_value"].as_str().unwrap().to_owned();
    dns.txt("_switchboard-challenge.lapse.example", &value);
    app.post(
        &org.path("/domains/lapse.example/verify"),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let now = switchboard_store::now_ms();
    let day = 24 * 3600 * 1000;
    // A day later the record is there: nothing changes.
    assert_eq!(
        app.services.recheck_domains(now + day + 1).await.unwrap(),
        0
    );
    // Then it goes; the daily checks note it, and 7 days after it was last seen, it lapses.
    dns.remove("_switchboard-challenge.lapse.example");
    assert_eq!(
        app.services.recheck_domains(now + 3 * day).await.unwrap(),
        0
    );
    assert_eq!(
        app.services.recheck_domains(now + 9 * day).await.unwrap(),
        1
    );
    let list = app.get(&org.path("/domains"), &org.admin).await;
    assert_eq!(list.ok()["items"][0]["status"], "lapsed");
    let log = actions(&app, &org).await;
    assert!(
        log.contains(&("domain.lapse".to_owned(), "system".to_owned())),
        "{log:?}"
    );
    let mails = app.mails().await;
    assert!(
        mails.iter().any(|m| m["to"] == org.admin_email.as_str()
            && m["subject"].as_str().unwrap().contains("lapse.example")),
        "the Org Admins are told: {mails:?}"
    );
    // The same check again doesn't lapse it twice.
    assert_eq!(
        app.services.recheck_domains(now + 11 * day).await.unwrap(),
        0
    );
}

/// The portal page: add a domain, see its record, check it, and the page's words.
async fn r34_the_domains_page_walks_a_claim(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let (app, dns) = with_dns(app).await;
    let (status, html) = crate::portal_http::page(
        &app,
        &format!("/orgs/{}/settings/domains", org.id),
        &org.admin,
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("No domains yet"), "{html}");
    let c = app
        .post(
            &org.path("/domains"),
            &org.admin,
            json!({"domain": "page.example"}),
        )
        .await;
    let value = c.ok()["record_value"].as_str().unwrap().to_owned();
    let (_, html) = crate::portal_http::page(
        &app,
        &format!("/orgs/{}/settings/domains", org.id),
        &org.admin,
    )
    .await;
    assert!(html.contains("_switchboard-challenge.page.example") && html.contains(&value));
    assert!(html.contains("Waiting for the record"));
    dns.txt("_switchboard-challenge.page.example", &value);
    app.post(
        &org.path("/domains/page.example/verify"),
        &org.admin,
        json!({}),
    )
    .await
    .ok();
    let (_, html) = crate::portal_http::page(
        &app,
        &format!("/orgs/{}/settings/domains", org.id),
        &org.admin,
    )
    .await;
    assert!(html.contains(">Verified<"), "{html}");
}

db_tests!(
    r34_a_domain_is_verified_by_its_txt_record_and_then_routes_sso,
    r34_an_unverified_or_second_claim_routes_nobody,
    r34_the_operator_marks_a_domain_verified_audited,
    r34_a_missing_record_lapses_after_seven_days,
    r34_the_domains_page_walks_a_claim,
);
