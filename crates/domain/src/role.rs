//! Roles: a team role per membership (R5) and at most one org role per user per organization (R9).

crate::text_enum!(
    /// A membership's role in its team (R5).
    TeamRole, "team_role", { Member = "member", TeamAdmin = "team_admin" });

crate::text_enum!(
    /// A user's role in an organization, at most one (R9).
    OrgRole, "role", { OrgAdmin = "org_admin", OrgAnalyst = "org_analyst" });

crate::text_enum!(
    /// R11: whether a user has ever signed in.
    UserStatus, "status", { NotSignedIn = "not_signed_in", SignedIn = "signed_in" });

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

/// Whether a person is in an organization, and with which org role there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not a user of the organization.
    Outside,
    /// A user of it, with an org role or none.
    Member(Option<OrgRole>),
}

impl Presence {
    /// The org role of a member; `None` outside or without one.
    pub fn org_role(self) -> Option<OrgRole> {
        match self {
            Presence::Outside => None,
            Presence::Member(role) => role,
        }
    }

    pub fn is_member(self) -> bool {
        self != Presence::Outside
    }
}
