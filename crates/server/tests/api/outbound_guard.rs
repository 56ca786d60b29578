//! R34's outbound guard, as the attacker would try it: an Org Admin's SSO settings name URLs the
//! server will fetch, and a stranger can make it fetch a provider's discovery by starting a
//! sign-in. With the guard on (the development switch off, as in production), every trick is
//! refused before a byte is sent — userinfo, plain http, private, loopback and link-local
//! addresses written in the URL or behind a name, IPv6 forms of IPv4 addresses — a name is
//! asked once and never re-resolved, a failed discovery is remembered for a minute, and no
//! refusal quotes what a fetch brought back.

use crate::db_tests;
use crate::dns::Dns;
use crate::helpers::{Org, TestApp};
use serde_json::json;
use switchboard_service::Config;

/// The app with the guard on and its lookups sent to the tests' DNS server.
async fn guarded(app: TestApp) -> (TestApp, Dns) {
    let dns = Dns::start().await;
    let app = app
        .restart_with(Config {
            outbound_allow_private: false,
            dns_servers: vec![dns.addr],
            ..TestApp::config()
        })
        .await;
    (app, dns)
}

async fn saml_from(app: &TestApp, org: &Org, url: &str) -> String {
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "Guarded", "protocol": "saml", "idp_metadata_url": url,
            "allowed_domains": ["example.com"], "team_ids": [org.second_team]}),
    )
    .await
    .problem(422, "validation_failed")
}

async fn r34_the_outbound_guard_refuses_each_trick(app: TestApp) {
    let org = app.org().seats(5).established().await;
    let (app, dns) = guarded(app).await;
    dns.address("internal.idp.test", "10.0.0.5".parse().unwrap());
    dns.address("meta.idp.test", "169.254.169.254".parse().unwrap());
    dns.address("cgnat.idp.test", "100.64.1.1".parse().unwrap());
    dns.address("v6.idp.test", "fc00::1".parse().unwrap());
    dns.address("mapped.idp.test", "::ffff:127.0.0.1".parse().unwrap());
    // One public and one private address: the name is refused, not the bad address skipped.
    dns.address("mixed.idp.test", "93.184.216.34".parse().unwrap());
    dns.address("mixed.idp.test", "192.168.0.10".parse().unwrap());
    for (url, why) in [
        (
            "https://internal.idp.test/metadata",
            "internal.idp.test is a private address",
        ),
        ("https://meta.idp.test/latest", "link-local"),
        ("https://cgnat.idp.test/", "carrier-grade NAT"),
        ("https://v6.idp.test/", "a private address"),
        ("https://mapped.idp.test/", "a loopback address"),
        ("https://mixed.idp.test/", "a private address"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/", "loopback"),
        (
            "https://localhost:x@evil.idp.test/",
            "user name or password",
        ),
        ("http://plain.idp.test/", "only https"),
    ] {
        let detail = saml_from(&app, &org, url).await;
        assert!(detail.contains(why), "{url}: {detail}");
    }
    // The OIDC issuer is held to the same guard.
    let r = app
        .post(
            &org.path("/sso-policies"),
            &org.admin,
            json!({"name": "Guarded", "issuer": "http://localhost:x@evil.idp.test/",
                "client_id": "c", "client_secret": "s", "allowed_domains": ["example.com"],
                "team_ids": [org.second_team]}),
        )
        .await;
    r.problem(422, "validation_failed");
    // A name is asked once per fetch (A and AAAA), and never re-resolved to connect: a canary
    // on the address it answers is never reached.
    let canary = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = canary.local_addr().unwrap().port();
    dns.address("rebind.idp.test", "127.0.0.1".parse().unwrap());
    let detail = saml_from(&app, &org, &format!("https://rebind.idp.test:{port}/md")).await;
    assert!(detail.contains("loopback"), "{detail}");
    assert!(
        dns.asked("rebind.idp.test") <= 2,
        "{}",
        dns.asked("rebind.idp.test")
    );
    let reached =
        tokio::time::timeout(std::time::Duration::from_millis(200), canary.accept()).await;
    assert!(reached.is_err(), "the canary was reached");
    // Nothing was created.
    let list = app.get(&org.path("/sso-policies"), &org.admin).await;
    assert_eq!(list.ok()["items"].as_array().unwrap().len(), 0);
}

/// A stranger starting sign-ins makes the server try a provider's discovery; a discovery that
/// failed is not tried again for a minute, so a flood of starts costs no fetches.
async fn r34_a_failed_discovery_is_remembered_for_a_minute(app: TestApp) {
    let org = app.org().seats(5).established().await;
    app.verify_domain(&org, "closed.example").await;
    app.post(
        &org.path("/sso-policies"),
        &org.admin,
        json!({"name": "Private IdP", "issuer": "https://idp.closed.example",
            "client_id": "c", "client_secret": "s", "allowed_domains": ["closed.example"],
            "team_ids": [org.initial_team]}),
    )
    .await
    .ok();
    let (app, dns) = guarded(app).await;
    dns.address("idp.closed.example", "10.9.9.9".parse().unwrap());
    for _ in 0..5 {
        let r = app
            .client
            .get(format!(
                "{}/auth/sso/start?email=someone@closed.example",
                app.base
            ))
            .send()
            .await
            .unwrap();
        assert!(!r.status().is_success(), "refused");
        let page = r.text().await.unwrap();
        assert!(!page.contains("10.9.9.9"), "no address is echoed: {page}");
    }
    let asked = dns.asked("idp.closed.example");
    assert!(
        (1..=2).contains(&asked),
        "asked {asked} times for five starts"
    );
}

/// A fetched document that is not metadata is refused in fixed words: not a byte of it (another
/// service's answer, say) comes back in the problem.
async fn r34_a_refusal_never_quotes_what_was_fetched(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let org = app.org().seats(5).established().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let body = "INTERNAL-SECRET ".repeat(4_800);
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    });
    // The development switch is on in this app (loopback is reachable), as on a laptop.
    let detail = saml_from(&app, &org, &format!("http://127.0.0.1:{port}/metadata")).await;
    assert!(!detail.contains("INTERNAL-SECRET"), "{detail}");
    assert!(detail.len() < 400, "{} bytes of detail", detail.len());
}

db_tests!(
    r34_the_outbound_guard_refuses_each_trick,
    r34_a_failed_discovery_is_remembered_for_a_minute,
    r34_a_refusal_never_quotes_what_was_fetched,
);
