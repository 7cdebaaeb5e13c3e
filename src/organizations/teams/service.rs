//! The server side of the team endpoints: each checks the rules of SPEC §3
//! "Organizations" 9 and makes its change in one transaction with an audit
//! event.

use serde_json::json;

use super::{
    store::{self, TeamMemberRow, TeamRow},
    CreateTeamBody, RemoveTeamBody, SetActiveTeamBody, TeamMemberBody, TeamMemberView, TeamPerson,
    TeamView, TeamWithMembers, TeamsPage, UpdateTeamBody,
};
use crate::{
    accounts::sessions::Current,
    accounts::{required, StatusResponse},
    audit,
    config::{Config, TeamSettings},
    error::{ApiError, ApiResult, Code},
    organizations::{
        domain::TeamName,
        members::{allows, refused},
        service::{
            acting_member, acting_member_of, check_two_factor_of, membership_or, named_or_active,
            not_found,
        },
        store as organizations,
        store::MemberRow,
    },
    server::{
        clock, crypto,
        db::{is_unique_violation, Db, Tx},
    },
};

pub fn view(t: TeamRow) -> TeamView {
    TeamView {
        id: t.id,
        name: t.name,
        organization_id: t.organization_id,
        created_at: clock::rfc3339(t.created_at),
        updated_at: t.updated_at.map(clock::rfc3339),
    }
}

fn member_view(m: TeamMemberRow) -> TeamMemberView {
    TeamMemberView {
        id: m.id,
        team_id: m.team_id,
        user_id: m.user_id,
        created_at: clock::rfc3339(m.created_at),
    }
}

pub fn team_not_found() -> ApiError {
    ApiError::new(Code::TeamNotFound, "Team not found")
}

/// The id of the team `team_id` names, inside `tx`, when it is one of the
/// organization's and teams are on: what an invitation or a join link may
/// put people in. None when no team is named.
pub async fn of_organization(
    tx: &mut Tx,
    settings: &TeamSettings,
    organization_id: &str,
    team_id: Option<&str>,
) -> ApiResult<Option<String>> {
    let Some(id) = team_id.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let team = store::find(&mut **tx, id)
        .await?
        .filter(|t| t.organization_id == organization_id && settings.enabled)
        .ok_or_else(team_not_found)?;
    Ok(Some(team.id))
}

fn not_in_team() -> ApiError {
    ApiError::new(
        Code::UserIsNotAMemberOfTheTeam,
        "User is not a member of the team",
    )
}

fn name_taken() -> ApiError {
    ApiError::new(
        Code::TeamAlreadyExists,
        "This organization already has a team with that name.",
    )
}

fn access_refused() -> ApiError {
    ApiError::new(
        Code::YouAreNotAllowedToAccessThisOrganization,
        "You are not a member of this organization.",
    )
}

/// Teams answer only where they are on (`organizations.teams.enabled`).
fn enabled(config: &Config) -> ApiResult<&TeamSettings> {
    let teams = &config.organizations.teams;
    if teams.enabled {
        Ok(teams)
    } else {
        Err(ApiError::new(
            Code::TeamsDisabled,
            "Teams are turned off on this instance.",
        ))
    }
}

/// Inside `tx`: the organization `named` (else the active one), locked, and
/// the caller's membership of it.
async fn acting_in(
    tx: &mut Tx,
    me: &Current,
    named: Option<String>,
) -> ApiResult<(String, MemberRow)> {
    let key = named_or_active(me, named)?;
    let o = organizations::find(&mut **tx, &key)
        .await?
        .ok_or_else(not_found)?;
    organizations::lock(tx, &o.id).await?;
    let me = acting_member_of(tx, &o, &me.user, access_refused).await?;
    Ok((o.id, me))
}

/// Inside `tx`: the team, locked, and the caller's membership of its
/// organization.
async fn acting_on_team(
    tx: &mut Tx,
    me: &Current,
    team_id: Option<String>,
) -> ApiResult<(TeamRow, MemberRow)> {
    let id = required(&team_id, "teamId")?;
    let team = store::find(&mut **tx, id)
        .await?
        .ok_or_else(team_not_found)?;
    // The organization before the team (`organizations::store::lock`).
    organizations::lock(tx, &team.organization_id).await?;
    store::lock(tx, &team.id).await?;
    let member = acting_member(tx, &team.organization_id, &me.user, team_not_found).await?;
    Ok((team, member))
}

/// Creates a team in the organization; part of creating the organization
/// too (its first team), so it takes the transaction.
pub async fn insert(
    tx: &mut Tx,
    settings: &TeamSettings,
    organization_id: &str,
    name: &TeamName,
    first: bool,
) -> ApiResult<TeamRow> {
    if let Some(max) = settings.maximum_teams {
        if store::count(tx, organization_id).await? >= i64::from(max) {
            return Err(ApiError::new(
                Code::YouHaveReachedTheMaximumNumberOfTeams,
                format!("An organization has at most {max} teams on this instance."),
            ));
        }
    }
    let id = crypto::new_id();
    match store::insert(tx, &id, organization_id, name.as_str(), !first).await {
        Err(e) if is_unique_violation(&e) => return Err(name_taken()),
        other => other?,
    }
    store::find(&mut **tx, &id)
        .await?
        .ok_or_else(ApiError::internal)
}

pub async fn create(
    db: &Db,
    config: &Config,
    me: &Current,
    body: CreateTeamBody,
    ip: &str,
) -> ApiResult<TeamView> {
    let settings = enabled(config)?;
    let name = TeamName::parse(required(&body.name, "name")?)?;
    let mut tx = db.begin().await?;
    let (organization_id, actor) = acting_in(&mut tx, me, body.organization_id).await?;
    if !allows(&actor, "team", "create") {
        return Err(refused(
            Code::YouAreNotAllowedToCreateTeamsInThisOrganization,
            "creating teams",
        ));
    }
    let team = insert(&mut tx, settings, &organization_id, &name, false).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.team.create")
            .actor(&me.user.id)
            .target(&team.id)
            .after(json!({ "organizationId": organization_id, "name": team.name }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(view(team))
}

pub async fn list(
    db: &Db,
    config: &Config,
    me: &Current,
    named: Option<String>,
) -> ApiResult<Vec<TeamView>> {
    enabled(config)?;
    let key = named_or_active(me, named)?;
    let (o, _) = membership_or(db, &key, &me.user, access_refused).await?;
    Ok(store::for_organization(db, &o.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn update(
    db: &Db,
    config: &Config,
    me: &Current,
    body: UpdateTeamBody,
    ip: &str,
) -> ApiResult<TeamView> {
    enabled(config)?;
    let data = body
        .data
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `data` is required."))?;
    let mut tx = db.begin().await?;
    let (team, actor) = acting_on_team(&mut tx, me, body.team_id).await?;
    if !allows(&actor, "team", "update") {
        return Err(refused(
            Code::YouAreNotAllowedToUpdateThisTeam,
            "changing teams",
        ));
    }
    if let Some(name) = &data.name {
        let name = TeamName::parse(name)?;
        match store::rename(&mut tx, &team.id, name.as_str()).await {
            Err(e) if is_unique_violation(&e) => return Err(name_taken()),
            other => other?,
        }
        audit::record(
            &mut tx,
            audit::Event::new("organization.team.update")
                .actor(&me.user.id)
                .target(&team.id)
                .before(json!({ "name": team.name }))
                .after(json!({ "name": name.as_str() }))
                .ip(ip),
        )
        .await?;
    }
    let updated = store::find(&mut *tx, &team.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(view(updated))
}

pub async fn remove(
    db: &Db,
    config: &Config,
    me: &Current,
    body: RemoveTeamBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let settings = enabled(config)?;
    let mut tx = db.begin().await?;
    let (team, actor) = acting_on_team(&mut tx, me, body.team_id).await?;
    if body
        .organization_id
        .as_deref()
        .is_some_and(|o| o != team.organization_id)
    {
        return Err(team_not_found());
    }
    if !allows(&actor, "team", "delete") {
        return Err(refused(
            Code::YouAreNotAllowedToDeleteTeamsInThisOrganization,
            "removing teams",
        ));
    }
    // The organization's row is locked, so two removals of its last two
    // teams are taken one after the other.
    organizations::lock(&mut tx, &team.organization_id).await?;
    if !settings.allow_removing_all_teams
        && store::count(&mut tx, &team.organization_id).await? <= 1
    {
        return Err(ApiError::new(
            Code::UnableToRemoveLastTeam,
            "Unable to remove last team",
        ));
    }
    store::delete(&mut tx, &team.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.team.delete")
            .actor(&me.user.id)
            .target(&team.id)
            .before(json!({ "organizationId": team.organization_id, "name": team.name }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some("Team removed successfully.".into()),
    })
}

/// Adds `user_id` to `team` inside `tx`: they must be a member of its
/// organization, and the team's size limit holds (the team row is locked).
pub async fn join(
    tx: &mut Tx,
    settings: &TeamSettings,
    team: &TeamRow,
    user_id: &str,
) -> ApiResult<TeamMemberRow> {
    store::lock(tx, &team.id).await?;
    if organizations::membership_of(tx, &team.organization_id, user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            Code::UserIsNotAMemberOfTheOrganization,
            "User is not a member of the organization",
        ));
    }
    if let Some(existing) = store::member_of(tx, &team.id, user_id).await? {
        return Ok(existing);
    }
    if let Some(max) = settings.maximum_members_per_team {
        if store::count_members(tx, &team.id).await? >= i64::from(max) {
            return Err(ApiError::new(
                Code::TeamMemberLimitReached,
                format!("This team is full: a team has at most {max} members on this instance."),
            ));
        }
    }
    Ok(store::insert_member(tx, &team.id, user_id).await?)
}

pub async fn add_member(
    db: &Db,
    config: &Config,
    me: &Current,
    body: TeamMemberBody,
    ip: &str,
) -> ApiResult<TeamMemberView> {
    let settings = enabled(config)?;
    let user_id = required(&body.user_id, "userId")?.to_owned();
    let mut tx = db.begin().await?;
    let (team, actor) = acting_on_team(&mut tx, me, body.team_id).await?;
    if !allows(&actor, "team", "update") {
        return Err(refused(
            Code::YouAreNotAllowedToCreateANewTeamMember,
            "adding people to teams",
        ));
    }
    let row = join(&mut tx, settings, &team, &user_id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.team.member.add")
            .actor(&me.user.id)
            .target(&team.id)
            .after(json!({ "userId": user_id }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(member_view(row))
}

pub async fn remove_member(
    db: &Db,
    config: &Config,
    me: &Current,
    body: TeamMemberBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
    enabled(config)?;
    let user_id = required(&body.user_id, "userId")?.to_owned();
    let mut tx = db.begin().await?;
    let (team, actor) = acting_on_team(&mut tx, me, body.team_id).await?;
    // Anyone may leave a team; taking others out needs `team:update`.
    if user_id != me.user.id && !allows(&actor, "team", "update") {
        return Err(refused(
            Code::YouAreNotAllowedToRemoveATeamMember,
            "taking people out of teams",
        ));
    }
    if store::member_of(&mut tx, &team.id, &user_id)
        .await?
        .is_none()
    {
        return Err(not_in_team());
    }
    store::delete_member(&mut tx, &team.id, &user_id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("organization.team.member.remove")
            .actor(&me.user.id)
            .target(&team.id)
            .before(json!({ "userId": user_id }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some("Team member removed successfully.".into()),
    })
}

pub async fn set_active(
    db: &Db,
    config: &Config,
    me: &Current,
    body: SetActiveTeamBody,
) -> ApiResult<Option<TeamView>> {
    enabled(config)?;
    let Some(id) = body.team_id.filter(|t| !t.trim().is_empty()) else {
        store::set_active(db.pool(), &me.session.id, None).await?;
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    let team = store::find(&mut *tx, &id)
        .await?
        .ok_or_else(team_not_found)?;
    if store::member_of(&mut tx, &team.id, &me.user.id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            Code::NotAMemberOfThisTeam,
            "User is not a member of the team",
        ));
    }
    check_two_factor_of(&mut *tx, &team.organization_id, &me.user).await?;
    store::set_active(&mut *tx, &me.session.id, Some(&team)).await?;
    tx.commit().await?;
    Ok(Some(view(team)))
}

pub async fn list_members(
    db: &Db,
    config: &Config,
    me: &Current,
    team_id: Option<String>,
) -> ApiResult<Vec<TeamMemberView>> {
    enabled(config)?;
    let id = team_id
        .filter(|t| !t.trim().is_empty())
        .or_else(|| me.session.active_team_id.clone())
        .ok_or_else(|| {
            ApiError::new(
                Code::NoActiveTeam,
                "No team is active: name one, or set one active first.",
            )
        })?;
    // Reads only: no transaction, so it never waits for a writer.
    let team = store::find(db.pool(), &id)
        .await?
        .ok_or_else(team_not_found)?;
    let members = store::members(db.pool(), &team.id).await?;
    if !members.iter().any(|m| m.user_id == me.user.id) {
        return Err(not_in_team());
    }
    check_two_factor_of(db.pool(), &team.organization_id, &me.user).await?;
    Ok(members.into_iter().map(member_view).collect())
}

pub async fn list_for_user(db: &Db, config: &Config, me: &Current) -> ApiResult<Vec<TeamView>> {
    enabled(config)?;
    Ok(store::for_user(db, &me.user.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn page(
    db: &Db,
    config: &Config,
    me: &Current,
    organization_id: &str,
) -> ApiResult<TeamsPage> {
    let settings = enabled(config)?;
    let members = organizations::members(db, organization_id, None).await?;
    if !members.iter().any(|m| m.user_id == me.user.id) {
        return Err(ApiError::new(
            Code::NotFound,
            "There is no such organization.",
        ));
    }
    check_two_factor_of(db.pool(), organization_id, &me.user).await?;
    let in_teams = store::people_in_teams(db, organization_id).await?;
    let teams = store::for_organization(db, organization_id)
        .await?
        .into_iter()
        .map(|t| {
            let members = in_teams
                .iter()
                .filter(|(team, ..)| *team == t.id)
                .map(|(_, user_id, name, email)| TeamPerson {
                    user_id: user_id.clone(),
                    name: name.clone(),
                    email: email.clone(),
                })
                .collect();
            TeamWithMembers {
                team: view(t),
                members,
            }
        })
        .collect();
    Ok(TeamsPage {
        teams,
        people: members
            .into_iter()
            .map(|m| TeamPerson {
                user_id: m.user_id,
                name: m.user_name,
                email: m.user_email,
            })
            .collect(),
        active_team_id: me.session.active_team_id.clone(),
        allow_removing_all_teams: settings.allow_removing_all_teams,
    })
}
