//! A real browser for the portal's end-to-end tests: Debian's `chromium`, headless, driven over
//! WebDriver (`chromedriver`) with fantoccini. Each page a test visits can be checked with
//! axe-core (the npm package's `axe.min.js`, injected into the page) and photographed at 1280
//! and 390 pixels wide. Without chromium, chromedriver or axe-core the test fails, saying how to
//! get them (`scripts/test` installs all three): it is never skipped.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::time::Duration;

/// A Chrome DevTools command sent through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

pub struct Chrome {
    pub client: Client,
    driver: tokio::process::Child,
    shots: PathBuf,
    axe: String,
    profile: PathBuf,
}

fn tool(env: &str, default: &str) -> String {
    let path = std::env::var(env).unwrap_or_else(|_| default.to_owned());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: run scripts/test once (it installs chromium, chromium-driver and axe-core), or set {env}"
    );
    path
}

/// Where screenshots go: `SWITCHBOARD_SCREENSHOTS`, or `portal-screenshots` in the temp folder.
pub fn screenshot_folder() -> PathBuf {
    std::env::var("SWITCHBOARD_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("portal-screenshots"))
}

impl Chrome {
    /// Starts chromedriver on a free port and a fresh headless Chromium behind it.
    pub async fn start(label: &str) -> Chrome {
        let chromium = tool("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium");
        let driver_bin = tool("SWITCHBOARD_CHROMEDRIVER", "/usr/bin/chromedriver");
        let axe_path = tool(
            "SWITCHBOARD_AXE_JS",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.e2e/node_modules/axe-core/axe.min.js"
            ),
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("sb-chrome-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&profile).unwrap();
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let shots = screenshot_folder().join(label);
        std::fs::create_dir_all(&shots).unwrap();
        println!("portal screenshots: {}", shots.display());
        Chrome {
            client: client.expect("chromedriver answers within 10 s"),
            driver,
            shots,
            axe: std::fs::read_to_string(axe_path).unwrap(),
            profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Types into the field with this CSS selector (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Clicks what matches, and when that loads a page (a link, a form's button), waits until
    /// the new page has loaded.
    pub async fn click(&self, css: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        self.mark_page().await;
        e.click().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// Marks the current document, so a new one can be told from it.
    async fn mark_page(&self) {
        self.client
            .execute("window.__sb_seen = true; return true;", vec![])
            .await
            .unwrap();
    }

    /// Waits (up to 10 s) for a document without the mark that has finished loading.
    async fn wait_for_new_page(&self) {
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return !window.__sb_seen && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page did not load within 10 s");
    }

    /// Clicks something that stays on the page (a radio button, a select).
    pub async fn tick(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Chooses the option with this text in the select with this id.
    pub async fn select(&self, id: &str, option: &str) {
        self.client
            .find(Locator::XPath(&format!(
                "//select[@id='{id}']/option[normalize-space(text())='{option}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("option {option:?} of #{id}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Sets a check box on or off.
    pub async fn check(&self, css: &str, on: bool) {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        if e.is_selected().await.unwrap() != on {
            e.click().await.unwrap();
        }
    }

    /// Clicks the link whose text is exactly this.
    pub async fn click_link(&self, text: &str) {
        let e = self
            .client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("link {text:?}: {e}"));
        self.mark_page().await;
        e.click().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// The text of the first element matching, or "" when there is none.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The whole page's visible text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    /// Runs axe-core on the page: returns its serious and critical violations, and what a person
    /// would stumble on at 1280 and at 390 pixels wide ([`Chrome::unreadable`]); saves a
    /// screenshot at each width.
    pub async fn audit(&self, name: &str) -> Vec<String> {
        self.client
            .execute(&format!("{}\nreturn true;", self.axe), vec![])
            .await
            .unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .unwrap();
        let mut found: Vec<String> = serde_json::from_value::<Vec<String>>(found)
            .unwrap()
            .into_iter()
            .map(|v| format!("{name}: {v}"))
            .collect();
        for width in [1280, 390] {
            self.emulate_width((width < 1280).then_some(width)).await;
            found.extend(self.unreadable(&format!("{name} at {width} px")).await);
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(self.shots.join(format!("{name}-{width}.png")), png).unwrap();
        }
        self.emulate_width(None).await;
        found
    }

    /// Lays pages out `width` pixels wide, as a phone does (a headless window can't be made
    /// narrower than 500 pixels; Chrome's device emulation can). `None` goes back to the window.
    pub async fn emulate_width(&self, width: Option<u32>) {
        let (cmd, params) = match width {
            Some(w) => (
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({"width": w, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
            ),
            None => (
                "Emulation.clearDeviceMetricsOverride",
                serde_json::json!({}),
            ),
        };
        self.client
            .issue_cmd(DevTools { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    /// What a person would stumble on in the page as shown: text wider than the screen, an id
    /// (`usr_…`, `team_…`) or a machine time (`2026-12-07T16:33`) where people read. Each
    /// finding names the page.
    pub async fn unreadable(&self, name: &str) -> Vec<String> {
        let found = self
            .client
            .execute(
                r#"const out = [];
                   const text = document.body.innerText;
                   const id = text.match(/\b(usr|team)_[0-9a-z]{26}\b/);
                   if (id) out.push('shows the id ' + id[0]);
                   const iso = text.match(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
                   if (iso) out.push('shows the machine time ' + iso[0]);
                   const day = text.match(/\b\d{4}-\d{2}-\d{2}\b/);
                   if (day) out.push('shows the machine day ' + day[0]);
                   const wide = document.documentElement.scrollWidth;
                   if (wide > window.innerWidth) {
                     const culprits = [];
                     for (const e of document.querySelectorAll('body *')) {
                       const r = e.getBoundingClientRect();
                       if (r.right > window.innerWidth + 1 && culprits.length < 3) culprits.push(e.tagName + '.' + e.className);
                     }
                     out.push('is ' + wide + ' px wide at ' + window.innerWidth + ' px: ' + culprits.join(', '));
                   }
                   return out;"#,
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value::<Vec<String>>(found)
            .unwrap()
            .into_iter()
            .map(|v| format!("{name}: {v}"))
            .collect()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
