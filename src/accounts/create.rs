//! The one way an account comes to exist. Open sign-up, sign-up with a role
//! invitation, sign-up with an organization invitation and an admin's
//! create-user all call `create_account` inside their own transaction, so
//! every new account gets the same row, the same credential handling and
//! the same audit event; what the invitation grants besides is the caller's.

use serde_json::json;

use super::store::{self, UserRow};
use crate::{
    audit,
    error::ApiError,
    server::{
        crypto,
        db::{is_unique_violation, Tx},
    },
};

/// An account to create. Its parts are checked already (`Email`,
/// `PersonName`, a hashed password): this writes, it does not judge.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    /// Whether the address is known to reach the person (an emailed link
    /// brought them here).
    pub email_verified: bool,
    /// The PHC string of the person's password, hashed before the
    /// transaction (argon2 is slow); none when an admin creates the account
    /// and the person chooses theirs at enrollment.
    pub password_hash: Option<&'a str>,
    /// Who created it: the person themselves (`None`) or an admin.
    pub created_by: Option<&'a str>,
    /// The client address, for the audit log.
    pub ip: &'a str,
}

/// Why no account was created.
#[derive(Debug)]
pub enum CreateError {
    /// An account has this address already; each path says so in its words.
    EmailTaken,
    Storage(sqlx::Error),
}

impl From<sqlx::Error> for CreateError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e)
    }
}

impl CreateError {
    /// The API's answer: `taken` for an address in use, else a storage
    /// failure as every other.
    pub fn or_taken(self, taken: impl FnOnce() -> ApiError) -> ApiError {
        match self {
            Self::EmailTaken => taken(),
            Self::Storage(e) => e.into(),
        }
    }
}

/// Creates the account, its password credential when there is one, and
/// its audit event (`user.sign-up` for a person signing themselves up,
/// `user.create` for an admin's), inside `tx`. A taken address is
/// `EmailTaken`, decided by the unique index, so two sign-ups racing for one
/// address make one account.
pub async fn create_account(tx: &mut Tx, new: NewAccount<'_>) -> Result<UserRow, CreateError> {
    let user = match store::insert_user(
        tx,
        store::NewUser {
            id: &crypto::new_id(),
            email: new.email,
            name: new.name,
            role: new.role,
            email_verified: new.email_verified,
        },
    )
    .await
    {
        Err(e) if is_unique_violation(&e) => return Err(CreateError::EmailTaken),
        other => other?,
    };
    if let Some(phc) = new.password_hash {
        store::set_password_hash(tx, &user.id, phc).await?;
    }
    let event = match new.created_by {
        None => audit::Event::new("user.sign-up")
            .actor(&user.id)
            .after(json!({ "email": user.email, "role": user.role })),
        Some(admin) => audit::Event::new("user.create")
            .actor(admin)
            .after(json!({ "email": user.email, "name": user.name, "role": user.role })),
    };
    audit::record(tx, event.target(&user.id).ip(new.ip)).await?;
    Ok(user)
}
