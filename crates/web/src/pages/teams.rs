//! Teams in the portal: the organization's home, onboarding (the initial team's admin creates
//! the second team and so establishes the organization, R2), the teams table with **Create team**,
//! and a team's page (edit, delete when empty). Each form posts the JSON API's field names.

use super::browser::{
    FieldError, FormData, FormError, OrgPage, PageAt, PageForm, PageResult, done, page,
};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_domain::team::LoginType;
use switchboard_service::ServiceError;
use switchboard_service::apps::{DeviceView, EnrollmentKeyView};
use switchboard_service::teams::{CreateTeam, UpdateTeam};
use switchboard_service::views::TeamView;

/// `/orgs/{org}`: onboarding before the organization is established, else its users or teams.
pub async fn org_home(State(state): State<AppState>, p: OrgPage) -> PageResult {
    let org = state.services.get_org(&p.who).await?;
    let base = format!("/orgs/{}", p.who.org);
    let to = if !org.established && p.who.may(Action::CreateTeam).is_ok() {
        format!("{base}/onboarding")
    } else if p.who.may(Action::ViewUsers).is_ok() {
        format!("{base}/users")
    } else {
        format!("{base}/teams")
    };
    Ok(Redirect::to(&to).into_response())
}

/// The **Create team** form's fields as typed, so a refused form comes back filled in.
#[derive(Default)]
pub struct TeamForm {
    pub organization_name: String,
    pub name: String,
    pub login_type: String,
    pub description: String,
}

impl TeamForm {
    fn from_form(f: &FormData) -> Self {
        Self {
            organization_name: f.get("organization_name").to_owned(),
            name: f.get("name").to_owned(),
            login_type: f.get("login_type").to_owned(),
            description: f.get("description").to_owned(),
        }
    }

    fn request(&self, with_org_name: bool) -> Result<CreateTeam, ServiceError> {
        let login_type = LoginType::parse(&self.login_type).map_err(|_| {
            ServiceError::invalid(
                "login_type",
                "choose how the team's agents sign in: Email-based or Device-based",
            )
        })?;
        Ok(CreateTeam {
            name: self.name.clone(),
            login_type,
            description: Some(self.description.trim().to_owned()).filter(|d| !d.is_empty()),
            organization_name: with_org_name.then(|| self.organization_name.clone()),
        })
    }
}

#[derive(askama::Template)]
#[template(path = "portal/onboarding.html")]
struct OnboardingPage {
    shell: Shell,
    /// Where the form posts.
    action: String,
    teams: Vec<TeamView>,
    form: TeamForm,
    error: Option<FormError>,
}

async fn onboarding_page(
    state: &AppState,
    p: &OrgPage,
    form: TeamForm,
    error: Option<FormError>,
) -> PageResult {
    let shell = Shell::for_org(state, p, "Create your organization", Section::Onboarding).await?;
    let teams = state.services.list_teams(&p.who).await?;
    Ok(page(
        &p.browser,
        &OnboardingPage {
            shell,
            action: format!("/orgs/{}/onboarding", p.who.org),
            teams,
            form,
            error,
        },
    ))
}

/// `/orgs/{org}/onboarding`: the initial team, and the form that establishes the organization.
pub async fn onboarding(State(state): State<AppState>, p: OrgPage) -> PageResult {
    let org = state.services.get_org(&p.who).await?;
    if org.established {
        return Ok(Redirect::to(&format!("/orgs/{}/teams", p.who.org)).into_response());
    }
    p.who.may(Action::CreateTeam)?;
    onboarding_page(&state, &p, TeamForm::default(), None).await
}

pub async fn onboard(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let form = TeamForm::from_form(&f);
    let created = match form.request(true) {
        Ok(r) => state.services.create_team(&p.who, &req, r).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(team) => Ok(done(
            &format!("/orgs/{}/teams", p.who.org),
            &format!(
                "Set up your organization {} and created team {}. You are its Org Admin.",
                form.organization_name.trim(),
                team.name
            ),
        )),
        Err(e) => onboarding_page(&state, &p, form, Some(FormError::from_service(e)?)).await,
    }
}

#[derive(askama::Template)]
#[template(path = "portal/teams.html")]
struct TeamsPage {
    shell: Shell,
    org: String,
    teams: Vec<TeamView>,
    may_create: bool,
    form: TeamForm,
    error: Option<FormError>,
}

async fn teams_page(
    state: &AppState,
    p: &OrgPage,
    form: TeamForm,
    error: Option<FormError>,
) -> PageResult {
    let teams = state.services.list_teams(&p.who).await?;
    let shell = Shell::for_org(state, p, "Teams", Section::Teams).await?;
    let org = state.services.get_org(&p.who).await?;
    Ok(page(
        &p.browser,
        &TeamsPage {
            shell,
            org: p.who.org.to_string(),
            teams,
            may_create: org.established && p.who.may(Action::CreateTeam).is_ok(),
            form,
            error,
        },
    ))
}

/// `/orgs/{org}/teams`: every team the person may see, and **Create team**.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    teams_page(&state, &p, TeamForm::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let form = TeamForm::from_form(&f);
    let created = match form.request(false) {
        Ok(r) => state.services.create_team(&p.who, &req, r).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(team) => {
            let note = if team.subscription_id.is_none() {
                " It is in no subscription yet, so its members can't use the app: add it to one."
            } else {
                ""
            };
            Ok(done(
                &format!("/orgs/{}/teams/{}", p.who.org, team.id),
                &format!("Created team {}.{note}", team.name),
            ))
        }
        Err(e) => teams_page(&state, &p, form, Some(FormError::from_service(e)?)).await,
    }
}

#[derive(askama::Template)]
#[template(path = "portal/team.html")]
struct TeamPage {
    shell: Shell,
    org: String,
    team: TeamView,
    may_edit: bool,
    may_delete: bool,
    /// A device team's devices and enrollment keys, for those who manage them.
    devices: Option<(Vec<DeviceView>, Vec<EnrollmentKeyView>)>,
    /// A key just created: shown this once.
    new_key: Option<String>,
    /// For a team in no subscription: where an Org Admin adds it to one.
    add_to_subscription: Option<String>,
    name: String,
    description: String,
    error: Option<FormError>,
}

pub(super) async fn team_page(
    state: &AppState,
    p: &OrgPage,
    team_id: &TeamId,
    edited: Option<(String, String)>,
    error: Option<FormError>,
) -> PageResult {
    team_page_with_key(state, p, team_id, edited, error, None).await
}

pub(super) async fn team_page_with_key(
    state: &AppState,
    p: &OrgPage,
    team_id: &TeamId,
    edited: Option<(String, String)>,
    error: Option<FormError>,
    new_key: Option<String>,
) -> PageResult {
    let team = state.services.get_team(&p.who, team_id).await?;
    let shell = Shell::for_org(state, p, &team.name, Section::Teams).await?;
    let id = team_id.clone();
    let devices =
        if team.login_type == LoginType::Device && p.who.may(Action::ManageDevices(&id)).is_ok() {
            Some((
                state.services.list_devices(&p.who, team_id).await?,
                state.services.list_enrollment_keys(&p.who, team_id).await?,
            ))
        } else {
            None
        };
    let (name, description) = edited.unwrap_or_else(|| {
        (
            team.name.clone(),
            team.description.clone().unwrap_or_default(),
        )
    });
    Ok(page(
        &p.browser,
        &TeamPage {
            shell,
            org: p.who.org.to_string(),
            may_edit: p.who.may(Action::EditTeam(&id)).is_ok(),
            may_delete: p.who.may(Action::DeleteTeam(&id)).is_ok() && !team.is_initial_team,
            devices,
            new_key,
            add_to_subscription: if team.subscription_id.is_none() {
                super::billing::add_team_link(state, p).await
            } else {
                None
            },
            team,
            name,
            description,
            error,
        },
    ))
}

/// `/orgs/{org}/teams/{team}`: the team, its edit form, and delete when it is empty.
pub async fn detail(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(team): PageAt<TeamId>,
) -> PageResult {
    team_page(&state, &p, &team, None, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(team): PageAt<TeamId>,
    PageForm(f): PageForm,
) -> PageResult {
    let (name, description) = (f.get("name").to_owned(), f.get("description").to_owned());
    let update = UpdateTeam {
        name: Some(name.clone()),
        description: Some(description.trim().to_owned()),
    };
    match state
        .services
        .update_team(&p.who, &req, &team, update)
        .await
    {
        Ok(t) => Ok(done(
            &format!("/orgs/{}/teams/{}", p.who.org, t.id),
            &format!("Saved team {}.", t.name),
        )),
        Err(e) => {
            let error = Some(FormError::from_service(e)?);
            team_page(&state, &p, &team, Some((name, description)), error).await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(team): PageAt<TeamId>,
    PageForm(_): PageForm,
) -> PageResult {
    let name = state.services.get_team(&p.who, &team).await?.name;
    match state.services.delete_team(&p.who, &req, &team).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/teams", p.who.org),
            &format!("Deleted team {name}."),
        )),
        Err(e) => team_page(&state, &p, &team, None, Some(FormError::from_service(e)?)).await,
    }
}
