//! R33: a credential reaches an organization only if that organization accepts the authority
//! that issued it, for that person. A portal session or an app token records its authority: an
//! emailed code, or the SSO policy of one organization whose provider vouched. Through
//! organization X's provider it reaches X only. By code it reaches an organization by R24
//! evaluated *there*, from that organization's facts alone: not when all of the person's
//! email-login teams there are under SSO — unless they are an Org Admin or a break-glass email
//! of that organization, which is break-glass, audited there. Another tenant's teams, roles or
//! break-glass lists never open this one.
//!
//! Because the decision reads only the organization's own facts, an answer cached at the
//! organization's version (the entitlement) stays right until that organization changes.

use crate::ids::OrgId;

/// Who vouched for a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// An emailed code.
    EmailCode,
    /// The provider of an SSO policy of this organization.
    Sso(OrgId),
}

impl Authority {
    /// The authority of a session or app token as stored: the organization whose provider
    /// vouched, or none for a code.
    pub fn from_sso_org(org: Option<OrgId>) -> Self {
        org.map_or(Authority::EmailCode, Authority::Sso)
    }
}

/// What one organization knows of a person, for R24 there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFacts {
    /// For each of the person's email-login teams in this organization: whether an SSO policy
    /// covers it.
    pub email_teams_under_sso: Vec<bool>,
    /// The person is an Org Admin of this organization.
    pub org_admin: bool,
    /// An SSO policy of this organization names the person's email as break-glass.
    pub break_glass: bool,
}

/// How far a credential reaches into one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// As a member: the person's standing there applies.
    Full,
    /// By code past the organization's SSO, as its Org Admin or a break-glass email: allowed
    /// for the portal, audited there as break-glass; never for an app token.
    BreakGlass,
    /// Not at all: the organization answers as if the person weren't a member.
    None,
}

/// R33: how far a credential of `authority` reaches into `org`, given `org`'s facts.
pub fn reach(authority: &Authority, org: &OrgId, facts: &OrgFacts) -> Reach {
    match authority {
        Authority::Sso(vouching) if vouching == org => Reach::Full,
        Authority::Sso(_) => Reach::None,
        Authority::EmailCode => {
            let teams = &facts.email_teams_under_sso;
            if teams.is_empty() || teams.iter().any(|sso| !sso) {
                Reach::Full
            } else if facts.org_admin || facts.break_glass {
                Reach::BreakGlass
            } else {
                Reach::None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(teams: &[bool], org_admin: bool, break_glass: bool) -> OrgFacts {
        OrgFacts {
            email_teams_under_sso: teams.to_vec(),
            org_admin,
            break_glass,
        }
    }

    #[test]
    fn r33_a_provider_vouches_in_its_own_organization_only() {
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let sso_a = Authority::Sso(a.clone());
        assert_eq!(
            reach(&sso_a, &a, &facts(&[true], false, false)),
            Reach::Full
        );
        assert_eq!(reach(&sso_a, &b, &facts(&[false], true, true)), Reach::None);
    }

    #[test]
    fn r33_codes_follow_r24_in_each_organization() {
        let org = OrgId::generate();
        let code = Authority::EmailCode;
        assert_eq!(reach(&code, &org, &facts(&[], false, false)), Reach::Full);
        assert_eq!(
            reach(&code, &org, &facts(&[true, false], false, false)),
            Reach::Full
        );
        assert_eq!(
            reach(&code, &org, &facts(&[true], false, false)),
            Reach::None
        );
        assert_eq!(
            reach(&code, &org, &facts(&[true, true], true, false)),
            Reach::BreakGlass
        );
        assert_eq!(
            reach(&code, &org, &facts(&[true], false, true)),
            Reach::BreakGlass
        );
    }

    proptest! {
        /// Whatever another organization holds, a decision about this one reads only this
        /// one's facts: the function has nothing else to read, and equal facts decide alike.
        #[test]
        fn r33_reach_depends_on_this_organizations_facts_alone(
            teams in proptest::collection::vec(any::<bool>(), 0..5),
            admin in any::<bool>(),
            glass in any::<bool>(),
        ) {
            let (org, other) = (OrgId::generate(), OrgId::generate());
            let f = facts(&teams, admin, glass);
            prop_assert_eq!(
                reach(&Authority::EmailCode, &org, &f),
                reach(&Authority::EmailCode, &other, &f)
            );
            prop_assert_eq!(reach(&Authority::Sso(other.clone()), &org, &f), Reach::None);
        }
    }
}
