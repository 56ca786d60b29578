//! Real identity providers for the SSO tests, started on loopback for one test each: the OpenID
//! provider `oidc-provider` (npm, certified) and a SAML 2.0 IdP on `samlify` (npm, an independent
//! implementation) — `tests/idp/*.mjs`, installed by scripts/test. Neither shares code with our
//! relying party. Each has test controls (`/__test/…`) to misbehave on purpose: tamper with
//! tokens, sign with the wrong key, rotate keys, go down.
//!
//! [`Agent`] is a browser without JavaScript: a cookie jar, redirects followed by hand, forms
//! filled by name. It walks the same redirects and forms Chromium does in the portal test.

use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running identity provider; stopped when dropped.
pub struct Idp {
    pub url: String,
    _child: Child,
}

fn idp_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/idp")
}

impl Idp {
    async fn start(script: &str, args: &[&str], prefix: &str) -> Idp {
        let dir = idp_dir();
        assert!(
            dir.join("node_modules").is_dir(),
            "the test identity providers are not installed: run scripts/test (it runs `npm ci` in {})",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the test identity provider");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("the identity provider says where it listens");
        let url = line
            .trim()
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{script} printed {line:?}"))
            .to_owned();
        Idp { url, _child: child }
    }

    /// An OpenID provider with one client registered for our callback.
    pub async fn oidc(client_id: &str, secret: &str, redirect_uri: &str) -> Idp {
        let args = [
            "--port",
            "0",
            "--client-id",
            client_id,
            "--client-secret",
            secret,
            "--redirect-uri",
            redirect_uri,
        ];
        Self::start("oidc.mjs", &args, "issuer=").await
    }

    /// A SAML 2.0 IdP (its metadata is at `{url}/metadata`).
    pub async fn saml() -> Idp {
        Self::start("saml.mjs", &["--port", "0"], "idp=").await
    }

    /// Posts to a test control (`/__test/…`).
    pub async fn control(&self, path: &str, body: Value) {
        switchboard_service::use_ring_for_tls();
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("the identity provider answers its controls");
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
}

/// One page view: where it ended, its status and its text.
#[derive(Debug)]
pub struct View {
    pub url: String,
    pub status: StatusCode,
    pub text: String,
}

/// A browser without JavaScript: cookies, redirects and forms.
pub struct Agent {
    client: reqwest::Client,
}

impl Default for Agent {
    fn default() -> Self {
        Self::new()
    }
}

impl Agent {
    pub fn new() -> Self {
        switchboard_service::use_ring_for_tls();
        Agent {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
        }
    }

    /// Opens `url` (GET, or POST with a form), following redirects until a page answers or the
    /// next address starts with `stop_at` (an app's loopback address: nothing listens there).
    pub async fn go(
        &self,
        method: Method,
        url: &str,
        form: &[(&str, &str)],
        stop_at: Option<&str>,
    ) -> View {
        self.go_from(method, url, form, stop_at, None).await
    }

    /// As [`Agent::go`], sending `origin` as a browser does with a form's POST.
    async fn go_from(
        &self,
        method: Method,
        url: &str,
        form: &[(&str, &str)],
        stop_at: Option<&str>,
        origin: Option<String>,
    ) -> View {
        let mut url = url.to_owned();
        let mut req = self.client.request(method, &url);
        if !form.is_empty() {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        for _ in 0..20 {
            let r = req.send().await.expect("request sent");
            let status = r.status();
            if !status.is_redirection() {
                let text = r.text().await.unwrap_or_default();
                return View { url, status, text };
            }
            let location = r.headers()["location"].to_str().unwrap().to_owned();
            let next = reqwest::Url::parse(&url)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            if stop_at.is_some_and(|s| next.starts_with(s)) {
                return View {
                    url: next,
                    status,
                    text: String::new(),
                };
            }
            url = next;
            req = self.client.get(&url);
        }
        panic!("too many redirects from {url}");
    }

    pub async fn get(&self, url: &str) -> View {
        self.go(Method::GET, url, &[], None).await
    }

    /// Submits the page's first form (its action, its hidden fields, plus `fields`).
    pub async fn submit(
        &self,
        page: &View,
        fields: &[(&str, &str)],
        stop_at: Option<&str>,
    ) -> View {
        self.submit_form(page, "", fields, stop_at).await
    }

    /// Submits the page's first form whose action contains `action_part`, as a browser does: to
    /// its action, with its hidden fields plus `fields`, and the page's origin.
    pub async fn submit_form(
        &self,
        page: &View,
        action_part: &str,
        fields: &[(&str, &str)],
        stop_at: Option<&str>,
    ) -> View {
        let (action, form_html) = page
            .text
            .match_indices("<form")
            .find_map(|(i, _)| {
                let html = &page.text[i..];
                let html = &html[..html.find("</form>").unwrap_or(html.len())];
                let head = &html[..html.find('>')?];
                let action = attr(head, "action").unwrap_or_default();
                action
                    .contains(action_part)
                    .then(|| (action, html.to_owned()))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no form with action {action_part:?} on {}:\n{}",
                    page.url, page.text
                )
            });
        let action = reqwest::Url::parse(&page.url)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string();
        let mut all: Vec<(String, String)> = hidden_inputs(&form_html);
        for (k, v) in fields {
            all.retain(|(n, _)| n != k);
            all.push(((*k).to_owned(), (*v).to_owned()));
        }
        let form: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let origin = reqwest::Url::parse(&page.url)
            .unwrap()
            .origin()
            .ascii_serialization();
        self.go_from(Method::POST, &action, &form, stop_at, Some(origin))
            .await
    }

    /// A GET with this browser's cookies, answering the status and body.
    pub async fn fetch(&self, url: &str) -> (StatusCode, String) {
        let r = self.client.get(url).send().await.unwrap();
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// `GET /api/v1/me` with this browser's session cookie: its status and body.
    pub async fn me(&self, base: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{base}/api/v1/me"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// Text with the entities our two identity providers and askama use, decoded.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&#43;", "+")
        .replace("&#x2B;", "+")
        .replace("&#61;", "=")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

fn attr(element: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let key = format!("{name}={quote}");
        if let Some(i) = element.find(&key) {
            let rest = &element[i + key.len()..];
            return Some(unescape(&rest[..rest.find(quote)?]));
        }
    }
    None
}

/// Every `<input type="hidden">` of the page, as (name, value).
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input")
        .filter_map(|(i, _)| {
            let end = html[i..].find('>')? + i;
            let element = &html[i..end];
            let hidden = attr(element, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
            hidden.then(|| {
                Some((
                    attr(element, "name")?,
                    attr(element, "value").unwrap_or_default(),
                ))
            })?
        })
        .collect()
}

/// One query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
