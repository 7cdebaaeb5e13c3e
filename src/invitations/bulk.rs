//! Bulk invitations, for every kind that is sent to addresses: a list of
//! up to 500 people (pasted, a CSV file, or JSON), each with its own result
//! (SPEC §5 "joining": `organization/invite-members`, `invite/create-bulk`).
//! Each row is invited in its own transaction, so valid rows succeed when
//! others fail; sending the same list again changes nothing and says so
//! (`already_invited`, `already_member`), unless `resend` asks for it.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

/// The most rows one list may have: a school year or a company, not a
/// mailing list. Checked before any row is read.
pub const MAX_ROWS: usize = 500;

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    Invited,
    Resent,
    AlreadyMember,
    AlreadyInvited,
    InvalidEmail,
    RoleNotAllowed,
    /// A team that is not the organization's (Gatehouse's addition to the
    /// list of SPEC §5, for the CSV's third column).
    InvalidTeam,
    OverLimit,
}

impl BulkStatus {
    /// The row's status for a refusal; None for one that is not about the
    /// row (the whole request fails with it).
    pub fn of(code: Code) -> Option<Self> {
        Some(match code {
            Code::InvalidEmail => Self::InvalidEmail,
            Code::UserIsAlreadyAMemberOfThisOrganization | Code::RoleAlreadyGranted => {
                Self::AlreadyMember
            }
            Code::UserIsAlreadyInvitedToThisOrganization => Self::AlreadyInvited,
            Code::YouAreNotAllowedToInviteUserWithThisRole
            | Code::InsufficientPermissions
            | Code::RoleNotFound
            | Code::InvalidRole
            | Code::TooManyMemberRoles
            | Code::Forbidden => Self::RoleNotAllowed,
            Code::TeamNotFound | Code::TeamsDisabled => Self::InvalidTeam,
            Code::InvitationLimitReached
            | Code::OrganizationMembershipLimitReached
            | Code::EmailBudgetSpent
            | Code::TooManyRequests => Self::OverLimit,
            _ => return None,
        })
    }

    /// Whether the row was invited (now or again).
    pub fn sent(self) -> bool {
        matches!(self, Self::Invited | Self::Resent)
    }

    /// Its word on the wire.
    pub fn word(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Resent => "resent",
            Self::AlreadyMember => "already_member",
            Self::AlreadyInvited => "already_invited",
            Self::InvalidEmail => "invalid_email",
            Self::RoleNotAllowed => "role_not_allowed",
            Self::InvalidTeam => "invalid_team",
            Self::OverLimit => "over_limit",
        }
    }

    /// How the results table says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Invited => "Invited",
            Self::Resent => "Sent again",
            Self::AlreadyMember => "Already a member",
            Self::AlreadyInvited => "Already invited",
            Self::InvalidEmail => "Not an email address",
            Self::RoleNotAllowed => "Role not allowed",
            Self::InvalidTeam => "No such team",
            Self::OverLimit => "Over a limit",
        }
    }
}

/// One person of a list, as asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRow {
    pub email: String,
    /// One role or several; the form's choice when absent.
    pub role: Option<crate::invitations::OneOrMany>,
    /// A team's id (or, from a CSV, its name).
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub email: String,
    pub status: BulkStatus,
    pub invitation_id: Option<String>,
    pub message: Option<String>,
}

impl BulkResult {
    /// A row invited: now, or again (`resent`).
    pub fn sent(email: String, invitation_id: String, resent: bool) -> Self {
        Self {
            email,
            status: if resent {
                BulkStatus::Resent
            } else {
                BulkStatus::Invited
            },
            invitation_id: Some(invitation_id),
            message: None,
        }
    }

    pub fn refused(email: String, status: BulkStatus, e: &ApiError) -> Self {
        Self {
            email,
            status,
            invitation_id: None,
            message: Some(e.message.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    pub results: Vec<BulkResult>,
}

/// Rows per request when the pages send a list: small enough that the
/// progress bar moves on a long one.
pub const SLICE: usize = 25;

/// A slice of a pasted list, as the pages send it (`gatehouse/invite-list`
/// and its organization's twin): the whole text each time, read again on
/// the server, so the browser carries no parser and no rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListSlice {
    pub text: String,
    /// For rows that name no role.
    pub role: String,
    pub resend: bool,
    /// The first row of this slice; [`SLICE`] rows from there.
    pub offset: usize,
}

/// What happened to a slice's rows, and how many rows the list has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SliceResults {
    pub results: Vec<BulkResult>,
    pub total: usize,
}

/// The slice's rows of the list, those without a role given `role`, and
/// the number of rows in all.
#[cfg(feature = "ssr")]
pub fn rows_of(slice: &ListSlice) -> Result<(Vec<BulkRow>, usize), ApiError> {
    use crate::invitations::OneOrMany;
    let rows = parse_csv(&slice.text)?;
    let total = rows.len();
    let rows = rows
        .into_iter()
        .skip(slice.offset)
        .take(SLICE)
        .map(|r| BulkRow {
            role: r.role.or_else(|| Some(OneOrMany::One(slice.role.clone()))),
            ..r
        })
        .collect();
    Ok((rows, total))
}

/// A request's rows, checked before any work: at most [`MAX_ROWS`], and
/// at least one.
pub fn checked(rows: Option<Vec<BulkRow>>) -> Result<Vec<BulkRow>, ApiError> {
    let rows = rows.unwrap_or_default();
    if rows.len() > MAX_ROWS {
        return Err(too_many());
    }
    if rows.is_empty() {
        return Err(empty());
    }
    Ok(rows)
}

/// Invites each row in turn (`invite`, its own transaction) and gives
/// every row its result: a refusal about the row becomes its status, and
/// any other error (the database gone) ends the request with it.
#[cfg(feature = "ssr")]
pub async fn each_row<F, Fut>(rows: Vec<BulkRow>, mut invite: F) -> Result<BulkResponse, ApiError>
where
    F: FnMut(BulkRow) -> Fut,
    Fut: std::future::Future<Output = Result<BulkResult, ApiError>>,
{
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        let email = row.email.clone();
        results.push(match invite(row).await {
            Ok(done) => done,
            Err(e) => match BulkStatus::of(e.code) {
                Some(status) if e.status() < 500 => BulkResult::refused(email, status, &e),
                _ => return Err(e),
            },
        });
    }
    Ok(BulkResponse { results })
}

/// The refusal of a list longer than [`MAX_ROWS`].
pub fn too_many() -> ApiError {
    ApiError::new(
        Code::TooManyEmails,
        format!("Invite at most {MAX_ROWS} people at a time: split the list."),
    )
}

/// The refusal of an empty list.
pub fn empty() -> ApiError {
    ApiError::new(Code::MissingField, "The list has nobody in it.")
}

/// Reads a pasted list or CSV file: a row per line, `email[,role][,team]`,
/// with an optional header naming those columns (in any order). A row
/// with only an address takes the form's role. Blank lines are skipped;
/// a line with more than three cells is refused with its number.
#[cfg(feature = "ssr")]
pub fn parse_csv(text: &str) -> Result<Vec<BulkRow>, ApiError> {
    use crate::invitations::OneOrMany;

    // The cap first, on a cheap count of lines.
    if text.lines().filter(|l| !l.trim().is_empty()).count() > MAX_ROWS + 1 {
        return Err(too_many());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let bad = |line: u64, why: &str| {
        ApiError::new(Code::InvalidRequestBody, format!("Line {line}: {why}"))
    };
    // Column positions: email, role, team; and how many cells a row may
    // have (a header's own count).
    let mut columns = (0usize, Some(1usize), Some(2usize));
    let mut width = 3;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 1, |p| p.line());
        let record = record.map_err(|e| bad(line, &format!("{e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() > width {
            let why = format!(
                "this row has {} cells; the list has {width} (email, role, team).",
                record.len()
            );
            return Err(bad(line, &why));
        }
        let cell = |at: Option<usize>| {
            at.and_then(|at| record.get(at))
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
        };
        if rows.is_empty() && i == 0 && record.iter().any(|c| c.eq_ignore_ascii_case("email")) {
            let at = |name: &str| record.iter().position(|c| c.eq_ignore_ascii_case(name));
            columns = (at("email").unwrap_or(0), at("role"), at("team"));
            width = record.len();
            continue;
        }
        rows.push(BulkRow {
            email: cell(Some(columns.0)).unwrap_or_default(),
            role: cell(columns.1).map(OneOrMany::One),
            team_id: cell(columns.2),
        });
        if rows.len() > MAX_ROWS {
            return Err(too_many());
        }
    }
    if rows.is_empty() {
        return Err(empty());
    }
    Ok(rows)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::invitations::OneOrMany;
    use proptest::prelude::*;

    fn row(email: &str, role: Option<&str>, team: Option<&str>) -> BulkRow {
        BulkRow {
            email: email.into(),
            role: role.map(|r| OneOrMany::One(r.into())),
            team_id: team.map(Into::into),
        }
    }

    #[test]
    fn a_list_reads_with_or_without_a_header() {
        let plain = "ada@x.io\n\ngrace@x.io, admin\nlin@x.io,member,Platform\n";
        assert_eq!(
            parse_csv(plain).unwrap(),
            [
                row("ada@x.io", None, None),
                row("grace@x.io", Some("admin"), None),
                row("lin@x.io", Some("member"), Some("Platform")),
            ]
        );
        let headed = "Team,Email,Role\nPlatform,ada@x.io,admin\n,grace@x.io,\n";
        assert_eq!(
            parse_csv(headed).unwrap(),
            [
                row("ada@x.io", Some("admin"), Some("Platform")),
                row("grace@x.io", None, None),
            ]
        );
        let quoted = "email,role\n\"ada@x.io\",\"member\"\r\n";
        assert_eq!(
            parse_csv(quoted).unwrap(),
            [row("ada@x.io", Some("member"), None)]
        );
    }

    #[test]
    fn bad_lists_are_refused_with_the_line() {
        let err = parse_csv("a@x.io\nb@x.io,member,team,extra\n").unwrap_err();
        assert!(err.message.starts_with("Line 2:"), "{}", err.message);
        // A cell the header does not name is not dropped unread.
        let err = parse_csv("email,role\na@x.io,member,Platform\n").unwrap_err();
        assert!(
            err.message
                .starts_with("Line 2: this row has 3 cells; the list has 2"),
            "{}",
            err.message
        );
        assert_eq!(parse_csv("\n \n").unwrap_err().code, "MISSING_FIELD");
        assert_eq!(parse_csv("email,role\n").unwrap_err().code, "MISSING_FIELD");
        let long: String = (0..=MAX_ROWS).map(|i| format!("p{i}@x.io\n")).collect();
        assert_eq!(parse_csv(&long).unwrap_err().code, "TOO_MANY_EMAILS");
        let exactly: String = (0..MAX_ROWS).map(|i| format!("p{i}@x.io\n")).collect();
        assert_eq!(parse_csv(&exactly).unwrap().len(), MAX_ROWS);
        let headed = format!("email\n{exactly}");
        assert_eq!(parse_csv(&headed).unwrap().len(), MAX_ROWS);
    }

    #[test]
    fn a_list_is_sent_in_slices_that_cover_it_once() {
        let text: String = (0..60).map(|i| format!("p{i}@x.io\n")).collect();
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let slice = ListSlice {
                text: text.clone(),
                role: "member".into(),
                resend: false,
                offset,
            };
            let (rows, total) = rows_of(&slice).unwrap();
            assert_eq!(total, 60);
            if rows.is_empty() {
                break;
            }
            assert!(rows
                .iter()
                .all(|r| r.role == Some(OneOrMany::One("member".into()))));
            seen.extend(rows.into_iter().map(|r| r.email));
            offset += SLICE;
        }
        assert_eq!(seen.len(), 60);
        assert_eq!(seen[59], "p59@x.io");
    }

    #[test]
    fn refusals_map_to_row_statuses() {
        assert_eq!(
            BulkStatus::of(Code::InvalidEmail),
            Some(BulkStatus::InvalidEmail)
        );
        assert_eq!(
            BulkStatus::of(Code::UserIsAlreadyInvitedToThisOrganization),
            Some(BulkStatus::AlreadyInvited)
        );
        assert_eq!(
            BulkStatus::of(Code::EmailBudgetSpent),
            Some(BulkStatus::OverLimit)
        );
        assert_eq!(BulkStatus::of(Code::InternalServerError), None);
        assert_eq!(BulkStatus::of(Code::Unauthorized), None);
        for s in [
            BulkStatus::Invited,
            BulkStatus::Resent,
            BulkStatus::AlreadyMember,
            BulkStatus::AlreadyInvited,
            BulkStatus::InvalidEmail,
            BulkStatus::RoleNotAllowed,
            BulkStatus::InvalidTeam,
            BulkStatus::OverLimit,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.word())
            );
        }
    }

    proptest! {
        /// Any list of addresses, one per line, reads back as itself.
        #[test]
        fn addresses_round_trip(names in proptest::collection::vec("[a-z]{1,8}", 1..40)) {
            let text: String = names.iter().map(|n| format!("{n}@x.io\n")).collect();
            let rows = parse_csv(&text).unwrap();
            prop_assert_eq!(rows.len(), names.len());
            for (r, n) in rows.iter().zip(&names) {
                prop_assert_eq!(&r.email, &format!("{n}@x.io"));
            }
        }
    }
}
