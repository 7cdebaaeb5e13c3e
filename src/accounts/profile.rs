//! What a person changes of their own account (issue 27, first part):
//! their password, with the current one, and their name and picture.
//! Each change is audited.

use serde_json::json;

use super::{
    domain::{Password, PersonName},
    required,
    sessions::{self, Current},
    sign_in::take_password_turn,
    store::{self, UserRow},
    ChangePasswordBody, ChangePasswordResponse, UpdateUserBody,
};
use crate::{
    audit,
    email::{outbox, Kind},
    error::{ApiError, ApiResult, Code},
    server::{clock, crypto, db::Db, rate_limit},
};

/// The longest picture address kept.
const IMAGE_MAX_CHARS: usize = 2048;

/// A picture is an http or https address; empty removes it.
pub fn checked_image(input: &str) -> ApiResult<Option<String>> {
    let image = input.trim();
    if image.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(image) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && image.len() <= IMAGE_MAX_CHARS => {
            Ok(Some(image.to_owned()))
        }
        _ => Err(ApiError::new(
            Code::InvalidImage,
            "The picture must be an http or https address.",
        )),
    }
}

/// Re-authentication before a sensitive change: `password` must be the
/// account's. Someone at an unlocked screen guessing it waits as a
/// stranger at the sign-in form would (SPEC §8).
pub async fn confirm_password(db: &Db, user: &UserRow, password: &str) -> ApiResult<()> {
    let key = take_password_turn(db, &user.email, "Too many wrong passwords.").await?;
    let stored = store::find_for_sign_in(db, &user.email)
        .await?
        .and_then(|(_, hash)| hash);
    if !crypto::verify_password(stored, password.to_owned()).await? {
        return Err(ApiError::new(
            Code::InvalidPassword,
            "That is not your current password.",
        ));
    }
    rate_limit::clear(db, &key).await?;
    Ok(())
}

pub async fn change_password(
    db: &Db,
    me: &Current,
    body: ChangePasswordBody,
    ip: &str,
) -> ApiResult<ChangePasswordResponse> {
    let current = required(&body.current_password, "currentPassword")?;
    let new = Password::parse(required(&body.new_password, "newPassword")?)?;
    confirm_password(db, &me.user, current).await?;
    let phc = crypto::hash_password(new.into_secret()).await?;
    let mut tx = db.begin().await?;
    store::set_password_hash(&mut tx, &me.user.id, &phc).await?;
    // Reset links asked for before no longer change anything.
    store::spend_password_resets(&mut tx, &me.user.id, clock::now_ms()).await?;
    outbox::forget_secret(
        &mut tx,
        &[Kind::PasswordReset],
        &me.user.id,
        "The password was changed.",
    )
    .await?;
    let revoke = body.revoke_other_sessions.unwrap_or(false);
    let ended = if revoke {
        sessions::delete_others(&mut tx, &me.user.id, &me.session.id).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        audit::Event::new("user.password-change")
            .actor(&me.user.id)
            .target(&me.user.id)
            .after(json!({ "sessionsEnded": ended }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(ChangePasswordResponse {
        token: revoke.then(|| me.token.clone().into()),
        user: me.user.view(),
    })
}

pub async fn update(db: &Db, me: &Current, body: UpdateUserBody, ip: &str) -> ApiResult<()> {
    if body.email.is_some() {
        return Err(ApiError::new(
            Code::EmailCanNotBeUpdated,
            "An email address changes through change-email, which asks the new address first.",
        ));
    }
    let name = body.name.as_deref().map(PersonName::parse).transpose()?;
    let image = body.image.as_deref().map(checked_image).transpose()?;
    if name.is_none() && image.is_none() {
        return Err(ApiError::new(
            Code::InvalidRequestBody,
            "Give a new `name` or `image`.",
        ));
    }
    let mut tx = db.begin().await?;
    store::update_profile(
        &mut tx,
        &me.user.id,
        name.as_ref().map(PersonName::as_str),
        image.as_ref(),
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::new("user.update")
            .actor(&me.user.id)
            .target(&me.user.id)
            .before(json!({ "name": me.user.name, "image": me.user.image }))
            .after(json!({
                "name": name.as_ref().map_or(me.user.name.as_str(), PersonName::as_str),
                "image": image.as_ref().map_or(me.user.image.as_deref(), |i| i.as_deref()),
            }))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::checked_image;

    #[test]
    fn pictures_are_web_addresses() {
        assert_eq!(checked_image("  ").unwrap(), None);
        assert_eq!(
            checked_image(" https://example.com/me.png ")
                .unwrap()
                .as_deref(),
            Some("https://example.com/me.png")
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x/y.png",
            "me.png",
            "data:image/png;base64,AA",
        ] {
            assert_eq!(
                checked_image(bad).unwrap_err().code,
                "INVALID_IMAGE",
                "{bad}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(checked_image(&long).is_err());
    }
}
