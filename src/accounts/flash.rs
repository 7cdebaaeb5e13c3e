//! What a plain form on an admin page did, carried across its redirect in
//! a sealed, short-lived cookie (a new secret must not travel in the
//! address), read once. Bound to the person it was made for and to a
//! deadline, so a copied cookie (a shared browser, a captured request)
//! shows no one else a secret, and not later either.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{context::RequestContext, server::clock};

/// How long a flash can be read: the redirect follows at once.
const FLASH_MS: i64 = 5 * 60 * 1000;

/// One page's flash cookie.
pub struct Flash {
    pub cookie: &'static str,
    /// The page (and its sub-pages) that reads it.
    pub path: &'static str,
}

#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    user_id: String,
    expires_at: i64,
    flash: T,
}

impl Flash {
    fn cookie(&self, cx: &RequestContext, value: &str, max_age: u32) -> String {
        let secure = if cx.config().secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
            self.cookie, self.path
        )
    }

    /// The `Set-Cookie` header that carries `flash` to `user_id`'s next
    /// view of the page.
    pub fn set<T: Serialize>(
        &self,
        cx: &RequestContext,
        user_id: &str,
        flash: T,
    ) -> Option<http::HeaderValue> {
        let sealed = Sealed {
            user_id: user_id.to_owned(),
            expires_at: clock::now_ms() + FLASH_MS,
            flash,
        };
        let sealed = cx
            .config()
            .secret_key
            .seal(&serde_json::to_vec(&sealed).ok()?);
        http::HeaderValue::from_str(&self.cookie(cx, &sealed, (FLASH_MS / 1000) as u32)).ok()
    }

    /// The flash left for `user_id`, if any; cleared as it is read. The
    /// page that shows it is never stored by a browser or a proxy: it may
    /// hold a new secret.
    pub fn take<T: DeserializeOwned>(&self, cx: &RequestContext, user_id: &str) -> Option<T> {
        cx.set_header(http::header::CACHE_CONTROL, "no-store");
        let sealed = crate::context::cookie(&cx.parts, self.cookie)?;
        cx.set_cookie(&self.cookie(cx, "", 0));
        cx.config()
            .secret_key
            .open(&sealed)
            .and_then(|bytes| serde_json::from_slice::<Sealed<T>>(&bytes).ok())
            .filter(|s| s.user_id == user_id && s.expires_at > clock::now_ms())
            .map(|s| s.flash)
    }
}
