//! The one error every API endpoint answers with: `{ "code", "message" }`, as
//! Better Auth does, carried with the HTTP status that fits it.
//!
//! Every code is a [`Code`], and each has its one status in the table below:
//! a call site names the condition, never a string or a status. Where Better
//! Auth answers one wire code with two statuses (a caller who is not a
//! member is 403, a target who is not one is 400), those are two conditions
//! and two variants with the same wire text.

use std::fmt;

use leptos::server_fn::{
    self,
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident = $status:literal $text:literal,)*) => {
        /// What went wrong, as a client reads it (`code`) and as the
        /// response line says it (`status`).
        ///
        /// Two codes are equal when a client cannot tell them apart: when
        /// their wire text is the same.
        #[derive(Debug, Clone, Copy)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The wire text, as Better Auth spells its codes.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The HTTP status of a response carrying this code (0: no
            /// response came at all).
            pub const fn status(self) -> u16 {
                match self {
                    $(Code::$variant => $status,)*
                }
            }
        }
    };
}

codes! {
    AlreadyImpersonating = 400 "ALREADY_IMPERSONATING",
    AppNotFound = 404 "APP_NOT_FOUND",
    BannedUser = 403 "BANNED_USER",
    CannotDeleteAPreDefinedRole = 400 "CANNOT_DELETE_A_PRE_DEFINED_ROLE",
    CannotDeleteLastOwner = 409 "CANNOT_DELETE_LAST_OWNER",
    CannotDemoteLastOwner = 409 "CANNOT_DEMOTE_LAST_OWNER",
    CannotDisableLastOwner = 409 "CANNOT_DISABLE_LAST_OWNER",
    CannotDisableYourself = 403 "CANNOT_DISABLE_YOURSELF",
    CannotRejectPublicInvitation = 400 "CANNOT_REJECT_PUBLIC_INVITATION",
    CannotSetEmailVerified = 400 "CANNOT_SET_EMAIL_VERIFIED",
    CannotUpdateAPreDefinedRole = 400 "CANNOT_UPDATE_A_PRE_DEFINED_ROLE",
    CustomRolesDisabled = 404 "CUSTOM_ROLES_DISABLED",
    DeliveryNotFound = 404 "DELIVERY_NOT_FOUND",
    DeliveryStillQueued = 409 "DELIVERY_STILL_QUEUED",
    DnsLookupFailed = 502 "DNS_LOOKUP_FAILED",
    DomainAlreadyAdded = 409 "DOMAIN_ALREADY_ADDED",
    DomainAlreadyVerified = 409 "DOMAIN_ALREADY_VERIFIED",
    DomainClaimedByAnotherOrganization = 409 "DOMAIN_CLAIMED_BY_ANOTHER_ORGANIZATION",
    DomainCodeExpired = 410 "DOMAIN_CODE_EXPIRED",
    DomainLimitReached = 403 "DOMAIN_LIMIT_REACHED",
    DomainNotFound = 404 "DOMAIN_NOT_FOUND",
    DomainNotVerified = 409 "DOMAIN_NOT_VERIFIED",
    DomainRecordNotFound = 409 "DOMAIN_RECORD_NOT_FOUND",
    EmailAlreadyRevealed = 409 "EMAIL_ALREADY_REVEALED",
    EmailAlreadyVerified = 400 "EMAIL_ALREADY_VERIFIED",
    EmailBudgetSpent = 429 "TOO_MANY_EMAILS",
    EmailCanNotBeUpdated = 400 "EMAIL_CAN_NOT_BE_UPDATED",
    EmailDomainNotAllowed = 403 "EMAIL_DOMAIN_NOT_ALLOWED",
    EmailIsTheSame = 400 "EMAIL_IS_THE_SAME",
    EmailMismatch = 400 "EMAIL_MISMATCH",
    EmailNotAtDomain = 400 "EMAIL_NOT_AT_DOMAIN",
    EmailNotFound = 404 "EMAIL_NOT_FOUND",
    EmailNotRetryable = 409 "EMAIL_NOT_RETRYABLE",
    EmailNotRevealable = 403 "EMAIL_NOT_REVEALABLE",
    EmailSecretGone = 409 "EMAIL_SECRET_GONE",
    EmailUnreadable = 409 "EMAIL_UNREADABLE",
    EmailVerificationRequiredForInvitation = 403 "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION",
    EnrollmentTokenNotFoundOrExpired = 400 "ENROLLMENT_TOKEN_NOT_FOUND_OR_EXPIRED",
    Forbidden = 403 "FORBIDDEN",
    FreeEmailDomain = 400 "FREE_EMAIL_DOMAIN",
    ImpersonationReasonRequired = 400 "IMPERSONATION_REASON_REQUIRED",
    InsufficientPermissions = 403 "INSUFFICIENT_PERMISSIONS",
    InternalServerError = 500 "INTERNAL_SERVER_ERROR",
    InvalidBackupCode = 401 "INVALID_BACKUP_CODE",
    InvalidBanExpiry = 400 "INVALID_BAN_EXPIRY",
    InvalidCallbackUrl = 400 "INVALID_CALLBACK_URL",
    InvalidClientMetadata = 400 "INVALID_CLIENT_METADATA",
    InvalidCode = 400 "INVALID_CODE",
    InvalidDescription = 400 "INVALID_DESCRIPTION",
    InvalidDomain = 400 "INVALID_DOMAIN",
    InvalidEmail = 400 "INVALID_EMAIL",
    InvalidEmailOrPassword = 401 "INVALID_EMAIL_OR_PASSWORD",
    InvalidEvents = 400 "INVALID_EVENTS",
    InvalidExpiry = 400 "INVALID_EXPIRY",
    InvalidImage = 400 "INVALID_IMAGE",
    InvalidInvitationToken = 404 "INVALID_TOKEN",
    InvalidLogo = 400 "INVALID_LOGO",
    InvalidMaxUses = 400 "INVALID_MAX_USES",
    InvalidMetadata = 400 "INVALID_METADATA",
    InvalidName = 400 "INVALID_NAME",
    InvalidOrganizationName = 400 "INVALID_ORGANIZATION_NAME",
    InvalidOrigin = 403 "INVALID_ORIGIN",
    InvalidPassword = 400 "INVALID_PASSWORD",
    InvalidQuery = 400 "INVALID_QUERY",
    InvalidRedirectUri = 400 "INVALID_REDIRECT_URI",
    InvalidRedirectUrl = 400 "INVALID_REDIRECT_URL",
    InvalidRequestBody = 400 "INVALID_REQUEST_BODY",
    InvalidResource = 400 "INVALID_RESOURCE",
    InvalidRole = 400 "INVALID_ROLE",
    InvalidRoleName = 400 "INVALID_ROLE_NAME",
    InvalidScope = 400 "INVALID_SCOPE",
    InvalidSlug = 400 "INVALID_SLUG",
    InvalidStatus = 400 "INVALID_STATUS",
    InvalidTeamName = 400 "INVALID_TEAM_NAME",
    InvalidToken = 400 "INVALID_TOKEN",
    InvalidTokenType = 400 "INVALID_TOKEN_TYPE",
    InvalidTwoFactorCookie = 401 "INVALID_TWO_FACTOR_COOKIE",
    InvalidUrl = 400 "INVALID_URL",
    InvitationAlreadyUsedByYou = 409 "INVITATION_ALREADY_USED_BY_YOU",
    InvitationCanceled = 410 "INVITATION_CANCELED",
    InvitationExpired = 410 "INVITATION_EXPIRED",
    InvitationLimitReached = 403 "INVITATION_LIMIT_REACHED",
    InvitationLinkNotFound = 404 "INVITATION_NOT_FOUND",
    InvitationNotFound = 400 "INVITATION_NOT_FOUND",
    InvitationNotPending = 409 "INVITATION_NOT_PENDING",
    InvitationRejected = 410 "INVITATION_REJECTED",
    InvitationUsed = 410 "INVITATION_USED",
    InviterNoLongerAllowed = 410 "INVITER_NO_LONGER_ALLOWED",
    JoinLinkLimitReached = 403 "JOIN_LINK_LIMIT_REACHED",
    JoinLinkNotFound = 404 "JOIN_LINK_NOT_FOUND",
    JoinRequestAlreadyAnswered = 409 "JOIN_REQUEST_ALREADY_ANSWERED",
    JoinRequestAlreadyPending = 409 "JOIN_REQUEST_ALREADY_PENDING",
    JoinRequestNotFound = 404 "JOIN_REQUEST_NOT_FOUND",
    LastOwnerOfOrganization = 409 "LAST_OWNER_OF_ORGANIZATION",
    MemberNotFound = 400 "MEMBER_NOT_FOUND",
    MissingField = 400 "MISSING_FIELD",
    NetworkError = 0 "NETWORK_ERROR",
    NoAccountToAdd = 400 "USER_NOT_FOUND",
    NoActiveOrganization = 400 "NO_ACTIVE_ORGANIZATION",
    NoActiveTeam = 400 "NO_ACTIVE_TEAM",
    NoDomainInvitesYou = 403 "NO_DOMAIN_INVITES_YOU",
    NotAMemberOfThisOrganization = 403 "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
    NotAMemberOfThisTeam = 403 "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
    NotAllowedWhileImpersonating = 403 "NOT_ALLOWED_WHILE_IMPERSONATING",
    NotFound = 404 "NOT_FOUND",
    NotImpersonating = 400 "NOT_IMPERSONATING",
    OnlyOwnersManageDomains = 403 "ONLY_OWNERS_MANAGE_DOMAINS",
    OrganizationDeletionDisabled = 403 "ORGANIZATION_DELETION_DISABLED",
    OrganizationMembershipLimitReached = 403 "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED",
    OrganizationNotFound = 400 "ORGANIZATION_NOT_FOUND",
    OrganizationSlugAlreadyTaken = 400 "ORGANIZATION_SLUG_ALREADY_TAKEN",
    PasswordNotAllowed = 400 "PASSWORD_NOT_ALLOWED",
    PasswordTooLong = 400 "PASSWORD_TOO_LONG",
    PasswordTooShort = 400 "PASSWORD_TOO_SHORT",
    PasswordsDoNotMatch = 400 "PASSWORDS_DO_NOT_MATCH",
    PrivateAddressNotAllowed = 400 "PRIVATE_ADDRESS_NOT_ALLOWED",
    PublicClientHasNoSecret = 400 "PUBLIC_CLIENT_HAS_NO_SECRET",
    RoleAlreadyGranted = 409 "ROLE_ALREADY_GRANTED",
    RoleChanged = 409 "ROLE_CHANGED",
    RoleChangesUseSetRole = 400 "ROLE_CHANGES_USE_SET_ROLE",
    RoleIsAssignedToMembers = 400 "ROLE_IS_ASSIGNED_TO_MEMBERS",
    RoleIsOfferedByInvitations = 400 "ROLE_IS_OFFERED_BY_INVITATIONS",
    RoleNameIsAlreadyTaken = 400 "ROLE_NAME_IS_ALREADY_TAKEN",
    RoleNameTooLong = 400 "ROLE_NAME_TOO_LONG",
    RoleNotFound = 400 "ROLE_NOT_FOUND",
    RoleWouldBeLowered = 409 "ROLE_WOULD_BE_LOWERED",
    ServiceUnavailable = 503 "SERVICE_UNAVAILABLE",
    SessionNotFound = 404 "SESSION_NOT_FOUND",
    SignUpRequiresInvitation = 403 "SIGN_UP_REQUIRES_INVITATION",
    TeamAlreadyExists = 400 "TEAM_ALREADY_EXISTS",
    TeamMemberLimitReached = 400 "TEAM_MEMBER_LIMIT_REACHED",
    TeamNotFound = 400 "TEAM_NOT_FOUND",
    TeamsDisabled = 404 "TEAMS_DISABLED",
    TooManyAttemptsRequestNewCode = 429 "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE",
    TooManyEmails = 400 "TOO_MANY_EMAILS",
    TooManyEvents = 400 "TOO_MANY_EVENTS",
    TooManyMemberRoles = 400 "TOO_MANY_MEMBER_ROLES",
    TooManyPermissions = 400 "TOO_MANY_PERMISSIONS",
    TooManyRequests = 429 "TOO_MANY_REQUESTS",
    TooManyRoles = 400 "TOO_MANY_ROLES",
    TransactionConflict = 503 "TRANSACTION_CONFLICT",
    TwoFactorAlreadyEnabled = 400 "TWO_FACTOR_ALREADY_ENABLED",
    TwoFactorNotEnabled = 400 "TWO_FACTOR_NOT_ENABLED",
    TwoFactorRequired = 403 "TWO_FACTOR_REQUIRED",
    UnableToRemoveLastTeam = 400 "UNABLE_TO_REMOVE_LAST_TEAM",
    Unauthorized = 401 "UNAUTHORIZED",
    UnexpectedResponse = 500 "UNEXPECTED_RESPONSE",
    UnknownAction = 400 "UNKNOWN_ACTION",
    UserAlreadyExists = 409 "USER_ALREADY_EXISTS",
    UserAlreadyExistsPleaseSignIn = 422 "USER_ALREADY_EXISTS_PLEASE_SIGN_IN",
    UserAlreadyExistsUseAnotherEmail = 422 "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    UserAlreadyHasPassword = 409 "USER_ALREADY_HAS_PASSWORD",
    UserIsAlreadyAMemberOfThisOrganization = 400 "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
    UserIsAlreadyInvitedToThisOrganization = 400 "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
    UserIsNotAMemberOfTheOrganization = 400 "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
    UserIsNotAMemberOfTheTeam = 400 "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
    UserNotFound = 404 "USER_NOT_FOUND",
    WebhookFromConfig = 409 "WEBHOOK_FROM_CONFIG",
    WebhookNotFound = 404 "WEBHOOK_NOT_FOUND",
    YouAreNotAMemberOfThisOrganization = 403 "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION",
    YouAreNotAllowedToAccessThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION",
    YouAreNotAllowedToCancelThisInvitation = 403 "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION",
    YouAreNotAllowedToCreateANewOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION",
    YouAreNotAllowedToCreateANewTeamMember = 403 "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER",
    YouAreNotAllowedToCreateARole = 403 "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE",
    YouAreNotAllowedToCreateTeamsInThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION",
    YouAreNotAllowedToDeleteARole = 403 "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE",
    YouAreNotAllowedToDeleteTeamsInThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION",
    YouAreNotAllowedToDeleteThisMember = 403 "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER",
    YouAreNotAllowedToDeleteThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
    YouAreNotAllowedToInviteUserWithThisRole = 403 "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
    YouAreNotAllowedToInviteUsersToThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
    YouAreNotAllowedToListARole = 403 "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE",
    YouAreNotAllowedToListInvitations = 403 "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS",
    YouAreNotAllowedToRemoveATeamMember = 403 "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER",
    YouAreNotAllowedToSetUsersPassword = 403 "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
    YouAreNotAllowedToUpdateARole = 403 "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE",
    YouAreNotAllowedToUpdateThisMember = 403 "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
    YouAreNotAllowedToUpdateThisOrganization = 403 "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
    YouAreNotAllowedToUpdateThisTeam = 403 "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM",
    YouAreNotTheRecipientOfTheInvitation = 403 "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
    YouCannotAddYourselfToAnOrganization = 403 "YOU_CANNOT_ADD_YOURSELF_TO_AN_ORGANIZATION",
    YouCannotBanYourself = 400 "YOU_CANNOT_BAN_YOURSELF",
    YouCannotImpersonateYourself = 400 "YOU_CANNOT_IMPERSONATE_YOURSELF",
    YouCannotLeaveTheOrganizationAsTheOnlyOwner = 400 "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
    YouCannotLeaveTheOrganizationWithoutAnOwner = 400 "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER",
    YouCannotRemoveYourself = 400 "YOU_CANNOT_REMOVE_YOURSELF",
    YouHaveReachedTheMaximumNumberOfOrganizations = 403 "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS",
    YouHaveReachedTheMaximumNumberOfTeams = 400 "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS",
}

impl Code {
    /// The code a wire text names: the first in the table when two
    /// conditions share a text (the client needs only the text).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Code {}

impl std::hash::Hash for Code {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    /// A text this build does not know (a newer server's) reads as an
    /// unexpected response rather than failing the whole answer.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Self::parse(&text).unwrap_or(Code::UnexpectedResponse))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// The `resource:action` permissions a caller lacked for what they
    /// tried to grant (a custom role's), as Better Auth names them.
    #[serde(
        rename = "missingPermissions",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub missing_permissions: Option<Vec<String>>,
    /// Seconds until a refused request may succeed: the `Retry-After`
    /// header of a 429.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            missing_permissions: None,
            retry_after: None,
        }
    }

    /// Not part of the body: the status goes on the response line.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            Code::TooManyRequests,
            "Too many requests. Please try again later.",
        )
    }

    /// A 429 saying what was spent, and when to come back.
    pub fn too_many(code: Code, message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(code, message)
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(Code::Unauthorized, "You need to sign in first.")
    }

    /// The database is out of reach; the request may succeed later.
    pub fn unavailable() -> Self {
        Self::new(
            Code::ServiceUnavailable,
            "The service is temporarily unavailable. Please try again in a moment.",
        )
    }

    /// A transaction the database aborted to break a deadlock, after every
    /// retry (`server::db::retrying`): the request may succeed if sent again.
    pub fn transaction_conflict() -> Self {
        Self::new(
            Code::TransactionConflict,
            "Another change got in the way. Please try again.",
        )
    }

    /// What the client sees for any failure of ours; the cause goes to the log.
    pub fn internal() -> Self {
        Self::new(
            Code::InternalServerError,
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server, failing to deserialize can only concern the
            // request: its body or query did not fit the endpoint's input.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(reason) | ServerFnErrorErr::Deserialization(reason) => {
                Self::new(
                    Code::InvalidRequestBody,
                    format!("The request body is not valid for this endpoint: {reason}"),
                )
            }
            ServerFnErrorErr::MissingArg(field) => Self::new(
                Code::MissingField,
                format!("The field `{field}` is required."),
            ),
            ServerFnErrorErr::Request(reason) => Self::new(
                Code::NetworkError,
                format!("Could not reach the server: {reason}"),
            ),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                Self::internal()
            }
        }
    }

    /// Runs on the server while the response is being built, inside the
    /// request's reactive owner: the one place where an error's status is put
    /// on the response, for errors of ours and the framework's alike.
    fn ser(&self) -> server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            let status = http::StatusCode::from_u16(self.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            options.set_status(status);
            if let Some(secs) = self.retry_after {
                options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
        serde_json::to_vec(self).unwrap_or_default().into()
    }

    fn de(data: server_fn::Bytes) -> Self {
        serde_json::from_slice(&data).unwrap_or_else(|_| {
            Self::new(
                Code::UnexpectedResponse,
                String::from_utf8_lossy(&data).into_owned(),
            )
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Better Auth's answer to a request that returns nothing else:
/// `{ "status": true }`, sometimes with a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub status: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_upper_snake_case_with_a_real_status() {
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{code:?}: {text}"
            );
            let status = code.status();
            assert!(
                status == 0 || (400..600).contains(&status),
                "{code:?}: {status}"
            );
        }
    }

    #[test]
    fn codes_travel_as_their_text() {
        let e = ApiError::new(Code::InvitationNotFound, "gone");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": "INVITATION_NOT_FOUND", "message": "gone" })
        );
        let back: ApiError = serde_json::from_value(json).unwrap();
        assert_eq!(back.code, Code::InvitationNotFound);
        let unknown: ApiError =
            serde_json::from_value(serde_json::json!({ "code": "NEWER", "message": "m" })).unwrap();
        assert_eq!(unknown.code, Code::UnexpectedResponse);
    }

    #[test]
    fn a_shared_text_is_two_conditions_with_their_own_statuses() {
        assert_eq!(
            Code::InvalidToken.as_str(),
            Code::InvalidInvitationToken.as_str()
        );
        assert_eq!(Code::InvalidToken.status(), 400);
        assert_eq!(Code::InvalidInvitationToken.status(), 404);
        assert_eq!(Code::EmailBudgetSpent.status(), 429);
        assert_eq!(Code::TooManyEmails.status(), 400);
    }

    #[test]
    fn one_variant_a_text_and_status() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert((code.as_str(), code.status())),
                "two variants for {} {}",
                code.as_str(),
                code.status()
            );
        }
    }
}
