//! The API against its own schema, checked by independent tools on a live server: the OpenAPI
//! document passes `openapi-spec-validator` and `openapi-python-client` generates a client from
//! it without a warning; schemathesis (every check, every phase, stateful sequences included)
//! fuzzes every operation with real ids for every path parameter and the caller each API is
//! for — the Org Admin's session for `/api/v1`, the operator's token for `/operator/v1`, an
//! agent's app token for `/app/v1` — so no operation is stuck at 401 or 404. These run inside
//! the test suite against the test build's server, on both databases: no second build.

use crate::apps::app_sign_in;
use crate::db_tests;
use crate::helpers::{OPERATOR_TOKEN, TestApp};
use crate::tenancy::Objects;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A tool installed beside the test Python (`SWITCHBOARD_TEST_PYTHON`, set by scripts/test).
fn venv_tool(name: &str) -> PathBuf {
    let python = std::env::var("SWITCHBOARD_TEST_PYTHON").expect(
        "SWITCHBOARD_TEST_PYTHON names the venv's python (scripts/test sets it and installs the tools)",
    );
    let tool = Path::new(&python).with_file_name(name);
    assert!(
        tool.exists(),
        "{} is missing: run scripts/test once (it installs it)",
        tool.display()
    );
    tool
}

async fn run(cmd: &mut tokio::process::Command) -> (bool, String) {
    let out = cmd.output().await.expect("the tool runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The document the server serves passes an independent validator, and a client generated from
/// it comes without warnings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_passes_a_validator_and_makes_a_client() {
    let app = TestApp::sqlite().await;
    let doc = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    let dir = std::env::temp_dir().join(format!("sb-openapi-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("openapi.json"), doc.bytes().await.unwrap()).unwrap();
    let (ok, text) = run(
        tokio::process::Command::new(venv_tool("openapi-spec-validator"))
            .arg(dir.join("openapi.json")),
    )
    .await;
    assert!(ok, "openapi-spec-validator: {text}");
    let bin = venv_tool("openapi-python-client");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (ok, text) = run(tokio::process::Command::new(&bin)
        .args(["generate", "--path", "openapi.json", "--meta", "none"])
        .args(["--output-path", "client"])
        .env("PATH", path)
        .current_dir(&dir))
    .await;
    assert!(ok, "openapi-python-client: {text}");
    let lower = text.to_lowercase();
    assert!(
        !["warning", "unable to", "error"]
            .iter()
            .any(|w| lower.contains(w)),
        "the client generator reported problems: {text}"
    );
    let files = walk(&dir.join("client"));
    assert!(files > 50, "a client of {files} Python files");
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "py"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Rules the schema states but can't enforce by shape alone, so a schema-valid value may still
/// be refused with a 422 naming the field: a time in the future, a card not yet expired, an
/// email team for enrollment keys, a plan feature for a setting, a device team's seats held by
/// devices, a move to another subscription, a real calendar day (not February 30), an SSO
/// policy's provider fields matching its protocol (an OIDC issuer and client, or SAML metadata
/// that can be fetched and read), an SSO sign-in for an email whose domain has SSO, an IANA
/// time zone, an analytics period that ends after it starts, a plan of the plan catalog, an
/// email domain's labels (letters, digits and hyphens, or an internationalized name).
const BEYOND_THE_SCHEMA: &[&str] = &[
    "POST /api/v1/orgs/{org}/teams/{team}/enrollment-keys",
    "POST /api/v1/orgs/{org}/api-tokens",
    "PATCH /api/v1/orgs/{org}",
    "GET /api/v1/orgs/{org}/analytics/teams",
    "GET /api/v1/orgs/{org}/analytics/series",
    "GET /api/v1/orgs/{org}/analytics/users",
    "POST /api/v1/orgs/{org}/analytics/report",
    "GET /api/v1/orgs/{org}/audit-log",
    "PUT /api/v1/orgs/{org}/subscriptions/{sub}/payment-method",
    "PUT /operator/v1/subscriptions/{sub}/payment-method",
    "POST /api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}/move",
    "PATCH /api/v1/orgs/{org}/teams/{team}/settings",
    "POST /api/v1/orgs/{org}/sso-policies",
    "GET /app/v1/sign-in/sso/start",
    "PATCH /api/v1/orgs/{org}/sso-policies/{pol}",
    "POST /api/v1/orgs/{org}/users",
    "POST /api/v1/orgs/{org}/users/{user}/memberships",
    "PATCH /api/v1/orgs/{org}/users/{user}/memberships/{team}",
    "PATCH /operator/v1/subscriptions/{sub}",
    "POST /operator/v1/orgs/{org}/subscriptions",
    "POST /operator/v1/customers",
    "POST /api/v1/orgs/{org}/domains",
    "PUT /operator/v1/orgs/{org}/domains/{domain}",
    "POST /api/v1/orgs/{org}/domains/{domain}/verify",
    "DELETE /api/v1/orgs/{org}/domains/{domain}",
];

/// Operations that name other objects in their body (a team, a subscription): the fuzzer makes
/// those ids up, so these may answer only 404 for an object that doesn't exist.
const IDS_IN_THE_BODY: &[&str] = &[
    "POST /api/v1/orgs/{org}/policies",
    "POST /api/v1/orgs/{org}/sso-policies",
    "POST /api/v1/orgs/{org}/subscriptions/{sub}/teams/{team}/move",
    "POST /api/v1/orgs/{org}/users/{user}/memberships",
];

/// Objects for the deleting operations alone.
struct Spares {
    user: String,
    member: String,
    role_holder: String,
    policy: String,
    sso_policy: String,
    device: String,
    /// A claimed (pending) domain.
    domain: String,
}

impl Spares {
    async fn make(app: &TestApp, org: &crate::helpers::Org, objects: &Objects) -> Spares {
        let id = |r: crate::helpers::Resp| r.ok()["id"].as_str().unwrap().to_owned();
        let user_id =
            |r: crate::helpers::Resp| r.ok()["results"][0]["user_id"].as_str().unwrap().to_owned();
        let (team, admin) = (&org.initial_team, &org.admin);
        let user = user_id(
            org.add(app, &["spare-user@example.com"])
                .to(team)
                .as_member()
                .without_access()
                .by(admin)
                .await,
        );
        let member = user_id(
            org.add(app, &["spare-member@example.com"])
                .to(team)
                .as_member()
                .without_access()
                .by(admin)
                .await,
        );
        let r = app
            .post(
                &org.path("/admins"),
                &org.admin,
                json!({"email": "spare-admin@example.com", "role": "org_analyst"}),
            )
            .await;
        let role_holder = r.ok()["user_id"].as_str().unwrap().to_owned();
        let sso_team = id(app
            .post(
                &org.path("/teams"),
                &org.admin,
                json!({"name": "Spare SSO team", "login_type": "email"}),
            )
            .await);
        let policy = id(app
            .post(
                &org.path("/policies"),
                &org.admin,
                json!({"name": "Spare", "values": {"agent_assist": true}, "team_ids": [sso_team]}),
            )
            .await);
        let sso_policy = id(app
            .post(
                &org.path("/sso-policies"),
                &org.admin,
                json!({"name": "Spare SSO", "issuer": "https://id.example.com", "client_id": "c",
                    "client_secret": "s", "allowed_domains": [crate::tenancy::org_domain(org)], "team_ids": [sso_team]}),
            )
            .await);
        let k = app
            .post(
                &org.path(&format!("/teams/{}/enrollment-keys", objects.device_team)),
                &org.admin,
                json!({}),
            )
            .await;
        let secret = k.ok()["key"].as_str().unwrap().to_owned();
        let d = app
            .call(
                reqwest::Method::POST,
                "/app/v1/devices/enroll",
                None,
                Some(json!({"enrollment_key": secret, "device_name": "PC-spare"})),
            )
            .await;
        let device = d.ok()["device_id"].as_str().unwrap().to_owned();
        let domain = "spare-claim.example".to_owned();
        app.post(&org.path("/domains"), &org.admin, json!({"domain": domain}))
            .await
            .ok();
        Spares {
            domain,
            user,
            member,
            role_holder,
            policy,
            sso_policy,
            device,
        }
    }
}

async fn the_api_holds_to_its_schema_under_a_fuzzer(app: TestApp) {
    let org = app.org().seats(200).established().await;
    let objects = Objects::make(&app, &org).await;
    // People in the initial team (the second is under SSO), one of whom signs in to the app.
    let agents: Vec<String> = (0..20).map(|i| format!("agent{i}@example.com")).collect();
    let emails: Vec<&str> = agents.iter().map(String::as_str).collect();
    org.add(&app, &emails)
        .to(&org.initial_team)
        .as_member()
        .with_access()
        .await
        .ok();
    let signed = app_sign_in(&app, &agents[0], Some(&org.initial_team)).await;
    let app_token = signed.ok()["token"].as_str().unwrap().to_owned();
    let users = app
        .get(
            &org.path(&format!("/users?team={}", org.initial_team)),
            &org.admin,
        )
        .await;
    let member = users.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["org_role"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // What deleting operations delete is their own, so the operations that read or change an
    // object still find theirs afterwards.
    let spare = Spares::make(&app, &org, &objects).await;

    let dir = std::env::temp_dir().join(format!("sb-fuzz-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let bearer = |t: &str| format!("{{ Authorization = \"Bearer {t}\" }}");
    let mut toml = String::new();
    writeln!(toml, "headers = {}", bearer(&org.admin)).unwrap();
    writeln!(toml, "[parameters]").unwrap();
    for (name, value) in [
        ("org", &org.id),
        ("team", &org.initial_team),
        ("user", &member),
        ("sub", &org.subscription),
        ("pol", &objects.policy),
        ("id", &objects.api_token),
        ("invoice", &objects.invoice),
        ("device", &objects.device),
        ("key", &objects.key),
        ("domain", &crate::tenancy::org_domain(&org)),
    ] {
        writeln!(toml, "\"path.{name}\" = \"{value}\"").unwrap();
    }
    // One entry per operation that needs more than the defaults (schemathesis applies the first
    // entry that matches an operation, so each carries all of its settings).
    let doc = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = doc.json().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let name = format!("{} {path}", method.to_uppercase());
            let mut settings = Vec::new();
            // Each API with its own caller.
            if path.starts_with("/operator/") {
                settings.push(format!("headers = {}", bearer(OPERATOR_TOKEN)));
            } else if path.starts_with("/app/") {
                settings.push(format!("headers = {}", bearer(&app_token)));
            }
            let mut params = Vec::new();
            // Ids a route names differently than its siblings.
            if path.contains("/sso-policies/") {
                params.push(format!("\"path.pol\" = \"{}\"", objects.sso_policy));
            }
            if path.contains("/devices") || path.contains("/enrollment-keys") {
                params.push(format!("\"path.team\" = \"{}\"", objects.device_team));
            }
            if path.contains("/admins/") {
                let who = if method == "delete" {
                    &spare.role_holder
                } else {
                    &objects.role_holder
                };
                params.push(format!("\"path.user\" = \"{who}\""));
            }
            if method == "delete" {
                match path.as_str() {
                    "/api/v1/orgs/{org}/users/{user}" => {
                        params.push(format!("\"path.user\" = \"{}\"", spare.user));
                    }
                    "/api/v1/orgs/{org}/users/{user}/memberships/{team}" => {
                        params.push(format!("\"path.user\" = \"{}\"", spare.member));
                    }
                    "/api/v1/orgs/{org}/policies/{pol}" => {
                        params.push(format!("\"path.pol\" = \"{}\"", spare.policy));
                    }
                    "/api/v1/orgs/{org}/sso-policies/{pol}" => {
                        params.retain(|p| !p.starts_with("\"path.pol\""));
                        params.push(format!("\"path.pol\" = \"{}\"", spare.sso_policy));
                    }
                    "/api/v1/orgs/{org}/teams/{team}/devices/{device}" => {
                        params.push(format!("\"path.device\" = \"{}\"", spare.device));
                    }
                    "/api/v1/orgs/{org}/domains/{domain}" => {
                        params.push(format!("\"path.domain\" = \"{}\"", spare.domain));
                    }
                    _ => {}
                }
            }
            // A blank query parameter means "absent" (what an HTML form's empty filter sends):
            // pin the words the fuzzer would otherwise call blanks a schema violation.
            if path.contains("/analytics/") && method == "get" {
                params.push("\"query.from\" = \"2026-11-01\", \"query.to\" = \"2026-11-30\", \"query.format\" = \"json\"".into());
            }
            if path.ends_with("/audit-log") || path.ends_with("/seats/idle") {
                params.push("\"query.format\" = \"json\"".into());
            }
            // A window longer than 400 days is refused, which a schema can't say.
            if path.ends_with("/seat-history") {
                params.push("\"query.from\" = \"2026-11-01\", \"query.to\" = \"2026-11-30\", \"query.format\" = \"json\"".into());
            }
            if path.ends_with("/orgs/{org}/users") && method == "get" {
                params.push("\"query.team_role\" = \"member\", \"query.org_role\" = \"org_analyst\", \"query.status\" = \"signed_in\", \"query.app_access\" = \"true\", \"query.used_app\" = \"true\", \"query.sort\" = \"name\"".into());
            }
            if !params.is_empty() {
                settings.push(format!("parameters = {{ {} }}", params.join(", ")));
            }
            if BEYOND_THE_SCHEMA.contains(&name.as_str()) {
                settings.push("checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"401\", \"403\", \"404\", \"409\", \"422\", \"429\"]".into());
            }
            // Usage is checked event by event: a malformed event is refused in the answer,
            // beside the accepted ones, not by refusing the batch (R26).
            if path == "/app/v1/usage" {
                settings.push("checks.negative_data_rejection.enabled = false".into());
            }
            // Token ids and domains are pinned (for the coverage and fuzzing phases), so a
            // stateful sequence's DELETE of one it just made names the pinned one, already gone.
            if path.contains("/api-tokens") || path.contains("/domains") {
                settings.push("checks.ensure_resource_availability.enabled = false".into());
            }
            if !settings.is_empty() {
                writeln!(
                    toml,
                    "[[operations]]\ninclude-name = \"{name}\"\n{}",
                    settings.join("\n")
                )
                .unwrap();
            }
        }
    }
    std::fs::write(dir.join("schemathesis.toml"), &toml).unwrap();
    if std::env::var("SB_FUZZ_DUMP").is_ok() {
        std::fs::write("/tmp/schemathesis.toml", &toml).unwrap();
    }

    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let (ok, text) = run(tokio::process::Command::new(venv_tool("st"))
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{}/openapi.json", app.base))
        // Every check is on by default (4.x); `--checks all` here would override the
        // per-operation settings above.
        .args(["--generation-codec", "ascii"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--exclude-path", "/api/v1/auth/logout"])
        .args(["--max-examples", &examples, "--seed", "1", "--workers", "1"])
        .current_dir(&dir))
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "schemathesis found problems:\n{text}");
    // Every operation got past authentication.
    assert!(
        !text.contains("Authentication failed"),
        "schemathesis warns of operations stuck at 401 or 403:\n{text}"
    );
    // And found its objects: an operation may only stay at 404 when the ids it needs are in its
    // body (teams, subscriptions), which the fuzzer makes up.
    if let Some(at) = text.find("Missing test data:") {
        let listed = text[at..]
            .lines()
            .skip(1)
            .take_while(|l| l.trim_start().starts_with("- "))
            .map(|l| l.trim().trim_start_matches("- ").to_owned());
        for op in listed {
            assert!(
                IDS_IN_THE_BODY.contains(&op.as_str()),
                "{op} never got past 404:\n{text}"
            );
        }
    }
}

db_tests!(the_api_holds_to_its_schema_under_a_fuzzer);
