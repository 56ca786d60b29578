//! Tests of [`super`] (access.rs), kept apart so the rules read without them.

use super::*;

fn team(n: u8) -> TeamId {
    TeamId::parse(&format!("team_{n:0>26}")).unwrap()
}

fn admin() -> Standing {
    Standing {
        org_role: Some(OrgRole::OrgAdmin),
        org_established: true,
        ..Default::default()
    }
}

fn analyst() -> Standing {
    Standing {
        org_role: Some(OrgRole::OrgAnalyst),
        org_established: true,
        ..Default::default()
    }
}

fn team_admin_of(t: TeamId, established: bool) -> Standing {
    Standing {
        team_admin_of: vec![t.clone()],
        member_of: vec![t.clone()],
        org_established: established,
        initial_team: Some(t),
        ..Default::default()
    }
}

fn token(read: bool, write: bool, scim: bool) -> Standing {
    Standing {
        token: Some(TokenScopes {
            read,
            write,
            admin: false,
            scim,
        }),
        org_established: true,
        ..Default::default()
    }
}

#[test]
fn tokens_act_by_scope_and_never_on_tokens_or_payment() {
    let t = team(1);
    let read = token(true, false, false);
    assert!(decide(&read, Action::ViewUsers).is_ok());
    assert_eq!(decide(&read, Action::CreateTeam), Err(NOT_YOUR_SCOPE));
    assert_eq!(decide(&read, Action::ViewAudit), Err(NOT_YOUR_SCOPE));
    assert_eq!(decide(&read, Action::ViewBilling), Err(NOT_YOUR_SCOPE));
    let write = token(false, true, false);
    assert!(decide(&write, Action::ManageBilling).is_ok());
    assert!(decide(&write, Action::ViewAudit).is_ok());
    assert!(decide(&write, Action::ManagePolicies).is_ok());
    // Who holds power is the admin scope's: a write token can't make anyone an Org Admin,
    // edit SSO or its break-glass list, claim domains or mint tokens.
    for a in [
        Action::ManageApiTokens,
        Action::ManageOrgRoles,
        Action::ManageSsoPolicies,
        Action::ManageDomains,
    ] {
        assert_eq!(decide(&write, a), Err(NEEDS_ADMIN_SCOPE), "{a:?}");
    }
    assert_eq!(
        decide(&write, Action::SetPaymentMethod),
        Err(NEVER_BY_TOKEN)
    );
    let admin_token = Standing {
        token: Some(TokenScopes {
            admin: true,
            ..TokenScopes::default()
        }),
        org_established: true,
        ..Default::default()
    };
    assert!(decide(&admin_token, Action::ManageOrgRoles).is_ok());
    assert!(decide(&admin_token, Action::ManageApiTokens).is_ok());
    assert!(decide(&admin_token, Action::ViewOrgRoles).is_ok());
    assert_eq!(
        decide(&admin_token, Action::ManageBilling),
        Err(NOT_YOUR_SCOPE),
        "admin alone is not write"
    );
    assert_eq!(
        decide(&admin_token, Action::SetPaymentMethod),
        Err(NEVER_BY_TOKEN)
    );
    let scim = token(false, false, true);
    assert!(decide(&scim, Action::ManageMembership(&t)).is_ok());
    assert!(decide(&scim, Action::RemoveFromOrg).is_ok());
    assert_eq!(decide(&scim, Action::ManageBilling), Err(NOT_YOUR_SCOPE));
    assert_eq!(decide(&scim, Action::ManagePolicies), Err(NOT_YOUR_SCOPE));
}

#[test]
fn a_token_covers_only_scopes_it_holds() {
    let of = |s: &[ApiScope]| TokenScopes::of(s);
    let write = of(&[ApiScope::Write]);
    assert!(of(&[ApiScope::Admin, ApiScope::Write]).covers(write));
    assert!(!write.covers(of(&[ApiScope::Admin])));
    assert!(!write.covers(of(&[ApiScope::Write, ApiScope::Scim])));
    assert!(write.covers(TokenScopes::default()));
}

#[test]
fn org_admin_may_do_everything() {
    let t = team(1);
    for a in [
        Action::ManageBilling,
        Action::ViewAudit,
        Action::ManageOrgRoles,
        Action::DeleteTeam(&t),
    ] {
        assert_eq!(decide(&admin(), a), Ok(Scope::Org));
    }
}

#[test]
fn org_analyst_reads_but_never_billing_audit_or_changes() {
    let t = team(1);
    assert!(decide(&analyst(), Action::ViewUsers).is_ok());
    assert!(decide(&analyst(), Action::ViewTeamSettings(&t)).is_ok());
    for a in [
        Action::ViewBilling,
        Action::ManageBilling,
        Action::ViewAudit,
        Action::ManageApiTokens,
        Action::ManageMembership(&t),
        Action::CreateTeam,
        Action::ManageOrgRoles,
        Action::EditTeamSettings(&t),
    ] {
        assert_eq!(decide(&analyst(), a), Err(NOT_YOUR_ROLE), "{a:?}");
    }
}

#[test]
fn team_admin_acts_on_own_teams_only() {
    let (mine, other) = (team(1), team(2));
    let who = team_admin_of(mine.clone(), true);
    assert_eq!(
        decide(&who, Action::ManageMembership(&mine)),
        Ok(Scope::Teams(vec![mine.clone()]))
    );
    assert_eq!(
        decide(&who, Action::ManageMembership(&other)),
        Err(NOT_YOUR_ROLE)
    );
    assert_eq!(
        decide(&who, Action::ViewUsers),
        Ok(Scope::Teams(vec![mine.clone()]))
    );
    for a in [
        Action::RemoveFromOrg,
        Action::ManageOrgRoles,
        Action::ViewBilling,
        Action::ViewPolicies,
        Action::ViewAudit,
        Action::DeleteTeam(&mine),
    ] {
        assert_eq!(decide(&who, a), Err(NOT_YOUR_ROLE), "{a:?}");
    }
}

#[test]
fn r2_only_initial_team_admin_creates_teams_before_establishment() {
    let t = team(1);
    assert!(decide(&team_admin_of(t.clone(), false), Action::CreateTeam).is_ok());
    assert_eq!(
        decide(&team_admin_of(t.clone(), true), Action::CreateTeam),
        Err(NOT_YOUR_ROLE)
    );
    let mut not_initial = team_admin_of(t, false);
    not_initial.initial_team = Some(team(9));
    assert_eq!(decide(&not_initial, Action::CreateTeam), Err(NOT_YOUR_ROLE));
}

#[test]
fn team_admins_never_change_org_role_holders_nor_remove_a_last_team() {
    let t = team(1);
    let who = team_admin_of(t.clone(), true);
    let plain = MembershipChange {
        target_org_role: None,
        removes_last_team: false,
    };
    assert!(decide(&who, Action::ChangeMembership(&t, plain)).is_ok());
    for role in [OrgRole::OrgAdmin, OrgRole::OrgAnalyst] {
        let holder = MembershipChange {
            target_org_role: Some(role),
            ..plain
        };
        assert_eq!(
            decide(&who, Action::ChangeMembership(&t, holder)),
            Err(ORG_ROLE_HOLDER)
        );
        assert!(decide(&admin(), Action::ChangeMembership(&t, holder)).is_ok());
    }
    let last = MembershipChange {
        removes_last_team: true,
        ..plain
    };
    assert_eq!(
        decide(&who, Action::ChangeMembership(&t, last)),
        Err(LAST_TEAM_IS_ORG_REMOVAL)
    );
    assert!(decide(&admin(), Action::ChangeMembership(&t, last)).is_ok());
    assert_eq!(
        decide(&who, Action::ChangeMembership(&team(2), plain)),
        Err(NOT_YOUR_ROLE)
    );
}

#[test]
fn team_admins_manage_devices_of_their_own_teams() {
    let (mine, other) = (team(1), team(2));
    let who = team_admin_of(mine.clone(), true);
    assert!(decide(&who, Action::ManageDevices(&mine)).is_ok());
    assert_eq!(
        decide(&who, Action::ManageDevices(&other)),
        Err(NOT_YOUR_ROLE)
    );
    assert_eq!(
        decide(&analyst(), Action::ManageDevices(&mine)),
        Err(NOT_YOUR_ROLE)
    );
}

#[test]
fn a_plain_member_may_do_nothing_here() {
    let t = team(1);
    let who = Standing {
        member_of: vec![t.clone()],
        org_established: true,
        ..Default::default()
    };
    for a in [
        Action::ViewOrg,
        Action::ViewTeams,
        Action::ViewUsers,
        Action::ViewTeam(&t),
        Action::CreateTeam,
    ] {
        assert_eq!(decide(&who, a), Err(NOT_YOUR_ROLE), "{a:?}");
    }
}
