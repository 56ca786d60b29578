//! The frame every page shares: the top bar (product, organization and a switcher when the person
//! belongs to several, their email, Sign out) and the left navigation, which lists only the
//! sections the person may use — asked of the permission table, never decided here.

use super::browser::{Browser, OrgPage, PageError};
use super::human::Zone;
use crate::AppState;
use switchboard_domain::access::Action;

/// One entry of the navigation.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// One group of the navigation ("Organization" → Teams, Users, Admins).
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

/// An organization the person can switch to.
pub struct OrgLink {
    pub href: String,
    pub name: String,
    pub current: bool,
}

/// What the layout shows around a page's content.
pub struct Shell {
    /// The page title ("Users · Acme Calls").
    pub title: String,
    pub email: String,
    pub csrf_token: String,
    pub flash: Option<String>,
    /// The organization's name as the top bar shows it.
    pub org_name: Option<String>,
    pub orgs: Vec<OrgLink>,
    pub nav: Vec<NavGroup>,
    /// The organization's time zone: every time on the page is shown in it.
    pub zone: Zone,
}

/// The page of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Onboarding,
    Teams,
    Users,
    Admins,
    Billing,
    Settings,
    Policies,
    Sso,
    Domains,
    ApiTokens,
    Analytics,
    Audit,
    /// A page of no section (an error).
    Elsewhere,
}

/// An organization's display name: its name, or "your new organization" before it has one.
pub fn org_display_name(name: Option<&str>) -> String {
    name.map_or_else(|| "Your new organization".to_owned(), str::to_owned)
}

impl Shell {
    /// The frame for a page outside any organization (the chooser).
    pub async fn plain(state: &AppState, b: &Browser, title: &str) -> Result<Self, PageError> {
        let me = state.services.me(&b.signed_in, &b.session).await?;
        Ok(Self {
            title: format!("{title} · Switchboard"),
            email: me.user.email,
            csrf_token: b.csrf_token.clone(),
            flash: b.flash.clone(),
            org_name: None,
            zone: Zone::default(),
            orgs: me
                .orgs
                .into_iter()
                .map(|o| OrgLink {
                    href: format!("/orgs/{}", o.id),
                    name: org_display_name(o.name.as_deref()),
                    current: false,
                })
                .collect(),
            nav: Vec::new(),
        })
    }

    /// The frame for a page of one organization, with the navigation its person may use.
    pub async fn for_org(
        state: &AppState,
        p: &OrgPage,
        title: &str,
        section: Section,
    ) -> Result<Self, PageError> {
        let me = state
            .services
            .me(&p.browser.signed_in, &p.browser.session)
            .await?;
        let org = p.who.org.as_str();
        let this = me.orgs.iter().find(|o| o.id == org);
        let org_name = org_display_name(this.and_then(|o| o.name.as_deref()));
        let established = this.is_some_and(|o| o.established);
        let zone = this.map_or_else(Zone::default, |o| Zone::named(&o.time_zone));
        let may = |a: Action<'_>| p.who.may(a).is_ok();
        let item = |s: Section, path: &str, label: &'static str| NavItem {
            href: format!("/orgs/{org}{path}"),
            label,
            current: s == section,
        };
        let mut nav = Vec::new();
        let mut organization = Vec::new();
        if !established && may(Action::CreateTeam) {
            organization.push(item(Section::Onboarding, "/onboarding", "Create team"));
        }
        if may(Action::ViewTeams) {
            organization.push(item(Section::Teams, "/teams", "Teams"));
        }
        if may(Action::ViewUsers) {
            organization.push(item(Section::Users, "/users", "Users"));
        }
        if may(Action::ViewOrgRoles) {
            organization.push(item(Section::Admins, "/admins", "Admins"));
        }
        if may(Action::ViewAnalytics) {
            organization.push(item(Section::Analytics, "/analytics", "Analytics"));
        }
        if !organization.is_empty() {
            nav.push(NavGroup {
                label: "Organization",
                items: organization,
            });
        }
        if may(Action::ViewBilling) {
            nav.push(NavGroup {
                label: "Billing",
                items: vec![item(Section::Billing, "/billing", "Billing")],
            });
        }
        let mut settings = Vec::new();
        if may(Action::ViewTeams) && established {
            settings.push(item(Section::Settings, "/settings", "Team settings"));
        }
        if may(Action::ViewPolicies) {
            settings.push(item(Section::Policies, "/settings/policies", "Policies"));
            settings.push(item(Section::Sso, "/settings/sso", "SSO"));
        }
        if may(Action::ViewDomains) {
            settings.push(item(Section::Domains, "/settings/domains", "Domains"));
        }
        if !settings.is_empty() {
            nav.push(NavGroup {
                label: "Settings",
                items: settings,
            });
        }
        if may(Action::ManageApiTokens) {
            nav.push(NavGroup {
                label: "Integrations",
                items: vec![item(Section::ApiTokens, "/api-tokens", "API tokens")],
            });
        }
        if may(Action::ViewAudit) {
            nav.push(NavGroup {
                label: "Audit log",
                items: vec![item(Section::Audit, "/audit", "Audit log")],
            });
        }
        Ok(Self {
            title: format!("{title} · {org_name}"),
            email: me.user.email,
            csrf_token: p.browser.csrf_token.clone(),
            flash: p.browser.flash.clone(),
            orgs: me
                .orgs
                .iter()
                .map(|o| OrgLink {
                    href: format!("/orgs/{}", o.id),
                    name: org_display_name(o.name.as_deref()),
                    current: o.id == org,
                })
                .collect(),
            org_name: Some(org_name),
            nav,
            zone,
        })
    }
}
