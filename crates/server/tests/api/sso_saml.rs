//! R24 over SAML 2.0, against a real IdP on samlify (an independent implementation): metadata
//! imported by URL or pasted, our SP metadata served, SP-initiated sign-in into the same session
//! as the other ways in; and the refusals a service provider must make — audience, expiry,
//! unsigned and wrongly signed assertions, a signature-wrapping attempt, a response to a request
//! we never sent, IdP-initiated responses unless the policy opts in, and replays.

use crate::db_tests;
use crate::helpers::{Org, TestApp};
use crate::idp::{Agent, Idp, View};
use crate::sso_oidc::member;
use reqwest::StatusCode;
use serde_json::json;

/// An established organization with a SAML policy (metadata from the IdP's URL) over its first
/// team; answers the policy's view.
pub(crate) async fn saml_org(app: &TestApp) -> (Org, Idp, serde_json::Value) {
    let org = app.org().seats(20).established().await;
    app.verify_domain(&org, "example.com").await;
    let idp = Idp::saml().await;
    let r = app
        .post(
            &org.path("/sso-policies"),
            &org.admin,
            json!({"name": "Acme SAML", "protocol": "saml",
                "idp_metadata_url": format!("{}/metadata", idp.url),
                "allowed_domains": ["example.com"], "team_ids": [org.initial_team]}),
        )
        .await;
    let view = r.ok().clone();
    (org, idp, view)
}

fn email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

/// Starts the sign-in and logs in at the IdP: the IdP's auto-posting page (SAMLResponse).
async fn to_acs_form(app: &TestApp, agent: &Agent, hint: &str, login: &str) -> View {
    let at_idp = agent
        .get(&format!("{}/auth/sso/start?email={hint}", app.base))
        .await;
    assert_eq!(at_idp.status, StatusCode::OK, "{}", at_idp.text);
    let posting = agent.submit(&at_idp, &[("email", login)], None).await;
    assert!(posting.text.contains("SAMLResponse"), "{}", posting.text);
    posting
}

/// Posts the IdP's response to the ACS as the browser would; when the ACS asks "Continue as
/// …?" (the tests run over http, where no RelayState cookie binds the browser), clicks it.
pub(crate) async fn post_to_acs(agent: &Agent, posting: &View) -> View {
    let end = agent.submit(posting, &[], None).await;
    if end.text.contains("id=\"sb-saml-continue\"") {
        return agent
            .submit_form(&end, "/auth/saml/continue", &[], None)
            .await;
    }
    end
}

async fn r24_a_response_posted_in_another_browser_signs_nobody_in_unasked(app: TestApp) {
    let (org, _idp, _) = saml_org(&app).await;
    let mallory = email("mallory");
    member(&app, &org, &org.initial_team, &mallory).await;
    // Mallory gets a valid response for herself, and makes Vic's browser post it.
    let posting = to_acs_form(&app, &Agent::new(), &mallory, &mallory).await;
    let vic = Agent::new();
    let asked = vic.submit(&posting, &[], None).await;
    assert!(
        asked.text.contains(&format!("Continue as {mallory}?")),
        "{}",
        asked.text
    );
    assert_eq!(
        vic.me(&app.base).await.0,
        StatusCode::UNAUTHORIZED,
        "nobody signed in unasked"
    );
    // The confirmation works only from the page that asked, in the browser it asked.
    let elsewhere = Agent::new();
    let end = elsewhere
        .submit_form(&asked, "/auth/saml/continue", &[], None)
        .await;
    assert_eq!(end.status, StatusCode::FORBIDDEN, "{}", end.text);
    assert_eq!(elsewhere.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
}

async fn refused(app: &TestApp, agent: &Agent, end: &View, check: &str) {
    assert_eq!(end.status, StatusCode::FORBIDDEN, "{}", end.text);
    assert!(
        end.text.contains(check),
        "expected {check:?} in {}",
        end.text
    );
    assert_eq!(agent.me(&app.base).await.0, StatusCode::UNAUTHORIZED);
}

async fn r24_saml_sign_in_through_a_real_idp(app: TestApp) {
    let (org, idp, view) = saml_org(&app).await;
    let pol = view["id"].as_str().unwrap();
    assert_eq!(view["protocol"], "saml");
    assert_eq!(view["idp_entity_id"], format!("{}/metadata", idp.url));
    let acs = format!("{}/auth/saml/{pol}/acs", app.base);
    let entity = format!("{}/auth/saml/{pol}/metadata", app.base);
    assert_eq!(view["acs_url"], acs.as_str());
    assert_eq!(view["sp_entity_id"], entity.as_str());
    // Our SP metadata, for the IdP.
    let agent = Agent::new();
    let (status, xml) = agent.fetch(&entity).await;
    assert_eq!(status, StatusCode::OK);
    assert!(xml.contains(&format!("entityID=\"{entity}\"")), "{xml}");
    assert!(xml.contains(&acs));

    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    let posting = to_acs_form(&app, &agent, &m, &m).await;
    let end = post_to_acs(&agent, &posting).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );
    let (status, me) = agent.me(&app.base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], m.as_str());
    assert_eq!(me["orgs"].as_array().unwrap().len(), 1);

    // Metadata pasted instead of fetched; the policy keeps working.
    let (_, idp_xml) = agent.fetch(&format!("{}/metadata", idp.url)).await;
    app.patch(
        &org.path(&format!("/sso-policies/{pol}")),
        &org.admin,
        json!({"idp_metadata_xml": idp_xml}),
    )
    .await
    .ok();
    let again = Agent::new();
    let posting = to_acs_form(&app, &again, &m, &m).await;
    let end = post_to_acs(&again, &posting).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );
    // Metadata without a signing certificate, or not metadata at all, is refused on import.
    let unsigned = idp_xml.split("<KeyDescriptor").next().unwrap().to_owned()
        + "</IDPSSODescriptor></EntityDescriptor>";
    for bad in [unsigned.as_str(), "<not-metadata/>"] {
        app.patch(
            &org.path(&format!("/sso-policies/{pol}")),
            &org.admin,
            json!({"idp_metadata_xml": bad}),
        )
        .await
        .problem(422, "validation_failed");
    }
}

async fn r24_saml_refusals_change_nothing(app: TestApp) {
    let (org, idp, view) = saml_org(&app).await;
    let pol = view["id"].as_str().unwrap().to_owned();
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    for (mode, check) in [
        ("wrong_audience", "Issued for Switchboard (audience)"),
        ("expired", "Within its validity period"),
        ("unsigned", "Signed by the identity provider"),
        ("wrong_signature", "Signed by the identity provider"),
        ("wrapping", "Signed by the identity provider"),
        ("wrong_in_response_to", "Answers the sign-in request"),
    ] {
        idp.control("/__test/mode", json!({"mode": mode})).await;
        let agent = Agent::new();
        let posting = to_acs_form(&app, &agent, &m, &m).await;
        let end = post_to_acs(&agent, &posting).await;
        refused(&app, &agent, &end, check).await;
    }
    idp.control("/__test/mode", json!({"mode": null})).await;

    // A response posted twice: the second finds no pending request.
    let agent = Agent::new();
    let posting = to_acs_form(&app, &agent, &m, &m).await;
    post_to_acs(&agent, &posting).await;
    assert_eq!(agent.me(&app.base).await.0, StatusCode::OK);
    let thief = Agent::new();
    let end = post_to_acs(&thief, &posting).await;
    refused(&app, &thief, &end, "Answers the sign-in request").await;

    // IdP-initiated: refused unless the policy opts in; then an assertion is used once.
    let acs = format!("{}/auth/saml/{pol}/acs", app.base);
    let entity = format!("{}/auth/saml/{pol}/metadata", app.base);
    let unsolicited = format!(
        "{}/__test/initiate?acs={acs}&audience={entity}&email={m}",
        idp.url
    );
    let agent = Agent::new();
    let posting = agent.get(&unsolicited).await;
    let end = post_to_acs(&agent, &posting).await;
    refused(&app, &agent, &end, "Answers the sign-in request").await;
    app.patch(
        &org.path(&format!("/sso-policies/{pol}")),
        &org.admin,
        json!({"allow_idp_initiated": true}),
    )
    .await
    .ok();
    let agent = Agent::new();
    let posting = agent.get(&unsolicited).await;
    let end = post_to_acs(&agent, &posting).await;
    assert_eq!(
        end.url,
        format!("{}/orgs/{}", app.base, org.id),
        "{}",
        end.text
    );
    let replay = Agent::new();
    let end = post_to_acs(&replay, &posting).await;
    refused(&app, &replay, &end, "Not used before").await;
    // Opting in to IdP-initiated responses does not loosen SP-initiated ones.
    idp.control("/__test/mode", json!({"mode": "wrong_in_response_to"}))
        .await;
    let agent = Agent::new();
    let posting = to_acs_form(&app, &agent, &m, &m).await;
    let end = post_to_acs(&agent, &posting).await;
    refused(&app, &agent, &end, "Answers the sign-in request").await;
    assert_eq!(app.broken_audit_entry(&org.id).await, None);
}

async fn r24_saml_wrapping_never_signs_in_the_injected_subject(app: TestApp) {
    let (org, idp, _) = saml_org(&app).await;
    let m = email("agent");
    member(&app, &org, &org.initial_team, &m).await;
    // The attacker's address is a member too: a wrapped response must not reach either.
    let attacker = format!("attacker@{}", m.split('@').nth(1).unwrap());
    member(&app, &org, &org.initial_team, &attacker).await;
    idp.control("/__test/mode", json!({"mode": "wrapping"}))
        .await;
    let agent = Agent::new();
    let posting = to_acs_form(&app, &agent, &m, &m).await;
    let end = post_to_acs(&agent, &posting).await;
    refused(&app, &agent, &end, "Signed by the identity provider").await;
}

db_tests!(
    r24_a_response_posted_in_another_browser_signs_nobody_in_unasked,
    r24_saml_sign_in_through_a_real_idp,
    r24_saml_refusals_change_nothing,
    r24_saml_wrapping_never_signs_in_the_injected_subject,
);
