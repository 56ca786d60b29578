//! OpenID Connect relying party: the authorization code flow with PKCE (S256), `state` and
//! `nonce`, on the `openidconnect` crate. Each provider's discovery document and keys are cached
//! for an hour; an id token signed with a key we don't know (the provider rotated its keys)
//! fetches the keys again, once, before it is refused. A discovery that failed is remembered for a
//! minute per issuer, so strangers starting sign-ins can't make the server fetch it again and
//! again. Every request goes through the outbound guard ([`crate::outbound`]). Everything the core spec asks of an id
//! token is checked by openidconnect (signature with an advertised algorithm, issuer, audience,
//! expiry, nonce); expiry with a minute of clock skew.

use crate::Identity;
use crate::check::{Check, Failure};
use crate::outbound::Outbound;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a provider's discovery document and keys are used before they are fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// How long a failed discovery is answered from memory.
const FAILED_DISCOVERY_TTL: Duration = Duration::from_secs(60);
/// Tolerated clock difference with the provider on an id token's expiry.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);

/// A provider as an SSO policy configures it.
#[derive(Debug, Clone, Copy)]
pub struct Provider<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// A started sign-in: where to send the browser, and what to keep until the callback.
#[derive(Debug, Clone)]
pub struct Start {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// What the callback brought back, and what was kept from the start.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    pub code: &'a str,
    /// The callback's `iss` parameter (RFC 9207), when the provider sends one.
    pub iss: Option<&'a str>,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
}

struct Cached {
    fetched: Instant,
    metadata: Arc<CoreProviderMetadata>,
}

/// The relying party: one per process, shared by every request.
pub struct Oidc {
    http: Outbound,
    cache: Mutex<HashMap<String, Cached>>,
    /// Discoveries that failed, and when: asked again only after [`FAILED_DISCOVERY_TTL`].
    failed: Mutex<HashMap<String, (Instant, Failure)>>,
}

impl Oidc {
    pub fn new(http: Outbound) -> Self {
        Oidc {
            http,
            cache: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, issuer: &str) -> Option<Arc<CoreProviderMetadata>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(issuer)
            .filter(|c| c.fetched.elapsed() < DISCOVERY_TTL)
            .map(|c| c.metadata.clone())
    }

    /// The provider's discovery document with its keys, from the cache or fetched.
    async fn metadata(&self, issuer: &str) -> Result<Arc<CoreProviderMetadata>, Failure> {
        if let Some(m) = self.cached(issuer) {
            return Ok(m);
        }
        if let Some(f) = self.recently_failed(issuer) {
            return Err(f);
        }
        let metadata = match self.discover(issuer).await {
            Ok(m) => m,
            Err(f) => {
                let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                // Bounded: a flood of made-up issuers can't grow it without end.
                if failed.len() > 10_000 {
                    failed.retain(|_, (at, _)| at.elapsed() < FAILED_DISCOVERY_TTL);
                }
                failed.insert(issuer.to_owned(), (Instant::now(), f.clone()));
                return Err(f);
            }
        };
        let metadata = Arc::new(metadata);
        let now = Instant::now();
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
            issuer.to_owned(),
            Cached {
                fetched: now,
                metadata: metadata.clone(),
            },
        );
        Ok(metadata)
    }

    fn recently_failed(&self, issuer: &str) -> Option<Failure> {
        let failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed
            .get(issuer)
            .filter(|(at, _)| at.elapsed() < FAILED_DISCOVERY_TTL)
            .map(|(_, f)| f.clone())
    }

    async fn discover(&self, issuer: &str) -> Result<CoreProviderMetadata, Failure> {
        self.http
            .check_url(issuer)
            .map_err(|e| Failure::new(Check::Provider, format!("issuer {issuer}: {e}")))?;
        let url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| Failure::new(Check::Provider, format!("issuer {issuer:?}: {e}")))?;
        CoreProviderMetadata::discover_async(url, &self.http)
            .await
            .map_err(|e| {
                Failure::new(
                    Check::Provider,
                    format!("discovery at {issuer}: {}", chain(&e)),
                )
            })
    }

    /// Fetches the provider's keys again, after a token signed with a key we don't know. (Only
    /// the provider's own token endpoint hands us tokens, so this can't be driven by strangers.)
    async fn refresh_keys(
        &self,
        issuer: &str,
    ) -> Result<Option<Arc<CoreProviderMetadata>>, Failure> {
        let current = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            match cache.get(issuer) {
                Some(c) => c.metadata.clone(),
                None => return Ok(None),
            }
        };
        let keys = CoreJsonWebKeySet::fetch_async(current.jwks_uri(), &self.http)
            .await
            .map_err(|e| {
                Failure::new(Check::Provider, format!("keys of {issuer}: {}", chain(&e)))
            })?;
        let metadata = Arc::new((*current).clone().set_jwks(keys));
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get_mut(issuer) {
            c.metadata = metadata.clone();
        }
        tracing::info!(%issuer, "fetched the provider's keys again (unknown key id)");
        Ok(Some(metadata))
    }

    fn client(
        metadata: &CoreProviderMetadata,
        p: &Provider<'_>,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Failure,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| Failure::new(Check::Provider, format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(p.client_id.to_owned()),
            Some(ClientSecret::new(p.client_secret.to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's authorization URL with a fresh state, nonce and PKCE
    /// challenge, and the values to keep until the callback.
    pub async fn start(
        &self,
        p: &Provider<'_>,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<Start, Failure> {
        let metadata = self.metadata(p.issuer).await?;
        let client = Self::client(&metadata, p, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, state, nonce) = request.url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier) and checks the id token.
    pub async fn finish(
        &self,
        p: &Provider<'_>,
        redirect_uri: &str,
        cb: Callback<'_>,
    ) -> Result<Identity, Failure> {
        let metadata = self.metadata(p.issuer).await?;
        if let Some(iss) = cb.iss
            && iss.trim_end_matches('/') != metadata.issuer().as_str().trim_end_matches('/')
        {
            return Err(Failure::new(
                Check::Issuer,
                format!("the callback names issuer {iss:?}, not {}", p.issuer),
            ));
        }
        let client = Self::client(&metadata, p, redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(cb.code.to_owned()))
            .map_err(|e| Failure::new(Check::TokenExchange, e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(cb.pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::new(Check::TokenExchange, token_error(&e)))?;
        let id_token = tokens.id_token().ok_or_else(|| {
            Failure::new(Check::TokenExchange, "the token answer holds no id_token")
        })?;
        let nonce = Nonce::new(cb.nonce.to_owned());
        let claims = match verify(&client, id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.refresh_keys(p.issuer).await? {
                Some(fresh) => {
                    let client = Self::client(&fresh, p, redirect_uri)?;
                    verify(&client, id_token, &nonce)
                }
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            },
            other => other,
        }
        .map_err(refusal)?;
        let email = claims
            .email()
            .map(|e| e.as_str().to_owned())
            .ok_or_else(|| Failure::new(Check::Email, "the id token has no email claim"))?;
        Ok(Identity {
            email_verified: claims.email_verified().unwrap_or(false),
            email,
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
        })
    }
}

fn verify<HA, HD, HI, HR, HT, HU>(
    client: &CoreClient<HA, HD, HI, HR, HT, HU>,
    token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<CoreIdTokenClaims, ClaimsVerificationError>
where
    HA: openidconnect::EndpointState,
    HD: openidconnect::EndpointState,
    HI: openidconnect::EndpointState,
    HR: openidconnect::EndpointState,
    HT: openidconnect::EndpointState,
    HU: openidconnect::EndpointState,
{
    let verifier = client
        .id_token_verifier()
        .set_time_fn(|| chrono::Utc::now() - CLOCK_SKEW);
    token.claims(&verifier, nonce).cloned()
}

/// Which check an id token failed.
fn refusal(e: ClaimsVerificationError) -> Failure {
    let check = match &e {
        ClaimsVerificationError::Expired(_) => Check::Validity,
        ClaimsVerificationError::InvalidAudience(_) => Check::Audience,
        ClaimsVerificationError::InvalidIssuer(_) => Check::Issuer,
        ClaimsVerificationError::InvalidNonce(_) => Check::Request,
        _ => Check::Signature,
    };
    let detail = match std::error::Error::source(&e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    };
    Failure::new(check, detail)
}

/// A token endpoint's refusal, without anything secret (the provider's error code and text).
fn token_error<E: std::error::Error>(
    e: &openidconnect::RequestTokenError<
        E,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> String {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => format!(
            "the provider refused the code: {}{}",
            r.error(),
            r.error_description()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        openidconnect::RequestTokenError::Request(e) => {
            format!("the provider could not be reached: {e}")
        }
        other => format!("the provider's token answer is not valid: {other}"),
    }
}

/// An error and its causes, one after another: openidconnect says only "Request failed" where
/// the guard's reason (which check refused) is the cause.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !out.contains(&more) {
            out.push_str(": ");
            out.push_str(&more);
        }
        source = s.source();
    }
    out
}
