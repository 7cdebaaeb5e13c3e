//! An invitation's status, one type for every kind. `expired` is worked out
//! when read, never stored; a used-up invitation is `used` for a role
//! invitation and `accepted` for an organization's (Better Auth's word),
//! so each kind keeps its word on the wire and in its table.

use serde::{Deserialize, Serialize};

use super::Kind;
use crate::error::{ApiError, Code};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    /// Its uses are taken: `used`, or `accepted` for an organization's.
    Used,
    Canceled,
    Rejected,
    Expired,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Used,
        Status::Canceled,
        Status::Rejected,
        Status::Expired,
    ];

    /// The role invitation's word (and the filter's).
    pub fn as_str(self) -> &'static str {
        self.word(Kind::Role)
    }

    /// The word a kind stores and answers with.
    pub fn word(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Status::Pending, _) => "pending",
            (Status::Used, Kind::Role) => "used",
            (Status::Used, Kind::Organization) => "accepted",
            (Status::Canceled, Kind::JoinLink) => "revoked",
            (Status::Used, Kind::JoinLink) => "used",
            (Status::Canceled, _) => "canceled",
            (Status::Rejected, _) => "rejected",
            (Status::Expired, _) => "expired",
        }
    }

    /// A status filter as people type it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status of a stored invitation at `now`. `max_uses` None is
    /// unlimited; an invitation for one person is stored with one use.
    pub fn at(stored: &str, expires_at: i64, uses: i64, max_uses: Option<i64>, now: i64) -> Self {
        match stored {
            "canceled" | "revoked" => Status::Canceled,
            "rejected" => Status::Rejected,
            "used" | "accepted" => Status::Used,
            "expired" => Status::Expired,
            _ if max_uses.is_some_and(|m| uses >= m) => Status::Used,
            _ if expires_at <= now => Status::Expired,
            _ => Status::Pending,
        }
    }

    /// Why an invitation of `kind` in this status cannot be used, in words.
    pub fn reason(self, kind: Kind) -> Option<&'static str> {
        Some(match (self, kind) {
            (Status::Pending, _) => return None,
            (Status::Used, Kind::Role) => "This invitation has already been used.",
            (Status::Used, Kind::Organization) => "This invitation was already accepted.",
            (Status::Used, Kind::JoinLink) => "This link has been used as often as it allows.",
            (Status::Canceled, Kind::JoinLink) => "This link was revoked.",
            (Status::Expired, Kind::JoinLink) => "This link has expired.",
            (Status::Canceled, _) => "This invitation was canceled.",
            (Status::Rejected, _) => "This invitation was declined.",
            (Status::Expired, _) => "This invitation has expired.",
        })
    }

    /// The refusal of using an invitation in this status.
    pub fn refusal(self, kind: Kind) -> Option<ApiError> {
        let code = match self {
            Status::Pending => return None,
            Status::Used => Code::InvitationUsed,
            Status::Canceled => Code::InvitationCanceled,
            Status::Rejected => Code::InvitationRejected,
            Status::Expired => Code::InvitationExpired,
        };
        self.reason(kind).map(|why| ApiError::new(code, why))
    }
}

/// "expires in 2 days", "expired 3 hours ago": how SPEC §4 wants times read.
/// Worked out by the server and sent as text, so the page the server renders
/// and the one the browser hydrates say the same.
pub fn expiry_words(expires_at_ms: i64, now_ms: i64) -> String {
    let delta = expires_at_ms - now_ms;
    let span = delta.unsigned_abs() / 1000;
    let (n, unit) = match span {
        s if s >= 2 * 86_400 => (s / 86_400, "day"),
        s if s >= 2 * 3_600 => (s / 3_600, "hour"),
        s if s >= 120 => (s / 60, "minute"),
        s if s >= 60 => (1, "minute"),
        s => (s.max(1), "second"),
    };
    let amount = format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if delta > 0 {
        format!("expires in {amount}")
    } else {
        format!("expired {amount} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn status_is_worked_out_at_read_time() {
        let now = 1_000;
        let at = |stored, expires, uses, max| Status::at(stored, expires, uses, max, now);
        assert_eq!(at("pending", 2_000, 0, None), Status::Pending);
        assert_eq!(at("pending", 1_000, 0, None), Status::Expired);
        assert_eq!(at("pending", 2_000, 2, Some(2)), Status::Used);
        assert_eq!(at("pending", 2_000, 1, Some(2)), Status::Pending);
        assert_eq!(at("used", 2_000, 1, Some(1)), Status::Used);
        assert_eq!(at("accepted", 2_000, 0, None), Status::Used);
        assert_eq!(at("expired", 2_000, 0, None), Status::Expired);
        // A canceled invitation stays canceled after its expiry.
        assert_eq!(at("canceled", 500, 0, None), Status::Canceled);
        assert_eq!(at("rejected", 2_000, 0, None), Status::Rejected);
    }

    #[test]
    fn each_kind_keeps_its_words() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            for kind in [Kind::Role, Kind::Organization, Kind::JoinLink] {
                assert_eq!(s.refusal(kind).is_none(), s == Status::Pending);
                // What a kind stores reads back as the same status.
                assert_eq!(Status::at(s.word(kind), i64::MAX, 0, None, 0), s);
            }
        }
        assert_eq!(Status::Used.word(Kind::Organization), "accepted");
        assert_eq!(Status::Canceled.word(Kind::JoinLink), "revoked");
        assert_eq!(
            serde_json::to_value(Status::Used).unwrap(),
            serde_json::json!("used")
        );
        assert_eq!(
            Status::Used.reason(Kind::Organization),
            Some("This invitation was already accepted.")
        );
    }

    proptest! {
        /// Only a pending invitation before its expiry, with a use left,
        /// can be used, whatever the numbers.
        #[test]
        fn pending_means_usable(expires in -5i64..5, uses in 0i64..4, max in proptest::option::of(1i64..4)) {
            let status = Status::at("pending", expires, uses, max, 0);
            let usable = expires > 0 && max.is_none_or(|m| uses < m);
            prop_assert_eq!(status == Status::Pending, usable);
        }
    }

    #[test]
    fn expiry_reads_as_words() {
        let h = 3_600_000;
        assert_eq!(expiry_words(2 * 24 * h, 0), "expires in 2 days");
        assert_eq!(expiry_words(7 * 24 * h + 5, 0), "expires in 7 days");
        assert_eq!(expiry_words(36 * h, 0), "expires in 36 hours");
        assert_eq!(expiry_words(90 * 60_000, 0), "expires in 90 minutes");
        assert_eq!(expiry_words(61_000, 0), "expires in 1 minute");
        assert_eq!(expiry_words(5_000, 0), "expires in 5 seconds");
        assert_eq!(expiry_words(0, 3 * h), "expired 3 hours ago");
        assert_eq!(expiry_words(0, 0), "expired 1 second ago");
    }
}
