//! Admin parity with Better Auth's admin plugin (issue 27, second part):
//! a person's sessions, bans with a reason and an end, their name and
//! picture, deleting the account, and acting as them for support. Each
//! follows the manage-whom rule (SPEC §3 "Accounts" 1): a rank strictly
//! above the account's, through `service::acting_on`.

use serde_json::json;

use super::{
    service::{acting_on, switch, target, Switch},
    AdminUpdateUserBody, BanUserBody, CreateUserResponse, ImpersonateUserBody, SessionTokenBody,
    UserIdBody, UserSessions,
};
use crate::{
    access::roles::Permission,
    accounts::{
        devices,
        domain::PersonName,
        profile::checked_image,
        removal, required,
        sessions::{self, Current, SessionRow},
        store::{self as accounts, BanState, UserRow},
        UserView,
    },
    audit,
    config::Config,
    error::{ApiError, ApiResult, Code},
    server::{clock, db::Db},
};

/// The longest reason kept, for a ban or an impersonation.
const REASON_MAX_CHARS: usize = 500;
/// The longest ban with an end: ten years (longer is "for good").
const BAN_MAX_SECONDS: i64 = 10 * 365 * 24 * 3600;

fn reason(input: Option<&str>) -> ApiResult<Option<String>> {
    let reason = input.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > REASON_MAX_CHARS => Err(ApiError::new(
            Code::InvalidRequestBody,
            format!("A reason is at most {REASON_MAX_CHARS} characters."),
        )),
        _ => Ok(reason.map(str::to_owned)),
    }
}

/// `admin/ban-user`: disabled, every session ended, with an optional
/// reason the person is told and an optional end (`banExpiresIn`, seconds).
pub async fn ban(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: BanUserBody,
    ip: &str,
) -> ApiResult<CreateUserResponse> {
    let reason = reason(body.ban_reason.as_deref())?;
    let expires = match body.ban_expires_in {
        None => None,
        Some(s) if s > 0 && s <= BAN_MAX_SECONDS => Some(clock::now_ms() + s * 1000),
        Some(_) => {
            return Err(ApiError::new(
                Code::InvalidBanExpiry,
                "`banExpiresIn` is a number of seconds, more than 0 and at most ten years; leave it out for a ban without end.",
            ))
        }
    };
    let state = BanState {
        disabled: true,
        reason,
        expires,
    };
    let user = UserIdBody {
        user_id: body.user_id,
    };
    switch(db, config, me, user, Switch::Ban, state, ip).await
}

/// `admin/list-user-sessions`: the person's live sessions, most recently
/// used first.
pub async fn list_sessions(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: UserIdBody,
) -> ApiResult<UserSessions> {
    let mut tx = db.begin().await?;
    let user = target(&mut tx, &body.user_id).await?;
    acting_on(&mut tx, config, me, &user, Permission::SessionList).await?;
    tx.commit().await?;
    let rows = sessions::for_user(db, &user.id, clock::now_ms()).await?;
    Ok(UserSessions {
        sessions: rows.into_iter().map(|s| devices::listed(s, None)).collect(),
    })
}

/// `admin/get-user`: whom a page about one person shows.
pub async fn get_user(db: &Db, id: &Option<String>) -> ApiResult<UserView> {
    let mut tx = db.begin().await?;
    let user = target(&mut tx, id).await?;
    tx.commit().await?;
    Ok(user.view())
}

/// `admin/revoke-user-session` (`sessionToken`: the id `list-user-sessions`
/// shows, or the token) and `admin/revoke-user-sessions` (`userId`).
pub async fn revoke_sessions(
    db: &Db,
    config: &Config,
    me: &UserRow,
    which: Which<'_>,
    ip: &str,
) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let (owner, named) = match which {
        Which::One(body) => {
            let named = required(&body.session_token, "sessionToken")?.trim();
            let not_found = || ApiError::new(Code::SessionNotFound, "There is no such session.");
            let owner = sessions::owner_of(&mut tx, named)
                .await?
                .ok_or_else(not_found)?;
            (owner, Some(named))
        }
        Which::All(body) => (required(&body.user_id, "userId")?.to_owned(), None),
    };
    let user = target(&mut tx, &Some(owner)).await?;
    let me = acting_on(&mut tx, config, me, &user, Permission::SessionRevoke).await?;
    let ended = match named {
        Some(named) => u64::from(sessions::delete_mine(&mut tx, &user.id, named).await?),
        None => sessions::delete_all_for_user(&mut tx, &user.id).await?,
    };
    audit::record(
        &mut tx,
        audit::Event::new("user.sessions-revoke")
            .actor(&me.id)
            .target(&user.id)
            .after(json!({ "sessions": ended }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Which sessions an admin ends.
pub enum Which<'a> {
    One(&'a SessionTokenBody),
    All(&'a UserIdBody),
}

/// `admin/update-user`: a person's name and picture. Their address is
/// theirs to change (and prove); their role changes through `set-role`,
/// with its own rules; nobody but the mailbox's owner verifies an address.
pub async fn update_user(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: AdminUpdateUserBody,
    ip: &str,
) -> ApiResult<UserView> {
    let data = body.data.unwrap_or_default();
    if data.email.is_some() {
        return Err(ApiError::new(
            Code::EmailCanNotBeUpdated,
            "An address is changed by its owner, who confirms the new one (change-email).",
        ));
    }
    if data.email_verified.is_some() {
        return Err(ApiError::new(
            Code::CannotSetEmailVerified,
            "An address counts as verified only once its owner opened a link sent there; send them a verification email instead.",
        ));
    }
    if data.role.is_some() {
        return Err(ApiError::new(
            Code::RoleChangesUseSetRole,
            "Change a role with admin/set-role, which checks what you may grant.",
        ));
    }
    if data.password.is_some() {
        return Err(set_password_refused());
    }
    let name = data.name.as_deref().map(PersonName::parse).transpose()?;
    let image = data.image.as_deref().map(checked_image).transpose()?;
    if name.is_none() && image.is_none() {
        return Err(ApiError::new(
            Code::InvalidRequestBody,
            "Give `data` with a new `name` or `image`.",
        ));
    }
    let mut tx = db.begin().await?;
    let user = target(&mut tx, &body.user_id).await?;
    let me = acting_on(&mut tx, config, me, &user, Permission::UserUpdate).await?;
    accounts::update_profile(
        &mut tx,
        &user.id,
        name.as_ref().map(PersonName::as_str),
        image.as_ref(),
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.admin-update")
            .actor(&me.id)
            .target(&user.id)
            .before(json!({ "name": user.name, "image": user.image }))
            .after(json!({
                "name": name.as_ref().map_or(user.name.as_str(), PersonName::as_str),
                "image": image.as_ref().map_or(user.image.as_deref(), |i| i.as_deref()),
            }))
            .ip(ip),
    )
    .await?;
    let updated = accounts::find_by_id(&mut tx, &user.id).await?;
    tx.commit().await?;
    Ok(updated.unwrap_or(user).view())
}

/// SPEC §3: an admin never sets a password.
pub fn set_password_refused() -> ApiError {
    ApiError::new(
        Code::YouAreNotAllowedToSetUsersPassword,
        "An admin never sets anyone's password: send them a password reset email instead, and they choose one.",
    )
}

/// `admin/remove-user`: deletes the account, unless it is the last owner
/// of the instance or of an organization.
pub async fn remove_user(
    db: &Db,
    config: &Config,
    me: &UserRow,
    body: UserIdBody,
    ip: &str,
) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let user = target(&mut tx, &body.user_id).await?;
    if user.id == me.id {
        return Err(ApiError::new(
            Code::YouCannotRemoveYourself,
            "You cannot remove your own account here: delete it from your account page.",
        ));
    }
    let me = acting_on(&mut tx, config, me, &user, Permission::UserDelete).await?;
    removal::remove(&mut tx, config, &user, &me.id, "user.remove", ip).await?;
    tx.commit().await?;
    Ok(())
}

/// `admin/impersonate-user`: a session as `userId`, for at most
/// `impersonation_ttl`, with the reason on record. Answers the new
/// session's token and row, and the person.
pub async fn impersonate(
    db: &Db,
    config: &Config,
    me: &Current,
    body: ImpersonateUserBody,
    client: crate::accounts::sign_in::Client<'_>,
) -> ApiResult<(String, SessionRow, UserRow)> {
    if me.session.impersonated_by.is_some() {
        return Err(ApiError::new(
            Code::AlreadyImpersonating,
            "Stop acting as this person before you act as someone else.",
        ));
    }
    let why = reason(body.reason.as_deref())?.ok_or_else(|| {
        ApiError::new(
            Code::ImpersonationReasonRequired,
            "Say why you act as this person: the reason goes into the audit log.",
        )
    })?;
    let mut tx = db.begin().await?;
    let user = target(&mut tx, &body.user_id).await?;
    if user.id == me.user.id {
        return Err(ApiError::new(
            Code::YouCannotImpersonateYourself,
            "You cannot act as yourself.",
        ));
    }
    let admin = acting_on(
        &mut tx,
        config,
        &me.user,
        &user,
        Permission::UserImpersonate,
    )
    .await?;
    if user.disabled {
        return Err(crate::accounts::sign_in::banned(&user));
    }
    let lasts = clock::ms(config.impersonation_ttl);
    let (token, session) = sessions::create_impersonation(
        &mut tx,
        &user.id,
        &admin.id,
        client.ip,
        client.user_agent,
        lasts,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.impersonate")
            .actor(&admin.id)
            .target(&user.id)
            .after(json!({ "reason": why, "sessionId": session.id, "expiresAt": clock::rfc3339(session.expires_at) }))
            .ip(client.ip),
    )
    .await?;
    tx.commit().await?;
    Ok((token, session, user))
}

/// `admin/stop-impersonating`: ends the impersonation session `me`.
pub async fn stop_impersonating(db: &Db, me: &Current, ip: &str) -> ApiResult<()> {
    let Some(admin) = me.session.impersonated_by.as_deref() else {
        return Err(ApiError::new(
            Code::NotImpersonating,
            "You are not acting as anyone.",
        ));
    };
    let mut tx = db.begin().await?;
    sessions::delete_mine(&mut tx, &me.user.id, &me.session.id).await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.impersonate-stop")
            .actor(admin)
            .target(&me.user.id)
            .after(json!({ "sessionId": me.session.id }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
