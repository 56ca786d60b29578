//! Roles: a team role per membership (R5) and at most one org role per user per organization (R9).

use crate::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    Member,
    TeamAdmin,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::TeamAdmin => "team_admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "member" => Ok(Self::Member),
            "team_admin" => Ok(Self::TeamAdmin),
            _ => Err(DomainError::new(
                "team_role",
                format!("must be \"member\" or \"team_admin\", not {s:?}"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    OrgAdmin,
    OrgAnalyst,
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgAdmin => "org_admin",
            Self::OrgAnalyst => "org_analyst",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "org_admin" => Ok(Self::OrgAdmin),
            "org_analyst" => Ok(Self::OrgAnalyst),
            _ => Err(DomainError::new(
                "role",
                format!("must be \"org_admin\" or \"org_analyst\", not {s:?}"),
            )),
        }
    }
}

/// R11: whether a user has ever signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    NotSignedIn,
    SignedIn,
}

impl UserStatus {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "not_signed_in" => Ok(Self::NotSignedIn),
            "signed_in" => Ok(Self::SignedIn),
            _ => Err(DomainError::new(
                "status",
                format!("must be \"not_signed_in\" or \"signed_in\", not {s:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [TeamRole::Member, TeamRole::TeamAdmin] {
            assert_eq!(TeamRole::parse(r.as_str()).unwrap(), r);
        }
        for r in [OrgRole::OrgAdmin, OrgRole::OrgAnalyst] {
            assert_eq!(OrgRole::parse(r.as_str()).unwrap(), r);
        }
        assert!(OrgRole::parse("owner").is_err());
        assert!(TeamRole::parse("admin").is_err());
    }
}
