//! The server side of admin enrollment and user management (SPEC §3
//! "Accounts" 1): granting a role goes up to one's own rank, as invitations
//! do; acting on an existing account needs a rank strictly above it. Each
//! takes the actor and the client's address from its server function.

use serde_json::json;

use super::{
    store, CompleteEnrollmentBody, CreateUserBody, CreateUserResponse, EnrollmentInfo,
    HasPermissionBody, HasPermissionResponse, ListedUser, SetRoleBody, UserIdBody, UserList,
    PAGE_SIZE,
};
use crate::{
    access::{
        ranks::{self, GrantRefusal},
        roles::Permission,
    },
    accounts::{
        create::{create_account, NewAccount},
        domain::{Email, Password, PersonName},
        removal::is_last_owner,
        required, sessions,
        sign_in::Client,
        store::{self as accounts, BanState, UserRow},
        SignInResponse, StatusResponse,
    },
    audit,
    config::Config,
    email::{self, outbox, templates, Cause, Kind},
    error::{ApiError, ApiResult, Code},
    server::{
        clock, crypto,
        db::{Db, Tx},
    },
};

fn token_invalid() -> ApiError {
    ApiError::new(
        Code::EnrollmentTokenNotFoundOrExpired,
        "This enrollment link is not valid any more. Ask your admin to send a new one.",
    )
}

fn already_has_password() -> ApiError {
    ApiError::new(
        Code::UserAlreadyHasPassword,
        "This account already has a password. Sign in, or reset the password if it is forgotten.",
    )
}

fn user_not_found() -> ApiError {
    ApiError::new(Code::UserNotFound, "There is no such user.")
}

/// `actor` may give `role` (and, for changes, may touch someone holding it).
fn may_assign(config: &Config, actor: &str, role: &str, permission: Permission) -> ApiResult<()> {
    ranks::may_assign(
        &config.roles,
        config.invitations.rank_rule,
        actor,
        role,
        permission,
    )
    .map_err(|refusal| match refusal {
        GrantRefusal::UnknownRole(_) => refusal.into(),
        GrantRefusal::NoPermission => ApiError::new(
            Code::Forbidden,
            format!("Your role ({actor}) does not allow this."),
        ),
        GrantRefusal::AboveInviter { .. } => ApiError::new(
            Code::InsufficientPermissions,
            format!("As {actor}, you cannot manage the role {role}."),
        ),
    })
}

/// A fresh enrollment token for `user`, retiring older ones, and its email,
/// inside the caller's transaction.
async fn issue_enrollment(
    tx: &mut Tx,
    config: &Config,
    user: &UserRow,
    admin: &UserRow,
) -> ApiResult<()> {
    store::retire_enrollments(tx, &user.id).await?;
    outbox::forget_secret(
        tx,
        &[Kind::Enrollment],
        &user.id,
        "A newer enrollment link was sent; this one no longer works.",
    )
    .await?;
    let token = crypto::new_token();
    let expires_at = clock::now_ms() + clock::ms(config.enrollment_ttl);
    store::insert_enrollment(
        tx,
        &crypto::hash_token(&token),
        &user.id,
        expires_at,
        &admin.id,
    )
    .await?;
    let mut link = config
        .base_url
        .join("/enroll")
        .map_err(|_| ApiError::internal())?;
    link.query_pairs_mut().append_pair("token", &token);
    let message = templates::enrollment(templates::Enrollment {
        to: &user.email,
        name: &user.name,
        role: &user.role,
        link: link.as_str(),
        token: &token,
        expires_in: &templates::spoken(config.enrollment_ttl),
        user_id: &user.id,
    });
    email::enqueue(tx, config, &message.expiring_at(expires_at), Cause::Admin).await?;
    Ok(())
}

/// `admin/create-user`: an account without a password, and its
/// enrollment email; the caller wakes the sender.
pub async fn create_user(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: CreateUserBody,
    ip: &str,
) -> ApiResult<CreateUserResponse> {
    if body.password.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(ApiError::new(
            Code::PasswordNotAllowed,
            "An admin never sets a password: the person chooses theirs from the enrollment email.",
        ));
    }
    let email = Email::parse(required(&body.email, "email")?)?;
    let name = PersonName::parse(required(&body.name, "name")?)?;
    let role = required(&body.role, "role")?.trim().to_owned();
    may_assign(config, &me.role, &role, Permission::UserCreate)?;

    let mut tx = db.begin().await?;
    let user = create_account(
        &mut tx,
        NewAccount {
            email: email.as_str(),
            name: name.as_str(),
            role: &role,
            email_verified: false,
            password_hash: None,
            created_by: Some(&me.id),
            ip,
        },
    )
    .await
    .map_err(|e| {
        e.or_taken(|| {
            ApiError::new(
                Code::UserAlreadyExists,
                format!("There is already an account for {}.", email.as_str()),
            )
        })
    })?;
    issue_enrollment(&mut tx, config, &user, me).await?;
    tx.commit().await?;
    Ok(CreateUserResponse { user: user.view() })
}

pub async fn enrollment_info(db: &Db, token: &str) -> ApiResult<EnrollmentInfo> {
    let user = store::enrollment_user(db, &crypto::hash_token(token.trim()), clock::now_ms())
        .await?
        .ok_or_else(token_invalid)?;
    Ok(EnrollmentInfo {
        email: user.email,
        name: user.name,
    })
}

/// Sets the password, verifies the email, spends the token and signs the
/// person in: one transaction, so a failure anywhere leaves the token live
/// and a retry starts from the beginning. The user comes from the token,
/// never from the request.
pub async fn complete_enrollment(
    db: &Db,
    config: &Config,
    body: CompleteEnrollmentBody,
    client: Client<'_>,
) -> ApiResult<SignInResponse> {
    let token = required(&body.token, "token")?.trim().to_owned();
    let password = Password::parse(required(&body.password, "password")?)?;
    let phc = crypto::hash_password(password.into_secret()).await?;

    let mut tx = db.begin().await?;
    let user_id = store::consume_enrollment(&mut tx, &crypto::hash_token(&token), clock::now_ms())
        .await?
        .ok_or_else(token_invalid)?;
    let user = accounts::find_by_id(&mut tx, &user_id)
        .await?
        .ok_or_else(token_invalid)?;
    if user.disabled {
        return Err(crate::accounts::sign_in::banned(&user));
    }
    if !accounts::insert_first_password(&mut tx, &user.id, &phc).await? {
        return Err(already_has_password());
    }
    let newly_verified = accounts::mark_email_verified(&mut tx, &user.id).await?;
    store::retire_enrollments(&mut tx, &user.id).await?;
    outbox::forget_secret(
        &mut tx,
        &[Kind::Enrollment],
        &user.id,
        "The enrollment was completed with another link.",
    )
    .await?;
    let (session_token, _) =
        sessions::create(&mut tx, config, &user.id, client.ip, client.user_agent).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.enrollment-completed")
            .actor(&user.id)
            .target(&user.id)
            .ip(client.ip),
    )
    .await?;
    if newly_verified {
        crate::accounts::email_verified(&mut tx, config, &user.id).await?;
    }
    tx.commit().await?;
    Ok(SignInResponse {
        redirect: false,
        token: session_token.into(),
        user: UserRow {
            email_verified: true,
            ..user
        }
        .view(),
    })
}

/// The account named by a body's `userId`.
pub(super) async fn target(tx: &mut Tx, user_id: &Option<String>) -> ApiResult<UserRow> {
    let id = required(user_id, "userId")?;
    accounts::find_by_id(tx, id)
        .await?
        .ok_or_else(user_not_found)
}

/// The actor as they are inside `tx` (their role may have changed since
/// the session was read), refused unless they may act on `user`.
pub(super) async fn acting_on(
    tx: &mut Tx,
    config: &Config,
    me: &UserRow,
    user: &UserRow,
    permission: Permission,
) -> ApiResult<UserRow> {
    let me = accounts::find_by_id(tx, &me.id)
        .await?
        .filter(|m| !m.disabled)
        .ok_or_else(ApiError::unauthenticated)?;
    if !config.roles.allows(&me.role, permission) {
        return Err(ApiError::new(
            Code::Forbidden,
            format!("Your role ({}) does not allow this.", me.role),
        ));
    }
    if !ranks::may_act_on(&config.roles, &me.role, &user.role) {
        return Err(ApiError::new(
            Code::InsufficientPermissions,
            format!(
                "As {}, you cannot manage an account whose role is {}: that needs a higher role.",
                me.role, user.role
            ),
        ));
    }
    Ok(me)
}

pub async fn resend_enrollment(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: UserIdBody,
    ip: &str,
) -> ApiResult<StatusResponse> {
    let mut tx = db.begin().await?;
    let user = target(&mut tx, &body.user_id).await?;
    let me = acting_on(&mut tx, config, me, &user, Permission::UserCreate).await?;
    if store::has_password(&mut tx, &user.id).await? {
        return Err(already_has_password());
    }
    issue_enrollment(&mut tx, config, &user, &me).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.enrollment-resent")
            .actor(&me.id)
            .target(&user.id)
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusResponse {
        status: true,
        message: Some(format!(
            "A new enrollment link is on its way to {}; the old one no longer works.",
            user.email
        )),
    })
}

pub async fn set_role(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: SetRoleBody,
    ip: &str,
) -> ApiResult<CreateUserResponse> {
    let role = required(&body.role, "role")?.trim().to_owned();
    let mut tx = db.begin().await?;
    // The owners are locked first (PostgreSQL), so that the reads below see
    // any change another owner's request just made.
    let top = &config.roles.highest().name;
    let owners = accounts::lock_holders_of(&mut tx, top).await?;
    let user = target(&mut tx, &body.user_id).await?;
    // Act on the person as they are (strictly above them), and grant the
    // new role as an invitation would (up to one's own).
    let me = acting_on(&mut tx, config, me, &user, Permission::UserSetRole).await?;
    may_assign(config, &me.role, &role, Permission::UserSetRole)?;
    if &role != top && is_last_owner(config, &owners, &user) {
        return Err(ApiError::new(
            Code::CannotDemoteLastOwner,
            format!(
                "{} is the last {top}; make someone else {top} first.",
                user.name
            ),
        ));
    }
    if !accounts::change_role(&mut tx, &user.id, &user.role, &role).await? {
        return Err(crate::access::roles::changed_meanwhile());
    }
    // Acting as someone was the old role's to allow.
    sessions::end_impersonations_by(&mut tx, &user.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.set-role")
            .actor(&me.id)
            .target(&user.id)
            .before(json!({ "role": user.role }))
            .after(json!({ "role": role }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(CreateUserResponse {
        user: UserRow { role, ..user }.view(),
    })
}

/// What an admin does to an account's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    Disable,
    Enable,
    /// Better Auth's words for the same, with a reason and an end.
    Ban,
    Unban,
}

impl Switch {
    fn action(self) -> &'static str {
        match self {
            Switch::Disable => "user.disable",
            Switch::Enable => "user.enable",
            Switch::Ban => "user.ban",
            Switch::Unban => "user.unban",
        }
    }

    fn disables(self) -> bool {
        matches!(self, Switch::Disable | Switch::Ban)
    }
}

/// Disables or bans (ending every session at once), or enables an
/// account. `ban` is what a ban records (reason, end); nothing for the
/// others.
pub async fn switch(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: UserIdBody,
    switch: Switch,
    ban: BanState,
    ip: &str,
) -> ApiResult<CreateUserResponse> {
    let mut tx = db.begin().await?;
    let owners = accounts::lock_holders_of(&mut tx, &config.roles.highest().name).await?;
    let user = target(&mut tx, &body.user_id).await?;
    if user.id == me.id {
        return Err(match switch {
            Switch::Ban | Switch::Unban => {
                ApiError::new(Code::YouCannotBanYourself, "You cannot ban yourself.")
            }
            _ => ApiError::new(
                Code::CannotDisableYourself,
                "You cannot disable or enable your own account.",
            ),
        });
    }
    let me = acting_on(&mut tx, config, me, &user, Permission::UserDisable).await?;
    let top = &config.roles.highest().name;
    if switch.disables() && is_last_owner(config, &owners, &user) {
        return Err(ApiError::new(
            Code::CannotDisableLastOwner,
            format!("{} is the last {top} and cannot be disabled.", user.name),
        ));
    }
    let state = BanState {
        disabled: switch.disables(),
        ..ban
    };
    accounts::set_ban(&mut tx, &user.id, &state).await?;
    let ended = if state.disabled {
        sessions::delete_all_for_user(&mut tx, &user.id).await?
    } else {
        0
    };
    let mut event = audit::Event::new(switch.action())
        .actor(&me.id)
        .target(&user.id)
        .ip(ip);
    if switch == Switch::Ban {
        event = event.after(json!({
            "banReason": state.reason,
            "banExpires": state.expires.map(clock::rfc3339),
            "sessionsEnded": ended,
        }));
    }
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(CreateUserResponse {
        user: UserRow {
            disabled: state.disabled,
            ban_reason: state.reason,
            ban_expires: state.expires,
            ..user
        }
        .view(),
    })
}

pub async fn list_users(
    db: &Db,
    config: &Config,
    me: &UserRow,
    search: Option<&str>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> ApiResult<UserList> {
    let limit = i64::from(limit.unwrap_or(PAGE_SIZE).clamp(1, 100));
    let offset = i64::from(offset.unwrap_or(0));
    let (rows, total) = store::list(db, search.unwrap_or_default(), limit, offset).await?;
    Ok(UserList {
        users: rows
            .into_iter()
            .map(|(user, enrollment_pending)| ListedUser {
                manageable: ranks::may_act_on(&config.roles, &me.role, &user.role),
                user: user.view(),
                enrollment_pending,
            })
            .collect(),
        total,
        limit,
        offset,
        assignable_roles: config
            .roles
            .iter()
            .filter(|r| may_assign(config, &me.role, &r.name, Permission::UserSetRole).is_ok())
            .map(|r| r.name.clone())
            .collect(),
    })
}

/// Whether the caller's role grants every listed permission (Better Auth's
/// `admin/has-permission`). Unknown statements are simply not granted.
pub fn has_permission(
    config: &Config,
    me: &UserRow,
    body: HasPermissionBody,
) -> ApiResult<HasPermissionResponse> {
    let asked = body
        .permissions
        .or(body.permission)
        .ok_or_else(|| ApiError::new(Code::MissingField, "The field `permissions` is required."))?;
    let request = crate::access::statements::requested(&asked)?;
    let success = config.roles.grants(&me.role, &request)
        && crate::accounts::sessions::check_two_factor(config, me).is_ok();
    Ok(HasPermissionResponse {
        success,
        error: None,
    })
}
