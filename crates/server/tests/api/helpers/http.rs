//! Talking to the test server over HTTP: requests with a bearer token (a session's or the
//! operator's), the mail it sent, and [`Resp`], a response read whole with assertions for the
//! problem documents and successes the tests expect.

use super::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

impl TestApp {
    /// Sends a request; `token` is a session token, or the operator token for operator routes.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Owned-argument forms, for building many requests to run at once.
    pub async fn patch_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.patch(&path, &token, body).await
    }

    pub async fn post_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.post(&path, &token, body).await
    }

    pub async fn put_owned(&self, path: String, token: String, body: Value) -> Resp {
        self.put(&path, &token, body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Every mail sent so far, after delivering all the outbox holds (the test server runs no
    /// background worker, so delivery happens exactly here and tests never race it). A delivery
    /// pass takes 100 messages, oldest first; a test that queued more (the role matrix does)
    /// needs several passes before its newest mail is out.
    pub async fn mails(&self) -> Vec<Value> {
        while self.services.deliver_mail().await.expect("deliver mail") > 0 {}
        std::fs::read_to_string(&self.mail_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The newest sign-in code mailed to `email`. The server's own worker may have taken the
    /// mail a moment before this test's delivery looked (its lease hides it), so an absent code
    /// is looked for again for up to 5 s before the answer is "none".
    pub async fn last_code(&self, email: &str) -> Option<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let code = self
                .mails()
                .await
                .into_iter()
                .rev()
                .find(|m| m["to"] == email)
                .and_then(|m| m["code"].as_str().map(str::to_owned));
            if code.is_some() || std::time::Instant::now() > deadline {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// A response: status, headers and JSON body (or `Value::String` of a non-JSON body).
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Resp {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a problem response with this status and code, and returns its detail.
    pub fn problem(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status);
        let detail = self.body["detail"].as_str().unwrap_or_default().to_owned();
        assert!(!detail.is_empty(), "problem without detail: {}", self.text);
        assert!(self.body["title"].is_string() && self.body["type"].is_string());
        detail
    }

    pub fn ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.text
        );
        &self.body
    }
}
