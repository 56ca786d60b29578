//! The one outbound HTTP client for providers: rustls (ring, as the mailer uses), short timeouts,
//! no redirects (a provider's documents are fetched from the address configured, never elsewhere),
//! and a cap on what it reads.

use std::time::Duration;

/// Largest provider document read (discovery, keys, tokens, metadata).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("the answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("{0}")]
    Build(String),
}

#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    pub(crate) fn new() -> Self {
        crate::use_ring_for_tls();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent("switchboard-sso")
            .build()
            .unwrap_or_default();
        Http { client }
    }

    /// Sends a request built by openidconnect and hands back its answer.
    pub(crate) async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, HttpError> {
        let req = reqwest::Request::try_from(req)?;
        let mut res = self.client.execute(req).await?;
        let mut out = http::Response::builder().status(res.status());
        for (k, v) in res.headers() {
            out = out.header(k, v);
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        out.body(body).map_err(|e| HttpError::Build(e.to_string()))
    }

    /// GETs a text document (SAML metadata).
    pub(crate) async fn get_text(&self, url: &str) -> Result<String, HttpError> {
        let req = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| HttpError::Build(e.to_string()))?;
        let res = self.send(req).await?;
        if !res.status().is_success() {
            return Err(HttpError::Build(format!("answered {}", res.status())));
        }
        String::from_utf8(res.into_body()).map_err(|e| HttpError::Build(e.to_string()))
    }
}

/// openidconnect sends its requests through this (a named future type keeps the callers `Send`).
impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<http::Response<Vec<u8>>, HttpError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: http::Request<Vec<u8>>) -> Self::Future {
        Box::pin(self.send(request))
    }
}
