//! Calls from a lower room up into a feature, plugged in by `startup`: a
//! room may not import the rooms above it (the layers test), yet some
//! changes there are events a feature acts on in the same transaction.

use std::{fmt, future::Future, pin::Pin};

use super::Config;
use crate::{error::ApiResult, server::db::Tx};

/// What a hook answers: a future borrowing the transaction.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<()>> + Send + 'a>>;

/// Called inside the transaction that made an account's email address
/// verified (at sign-up with a proven address, or later), with the
/// account's id, after the caller's own work in it.
pub type EmailVerified = for<'a> fn(&'a mut Tx, &'a Config, &'a str) -> HookFuture<'a>;

/// Called inside the transaction that is about to delete an account, with
/// its id; an error refuses the deletion.
pub type AccountRemoving = EmailVerified;

#[derive(Clone, Copy, Default)]
pub struct Hooks {
    /// The organizations' verified domains admit or invite the person.
    pub email_verified: Option<EmailVerified>,
    /// The organizations refuse to lose their last owner.
    pub account_removing: Option<AccountRemoving>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("email_verified", &self.email_verified.is_some())
            .field("account_removing", &self.account_removing.is_some())
            .finish()
    }
}
