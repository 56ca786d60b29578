//! An SSO policy as a sign-in uses it: its provider, domains, teams and options, read in one go.

use crate::{ServiceError, ServiceResult, Services};
use switchboard_domain::ids::{OrgId, PolicyId, TeamId};
use switchboard_domain::settings::PolicyKind;
use switchboard_domain::sso::{SsoOptions, SsoProtocol};
use switchboard_sso::{Check, Failure};
use switchboard_store::Conn;
use switchboard_store::settings::{self as store, PolicyRow};

/// An SSO policy, loaded for a sign-in.
#[derive(Debug, Clone)]
pub(crate) struct SignInPolicy {
    pub org: OrgId,
    pub id: PolicyId,
    pub options: SsoOptions,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub domains: Vec<String>,
    pub teams: Vec<TeamId>,
}

impl SignInPolicy {
    pub fn protocol(&self) -> SsoProtocol {
        self.options.protocol
    }

    pub fn oidc(&self) -> switchboard_sso::oidc::Provider<'_> {
        switchboard_sso::oidc::Provider {
            issuer: &self.issuer,
            client_id: &self.client_id,
            client_secret: self.client_secret.as_deref().unwrap_or_default(),
        }
    }
}

/// The stored options of an SSO policy row (the defaults for a row from before they existed); a
/// stored value that doesn't decode is an error, never a policy silently reset to its defaults.
pub(crate) fn options_of(row: &PolicyRow) -> ServiceResult<SsoOptions> {
    Ok(match row.sso_json.as_deref() {
        Some(j) => switchboard_store::decode_json("SSO policy options", j)?,
        None => SsoOptions::default(),
    })
}

/// The allowed domains of an SSO policy row (none for a row from before they existed).
pub(crate) fn domains_of(row: &PolicyRow) -> ServiceResult<Vec<String>> {
    Ok(match row.allowed_domains_json.as_deref() {
        Some(d) => switchboard_store::decode_json("SSO policy domains", d)?,
        None => Vec::new(),
    })
}

impl Services {
    /// The policy a flow started with; gone meanwhile means the sign-in can't finish.
    pub(crate) async fn sign_in_policy(
        &self,
        c: &mut Conn,
        org: &OrgId,
        id: &PolicyId,
    ) -> ServiceResult<SignInPolicy> {
        let row = store::get_policy(c, org, id, PolicyKind::Sso)
            .await?
            .ok_or_else(|| {
                ServiceError::Sso(Failure::new(
                    Check::Provider,
                    "the SSO policy was deleted while the sign-in was at the provider",
                ))
            })?;
        let teams = store::policy_teams(c, org, PolicyKind::Sso)
            .await?
            .into_iter()
            .filter(|(p, _)| p == id)
            .map(|(_, t)| t)
            .collect();
        self.loaded(row, teams)
    }

    pub(crate) fn loaded(&self, row: PolicyRow, teams: Vec<TeamId>) -> ServiceResult<SignInPolicy> {
        Ok(SignInPolicy {
            options: options_of(&row)?,
            domains: domains_of(&row)?,
            client_secret: row
                .client_secret_enc
                .as_deref()
                .and_then(|s| self.secrets.open(s)),
            issuer: row.issuer.unwrap_or_default(),
            client_id: row.client_id.unwrap_or_default(),
            org: row.org_id,
            id: row.id,
            teams,
        })
    }
}
