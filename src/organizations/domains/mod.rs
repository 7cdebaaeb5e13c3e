//! Verified domains (issue 26, SPEC §5 "joining"): an organization's owner
//! claims an email domain and proves it, by a TXT record at
//! `_gatehouse-challenge.<domain>` or by a 6-digit code emailed to an
//! address there. Free-mail domains and domains another organization
//! verified are refused. A verified domain's policy (`Mode`) is a standing
//! invitation of the invitations core to everyone with a verified address
//! there: `suggest` offers them to ask to join (a membership request),
//! `auto_invite` issues them organization invitations, and `auto_join`
//! admits them, with the domain's roles, when they sign up with or verify
//! such an address (the `email_verified` hook, plugged in by `startup`).
//! The roles are granted on the authority of whoever set the policy, as it
//! is now, like every grant.

#[cfg(feature = "ssr")]
mod dns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::requests::JoinRequestView;
use crate::{error::ApiError, invitations::OneOrMany};

/// The TXT record that proves a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Always `TXT`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

/// A domain as its organization's owners and admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainView {
    pub id: String,
    pub organization_id: String,
    pub domain: String,
    /// `pending` or `verified`.
    pub status: String,
    /// `dns` or `email`: how the last challenge was sent.
    pub method: String,
    /// While pending: the record that proves it (either way works).
    pub dns_record: Option<DnsRecord>,
    /// While pending by email: where the code went.
    pub code_sent_to: Option<String>,
    /// `manual`, `suggest`, `auto_invite` or `auto_join`.
    pub mode: String,
    /// The roles people get, comma-separated.
    pub role: String,
    pub verified_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddDomainBody {
    pub organization_id: Option<String>,
    pub domain: Option<String>,
    /// `dns` or `email`.
    pub method: Option<String>,
    /// With `email`: an address at the domain, which gets the code.
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyDomainBody {
    pub domain_id: Option<String>,
    /// The emailed code; without it, the DNS record is looked up.
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDomainsQuery {
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainIdBody {
    pub domain_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetDomainPolicyBody {
    pub domain_id: Option<String>,
    /// `manual`, `suggest`, `auto_invite` or `auto_join`.
    pub mode: Option<String>,
    /// The roles people get; `member` unless said.
    #[serde(alias = "role")]
    pub roles: Option<OneOrMany>,
}

/// A policy set, with what it did to the invitations it issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainPolicyResult {
    pub domain: DomainView,
    /// Invitations issued to people already here with an address there.
    pub invited: u64,
    /// Pending invitations of the former policy, canceled.
    pub canceled: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestToJoinBody {
    pub organization_id: Option<String>,
    pub message: Option<String>,
}

/// An organization that the signed-in person's verified domain suggests
/// they ask to join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainSuggestion {
    pub organization_id: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub domain: String,
}

/// Owners only. Answers the record to publish; with `email`, the code is
/// on its way. Adding a pending domain again sends a new challenge.
#[server(name = AddDomain, prefix = "/api/auth", endpoint = "organization/add-domain", input = leptos::server_fn::codec::Json)]
pub async fn add_domain(#[server(flatten)] body: AddDomainBody) -> Result<DomainView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    let done =
        crate::server::db::retrying(|| service::add(cx.db(), cx.config(), &me, body.clone(), &ip))
            .await?;
    cx.state.mail.wake();
    Ok(done)
}

/// Owners only: with `code`, the emailed code (five wrong tries void it);
/// without, the DNS record.
#[server(name = VerifyDomain, prefix = "/api/auth", endpoint = "organization/verify-domain", input = leptos::server_fn::codec::Json)]
pub async fn verify_domain(
    #[server(flatten)] body: VerifyDomainBody,
) -> Result<DomainView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    service::verify(cx.db(), cx.config(), &me, body, &ip).await
}

/// Owners and admins (`organization:update`).
#[server(name = ListDomains, prefix = "/api/auth", endpoint = "organization/list-domains", input = GetUrl)]
pub async fn list_domains(
    #[server(flatten)] query: ListDomainsQuery,
) -> Result<Vec<DomainView>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::list(cx.db(), &me, query.organization_id).await
}

/// Owners only; the invitations its policy issued are canceled.
#[server(name = RemoveDomain, prefix = "/api/auth", endpoint = "organization/remove-domain", input = leptos::server_fn::codec::Json)]
pub async fn remove_domain(#[server(flatten)] body: DomainIdBody) -> Result<DomainView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::remove(cx.db(), &me, body.clone(), &ip)).await
}

/// Owners only, on a verified domain, with roles they may grant.
#[server(name = SetDomainPolicy, prefix = "/api/auth", endpoint = "organization/set-domain-policy", input = leptos::server_fn::codec::Json)]
pub async fn set_domain_policy(
    #[server(flatten)] body: SetDomainPolicyBody,
) -> Result<DomainPolicyResult, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| {
        service::set_policy(cx.db(), cx.config(), &me, body.clone(), &ip)
    })
    .await
}

/// A person with a verified address at one of the organization's `suggest`
/// domains asks to join; its admins answer on the members tab.
#[server(name = RequestToJoin, prefix = "/api/auth", endpoint = "organization/request-to-join", input = leptos::server_fn::codec::Json)]
pub async fn request_to_join(
    #[server(flatten)] body: RequestToJoinBody,
) -> Result<JoinRequestView, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    let ip = cx.ip();
    crate::server::db::retrying(|| service::request_to_join(cx.db(), &me, body.clone(), &ip)).await
}

/// The dashboard's "Request to join": the organization whose verified
/// domain suggests it to the signed-in person, unless they are in it or
/// asked already.
#[server(name = GetDomainSuggestion, prefix = "/api/auth", endpoint = "gatehouse/domain-suggestion", input = GetUrl)]
pub async fn domain_suggestion() -> Result<Option<DomainSuggestion>, ApiError> {
    let cx = crate::context::RequestContext::current()?;
    let me = cx.signed_in().await?;
    service::suggestion(cx.db(), &me).await
}
