//! Teams inside an organization (SPEC §3 "Organizations" 9, §5), in Better
//! Auth's shapes under `/api/auth/organization/`: create-team, list-teams,
//! update-team, remove-team, add-team-member, remove-team-member,
//! set-active-team, list-team-members and list-user-teams.

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use crate::{accounts::StatusResponse, error::ApiError};

/// A team, as Better Auth answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub created_at: String,
    /// `null` until the team is renamed, for an organization's first team.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberView {
    pub id: String,
    pub team_id: String,
    pub user_id: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTeamBody {
    pub name: Option<String>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsQuery {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamChanges {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTeamBody {
    pub team_id: Option<String>,
    pub data: Option<TeamChanges>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveTeamBody {
    pub team_id: Option<String>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberBody {
    pub team_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetActiveTeamBody {
    /// `null` clears the session's active team.
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMembersQuery {
    /// Else the session's active team.
    pub team_id: Option<String>,
}

/// Someone in the teams tab: a member of the organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamPerson {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<TeamPerson>,
}

/// What `/orgs/{slug}/teams` shows: every team with its members, the
/// organization's members (to add to a team), and the viewer's active team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsPage {
    pub teams: Vec<TeamWithMembers>,
    pub people: Vec<TeamPerson>,
    pub active_team_id: Option<String>,
    /// Whether the last team may be removed.
    pub allow_removing_all_teams: bool,
}

/// For the organization's members; `NOT_FOUND` (404) for anyone else.
#[server(name = GetTeamsPage, prefix = "/api/auth", endpoint = "gatehouse/organization-teams", input = GetUrl)]
pub async fn teams_page(organization_id: String) -> Result<TeamsPage, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::page(cx.db(), cx.config(), &me, &organization_id).await
}

/// Needs `team:create`.
#[server(name = CreateTeam, prefix = "/api/auth", endpoint = "organization/create-team", input = leptos::server_fn::codec::Json)]
pub async fn create_team(#[server(flatten)] body: CreateTeamBody) -> Result<TeamView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::create(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// The organization's teams, for its members.
#[server(name = ListTeams, prefix = "/api/auth", endpoint = "organization/list-teams", input = GetUrl)]
pub async fn list_teams(#[server(flatten)] query: TeamsQuery) -> Result<Vec<TeamView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), cx.config(), &me, query.organization_id).await
}

/// Renames a team; needs `team:update`.
#[server(name = UpdateTeam, prefix = "/api/auth", endpoint = "organization/update-team", input = leptos::server_fn::codec::Json)]
pub async fn update_team(#[server(flatten)] body: UpdateTeamBody) -> Result<TeamView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::update(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// Needs `team:delete`; the last team stays unless
/// `organizations.teams.allow_removing_all_teams`.
#[server(name = RemoveTeam, prefix = "/api/auth", endpoint = "organization/remove-team", input = leptos::server_fn::codec::Json)]
pub async fn remove_team(
    #[server(flatten)] body: RemoveTeamBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::remove(cx.db(), cx.config(), &me, body.clone(), &ip))
        .await
}

/// Adds a member of the organization to a team; needs `team:update`.
#[server(name = AddTeamMember, prefix = "/api/auth", endpoint = "organization/add-team-member", input = leptos::server_fn::codec::Json)]
pub async fn add_team_member(
    #[server(flatten)] body: TeamMemberBody,
) -> Result<TeamMemberView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| {
        service::add_member(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await
}

/// Takes someone out of a team: `team:update`, or oneself.
#[server(name = RemoveTeamMember, prefix = "/api/auth", endpoint = "organization/remove-team-member", input = leptos::server_fn::codec::Json)]
pub async fn remove_team_member(
    #[server(flatten)] body: TeamMemberBody,
) -> Result<StatusResponse, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| {
        service::remove_member(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await
}

/// The session's active team (and its organization); `null` clears it.
#[server(name = SetActiveTeam, prefix = "/api/auth", endpoint = "organization/set-active-team", input = leptos::server_fn::codec::Json)]
pub async fn set_active_team(
    #[server(flatten)] body: SetActiveTeamBody,
) -> Result<Option<TeamView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::set_active(cx.db(), cx.config(), &me, body).await
}

/// A team's members, for the team's members.
#[server(name = ListTeamMembers, prefix = "/api/auth", endpoint = "organization/list-team-members", input = GetUrl)]
pub async fn list_team_members(
    #[server(flatten)] query: TeamMembersQuery,
) -> Result<Vec<TeamMemberView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list_members(cx.db(), cx.config(), &me, query.team_id).await
}

/// The teams the signed-in person is in, across organizations.
#[server(name = ListUserTeams, prefix = "/api/auth", endpoint = "organization/list-user-teams", input = GetUrl)]
pub async fn list_user_teams() -> Result<Vec<TeamView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list_for_user(cx.db(), cx.config(), &me).await
}
