//! SAML 2.0 Web SSO service provider, SP-initiated (HTTP-Redirect request, HTTP-POST response),
//! on `samael` over libxmlsec1 — no XML signature code of our own.
//!
//! samael verifies the signature against the IdP metadata's signing certificates and keeps only
//! what the signature covers, then checks issuer, audience, Recipient (our ACS URL),
//! `NotBefore`/`NotOnOrAfter` (a minute of skew) and `InResponseTo` against the pending request.
//! What it leaves to us, and this module adds: IdP metadata must carry a signing certificate
//! (without one samael would skip verification); only RSA/ECDSA-SHA256 signatures; a response
//! with more than one assertion is refused (a signature-wrapping attempt is an error, not
//! silently resolved); an `AudienceRestriction` must be present; a non-success status is named.
//! Replay of an assertion id is the caller's (it needs storage): [`Verified`] hands back the id
//! and how long to remember it.

use crate::Identity;
use crate::check::{Check, Failure};
use crate::outbound::Outbound;
use base64::Engine;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING};
use samael::service_provider::{Error as SpError, ServiceProvider, ServiceProviderBuilder};
use samael::traits::ToXml;

/// Tolerated clock difference with the IdP.
const CLOCK_SKEW_S: i64 = 60;
/// Largest SAMLResponse accepted (base64).
pub const MAX_RESPONSE: usize = 256 * 1024;

/// An IdP's metadata, checked on import.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
}

/// Our side of one policy: its entity id and ACS URL, and the IdP's metadata.
#[derive(Debug, Clone, Copy)]
pub struct Sp<'a> {
    pub entity_id: &'a str,
    pub acs_url: &'a str,
    pub idp_metadata_xml: &'a str,
    pub allow_idp_initiated: bool,
}

/// A response that passed every check samael and this module make.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: Identity,
    pub assertion_id: String,
    /// Until when the assertion could be presented (remember its id that long), epoch ms.
    pub valid_until_ms: i64,
}

/// Checks IdP metadata: an entity id, an HTTP-Redirect SSO endpoint and a signing certificate.
pub fn check_metadata(xml: &str) -> Result<IdpMetadata, String> {
    let sp = service_provider(&Sp {
        entity_id: "urn:check",
        acs_url: "urn:check",
        idp_metadata_xml: xml,
        allow_idp_initiated: false,
    })
    .map_err(|f| f.detail)?;
    let entity_id = sp
        .idp_metadata
        .entity_id
        .clone()
        .filter(|e| !e.is_empty())
        .ok_or("the metadata has no entityID")?;
    let sso_url = sp
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or("the metadata has no SingleSignOnService with the HTTP-Redirect binding")?;
    match sp.idp_signing_certs() {
        Ok(Some(certs)) if !certs.is_empty() => {}
        Ok(_) => return Err("the metadata has no signing certificate".into()),
        Err(e) => return Err(format!("the metadata's certificate can't be read: {e}")),
    }
    Ok(IdpMetadata { entity_id, sso_url })
}

/// Fetches IdP metadata from its URL through the outbound guard, and checks it. A refusal names
/// what went wrong in fixed words; nothing of what was fetched is quoted (it may be another
/// service's answer).
pub async fn fetch_metadata(
    outbound: &Outbound,
    url: &str,
) -> Result<(String, IdpMetadata), String> {
    let xml = outbound
        .get_text(url)
        .await
        .map_err(|e| format!("could not fetch {url}: {e}"))?;
    let md = check_metadata(&xml).map_err(|_| {
        "the document at that address is not SAML IdP metadata with an HTTP-Redirect sign-in service and a signing certificate".to_owned()
    })?;
    Ok((xml, md))
}

fn service_provider(sp: &Sp<'_>) -> Result<ServiceProvider, Failure> {
    let idp: EntityDescriptor = sp.idp_metadata_xml.parse().map_err(|e| {
        Failure::new(
            Check::Provider,
            format!("the IdP metadata can't be read: {e}"),
        )
    })?;
    ServiceProviderBuilder::default()
        .entity_id(sp.entity_id.to_owned())
        .metadata_url(sp.entity_id.to_owned())
        .acs_url(sp.acs_url.to_owned())
        .idp_metadata(idp)
        .allow_idp_initiated(sp.allow_idp_initiated)
        .max_clock_skew(chrono::TimeDelta::seconds(CLOCK_SKEW_S))
        .max_issue_delay(chrono::TimeDelta::seconds(5 * 60))
        .allowed_signature_algorithms(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha256,
        ])
        .build()
        .map_err(|e| Failure::new(Check::Provider, e.to_string()))
}

/// Our SP metadata: entity id and ACS URL (requests are not signed, so no certificate).
pub fn sp_metadata(sp: &Sp<'_>) -> Result<String, Failure> {
    let provider = service_provider(sp)?;
    let mut md = provider
        .metadata()
        .map_err(|e| Failure::new(Check::Provider, e.to_string()))?;
    for d in md.sp_sso_descriptors.iter_mut().flatten() {
        d.single_logout_services = None;
    }
    md.to_string()
        .map_err(|e| Failure::new(Check::Provider, e.to_string()))
}

/// An AuthnRequest for the HTTP-Redirect binding: the URL to send the browser to, and the
/// request's id (to match `InResponseTo`).
pub fn authn_request(sp: &Sp<'_>, relay_state: &str) -> Result<(String, String), Failure> {
    let provider = service_provider(sp)?;
    let sso = provider
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or_else(|| Failure::new(Check::Provider, "the IdP has no HTTP-Redirect endpoint"))?;
    let mut request = provider
        .make_authentication_request(&sso)
        .map_err(|e| Failure::new(Check::Provider, e.to_string()))?;
    // samael's default id has 32 random bits; ours has 128.
    request.id = format!("_{}", hex_id());
    let url = request
        .redirect(relay_state)
        .map_err(|e| Failure::new(Check::Provider, e.to_string()))?
        .ok_or_else(|| Failure::new(Check::Provider, "the request has no destination"))?;
    Ok((url.to_string(), request.id))
}

fn hex_id() -> String {
    use rand::Rng;
    rand::rng()
        .random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Verifies a POSTed `SAMLResponse`. `request_id` is the pending request it must answer (`None`
/// for an IdP-initiated response, accepted only when the policy allows it). CPU only: call it
/// off the async threads.
pub fn verify_response(
    sp: &Sp<'_>,
    encoded: &str,
    request_id: Option<&str>,
    email_attribute: Option<&str>,
) -> Result<Verified, Failure> {
    if encoded.len() > MAX_RESPONSE {
        return Err(Failure::new(
            Check::Signature,
            "the SAMLResponse is too large",
        ));
    }
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| Failure::new(Check::Signature, "the SAMLResponse is not base64"))?;
    let xml = String::from_utf8_lossy(&raw);
    if let Some(status) = failed_status(&xml) {
        return Err(Failure::new(
            Check::Provider,
            format!("the IdP answered with status {status}"),
        ));
    }
    let assertions = count_elements(&xml, "Assertion") + count_elements(&xml, "EncryptedAssertion");
    if assertions != 1 {
        return Err(Failure::new(
            Check::Signature,
            format!(
                "the response holds {assertions} assertions, not one (a signature-wrapping attempt?)"
            ),
        ));
    }
    let provider = service_provider(sp)?;
    let ids: Vec<&str> = request_id.into_iter().collect();
    let possible = if request_id.is_some() {
        Some(ids.as_slice())
    } else {
        None
    };
    let assertion = provider
        .parse_base64_response(&compact, possible)
        .map_err(|e| refusal(e.as_ref()))?;
    let conditions = assertion.conditions.as_ref();
    if conditions
        .and_then(|c| c.audience_restrictions.as_ref())
        .is_none_or(|a| a.is_empty())
    {
        return Err(Failure::new(
            Check::Audience,
            "the assertion names no audience",
        ));
    }
    let confirmation_until = assertion
        .subject
        .as_ref()
        .and_then(|s| s.subject_confirmations.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.subject_confirmation_data.as_ref())
        .filter_map(|d| d.not_on_or_after)
        .max();
    let valid_until = conditions
        .and_then(|c| c.not_on_or_after)
        .into_iter()
        .chain(confirmation_until)
        .max()
        .map_or(0, |t| t.timestamp_millis())
        + CLOCK_SKEW_S * 1000;
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_owned());
    let email = match email_attribute {
        Some(name) => assertion
            .attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| s.attributes.iter())
            .filter(|a| a.name.as_deref() == Some(name) || a.friendly_name.as_deref() == Some(name))
            .flat_map(|a| a.values.iter())
            .find_map(|v| v.value.clone()),
        None => name_id.clone(),
    }
    .filter(|e| e.contains('@'))
    .ok_or_else(|| {
        Failure::new(
            Check::Email,
            match email_attribute {
                Some(a) => format!("the assertion has no email in attribute {a:?}"),
                None => "the assertion's NameID is not an email".to_owned(),
            },
        )
    })?;
    Ok(Verified {
        identity: Identity {
            email,
            // The IdP asserts the address it authenticated; SAML has no separate "verified" flag.
            email_verified: true,
            issuer: assertion.issuer.value.clone().unwrap_or_default(),
            subject: name_id.unwrap_or_default(),
        },
        assertion_id: assertion.id,
        valid_until_ms: valid_until,
    })
}

/// Which check a samael error is.
fn refusal(e: &(dyn std::error::Error + 'static)) -> Failure {
    let check = match e.downcast_ref::<SpError>() {
        Some(SpError::AssertionConditionAudienceRestrictionFailed { .. }) => Check::Audience,
        Some(SpError::AssertionIssuerMismatch { .. } | SpError::ResponseIssuerMismatch { .. }) => {
            Check::Issuer
        }
        Some(
            SpError::AssertionRecipientMismatch { .. } | SpError::DestinationValidationError { .. },
        ) => Check::Recipient,
        Some(
            SpError::AssertionExpired { .. }
            | SpError::ResponseExpired { .. }
            | SpError::AssertionConditionExpired { .. }
            | SpError::AssertionConditionExpiredBefore { .. }
            | SpError::AssertionSubjectConfirmationExpired { .. }
            | SpError::AssertionSubjectConfirmationExpiredBefore { .. },
        ) => Check::Validity,
        Some(
            SpError::AssertionInResponseToInvalid { .. }
            | SpError::ResponseInResponseToInvalid { .. },
        ) => Check::Request,
        Some(SpError::ResponseBadStatusCode { .. }) => Check::Provider,
        _ => Check::Signature,
    };
    Failure::new(check, e.to_string())
}

/// Elements named `local` (any namespace prefix) in the document.
fn count_elements(xml: &str, local: &str) -> usize {
    xml.match_indices('<')
        .filter(|(i, _)| {
            let tag = &xml[i + 1..];
            let name_end = tag
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(tag.len());
            let name = &tag[..name_end];
            name.rsplit(':').next() == Some(local)
        })
        .count()
}

/// The top-level status code when it is not Success.
fn failed_status(xml: &str) -> Option<String> {
    let at = xml.find("StatusCode")?;
    let rest = &xml[at..];
    let value = rest.split("Value=\"").nth(1)?.split('"').next()?;
    (!value.ends_with(":Success")).then(|| value.rsplit(':').next().unwrap_or(value).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_counted_whatever_their_prefix() {
        let xml = r#"<samlp:Response><saml:Assertion ID="a"/><Assertion>x</Assertion><saml:AssertionIDRef/></samlp:Response>"#;
        assert_eq!(count_elements(xml, "Assertion"), 2);
        assert_eq!(count_elements(xml, "Response"), 1);
    }

    #[test]
    fn a_failed_status_is_named() {
        let bad = r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"/></samlp:Status>"#;
        assert_eq!(failed_status(bad).as_deref(), Some("Requester"));
        let ok = r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>"#;
        assert_eq!(failed_status(ok), None);
    }
}
