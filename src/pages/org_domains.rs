//! The settings tab's verified domains (issue 26): owners add a domain,
//! prove it by a DNS record or an emailed code, choose what it does for
//! people with an address there, and remove it; admins see them. Plain
//! forms, no island: the forms layer (`pages::forms`) posts them and the
//! tab loads again, with the error if one came back.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    invitations::domains::Mode,
    organizations::domains::{
        list_domains, AddDomain, DomainView, ListDomainsQuery, RemoveDomain, SetDomainPolicy,
        VerifyDomain,
    },
    pages::forms::take_flash,
    ui::{Alert, FormReturn, Tone, DANGER_BUTTON, INPUT, LABEL, SMALL_BUTTON},
};

fn mode_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Manual => "Nothing: only claim the domain",
        Mode::Suggest => "Suggest: they may ask to join",
        Mode::AutoInvite => "Invite: they find an invitation",
        Mode::AutoJoin => "Join: they become members at once",
    }
}

#[component]
pub fn DomainsSection(
    organization_id: String,
    slug: String,
    owner: bool,
    roles: Vec<String>,
) -> impl IntoView {
    let add = owner.then(|| {
        let back = format!("/orgs/{slug}/settings");
        view! { <AddDomainForm organization_id=organization_id.clone() back /> }
    });
    let domains = Resource::new(
        move || organization_id.clone(),
        |id| {
            list_domains(ListDomainsQuery {
                organization_id: Some(id),
            })
        },
    );
    let back = format!("/orgs/{slug}/settings");
    // Not the two-factor form's, nor a named form's: they show their own.
    let flash = take_flash().filter(|f| {
        f.form().is_none()
            && !f
                .values
                .iter()
                .any(|(n, _)| n == crate::pages::orgs::TWO_FACTOR_FIELD)
    });
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm lg:col-span-2" aria-labelledby="domains-heading" data-testid="domains">
            <h2 id="domains-heading" class="font-semibold text-slate-900">"Verified domains"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Prove that an email domain is your organization's, then choose what it does for people who have a verified address there."
            </p>
            {flash.map(|f| view! { <div class="mt-4"><Alert tone=Tone::Error>{f.error.message}</Alert></div> })}
            <Suspense fallback=|| ()>
                {
                    let (back, roles) = (back.clone(), roles.clone());
                    move || {
                        let (back, roles) = (back.clone(), roles.clone());
                        domains.get().map(move |r| match r {
                            Ok(all) if all.is_empty() => view! {
                                <p class="mt-4 text-sm text-slate-500">"No domains yet."</p>
                            }.into_any(),
                            Ok(all) => view! {
                                <ul class="mt-4 flex flex-col gap-3">
                                    {all.into_iter().map(|d| view! {
                                        <DomainItem domain=d owner roles=roles.clone() back=back.clone() />
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <div class="mt-4"><Alert tone=Tone::Error>{e.message}</Alert></div> }.into_any(),
                        })
                    }
                }
            </Suspense>
            {add}
        </section>
    }
}

#[component]
fn AddDomainForm(organization_id: String, back: String) -> impl IntoView {
    view! {
        <form method="post" action=AddDomain::PATH aria-label="Add a domain" class="mt-5 border-t border-slate-100 pt-4">
            <FormReturn back=back.clone() next=back />
            <input type="hidden" name="organizationId" value=organization_id />
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                <div>
                    <label for="domain-new" class=LABEL>"Domain"</label>
                    <input id="domain-new" name="domain" required placeholder="example.com" autocomplete="off" spellcheck="false" class=INPUT />
                </div>
                <div>
                    <label for="domain-email" class=LABEL>
                        "Email a code to"<span class="font-normal text-slate-500">" (optional)"</span>
                    </label>
                    <input id="domain-email" name="email" type="email" placeholder="it@example.com" aria-describedby="domain-email-hint" class=INPUT />
                </div>
            </div>
            <p id="domain-email-hint" class="mt-1 text-xs text-slate-500">
                "Without an address, you prove the domain by publishing a DNS record."
            </p>
            <div class="mt-3 flex flex-wrap gap-2">
                <button type="submit" name="method" value="dns" class=SMALL_BUTTON>"Add with a DNS record"</button>
                <button type="submit" name="method" value="email" class=SMALL_BUTTON>"Add and email a code"</button>
            </div>
        </form>
    }
}

#[component]
fn DomainItem(domain: DomainView, owner: bool, roles: Vec<String>, back: String) -> impl IntoView {
    let d = domain;
    let verified = d.status == "verified";
    let badge = if verified {
        view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"Verified"</span> }
    } else {
        view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">"Not verified yet"</span> }
    };
    let remove = owner.then(|| {
        view! {
            <form method="post" action=RemoveDomain::PATH>
                <FormReturn back=back.clone() next=back.clone() />
                <input type="hidden" name="domainId" value=d.id.clone() />
                <button type="submit" class=DANGER_BUTTON aria-label=format!("Remove {}", d.domain)>"Remove"</button>
            </form>
        }
    });
    let body = if verified {
        view! { <Policy domain=d.clone() owner roles back=back.clone() /> }.into_any()
    } else {
        view! { <Proof domain=d.clone() owner back=back.clone() /> }.into_any()
    };
    view! {
        <li class="rounded-lg border border-slate-200 p-4" data-testid="domain">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <p class="flex items-center gap-2">
                    <span class="font-medium text-slate-900">{d.domain.clone()}</span>
                    {badge}
                </p>
                {remove}
            </div>
            {body}
        </li>
    }
}

/// A pending domain: the record to publish and the check, or the code.
#[component]
fn Proof(domain: DomainView, owner: bool, back: String) -> impl IntoView {
    let d = domain;
    let record = d.dns_record.clone().map(|r| {
        view! {
            <dl class="mt-2 grid grid-cols-1 gap-1 text-sm sm:grid-cols-[auto_1fr] sm:gap-x-3">
                <dt class="text-slate-500">"Type"</dt><dd class="font-mono">{r.kind}</dd>
                <dt class="text-slate-500">"Name"</dt><dd class="break-all font-mono" data-testid="dns-name">{r.name}</dd>
                <dt class="text-slate-500">"Value"</dt><dd class="break-all font-mono" data-testid="dns-value">{r.value}</dd>
            </dl>
        }
    });
    let code_id = format!("domain-code-{}", d.id);
    let code = d.code_sent_to.clone().map(|to| {
        view! {
            <form method="post" action=VerifyDomain::PATH class="mt-3 flex flex-wrap items-end gap-2">
                <FormReturn back=back.clone() next=back.clone() />
                <input type="hidden" name="domainId" value=d.id.clone() />
                <div>
                    <label for=code_id.clone() class=LABEL>{format!("Code sent to {to}")}</label>
                    <input id=code_id name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required class=INPUT />
                </div>
                <button type="submit" class=SMALL_BUTTON>"Verify code"</button>
            </form>
            <form method="post" action=AddDomain::PATH class="mt-2">
                <FormReturn back=back.clone() next=back.clone() />
                <input type="hidden" name="organizationId" value=d.organization_id.clone() />
                <input type="hidden" name="domain" value=d.domain.clone() />
                <input type="hidden" name="method" value="email" />
                <input type="hidden" name="email" value=to />
                <button type="submit" class="text-sm text-indigo-700 underline underline-offset-2 hover:text-indigo-600">"Send a new code"</button>
            </form>
        }
    });
    view! {
        <div class="mt-2 text-sm text-slate-700">
            <p>"Publish this TXT record at your DNS provider, then check it. It can take a few minutes to show."</p>
            {record}
            {owner.then(|| view! {
                <form method="post" action=VerifyDomain::PATH class="mt-3">
                    <FormReturn back=back.clone() next=back.clone() />
                    <input type="hidden" name="domainId" value=d.id.clone() />
                    <button type="submit" class=SMALL_BUTTON>"Check DNS record"</button>
                </form>
                {code}
            })}
        </div>
    }
}

/// A verified domain: what it does, which owners change.
#[component]
fn Policy(domain: DomainView, owner: bool, roles: Vec<String>, back: String) -> impl IntoView {
    let d = domain;
    let mode = Mode::parse(&d.mode).unwrap_or(Mode::Manual);
    if !owner {
        return view! {
            <p class="mt-2 text-sm text-slate-600">
                {mode_label(mode)}{(mode != Mode::Manual).then(|| format!(", as {}", d.role.replace(',', " and ")))}
            </p>
        }
        .into_any();
    }
    let (mode_id, role_id) = (format!("mode-{}", d.id), format!("role-{}", d.id));
    let current_role = d.role.split(',').next().unwrap_or("member").to_owned();
    view! {
        <form method="post" action=SetDomainPolicy::PATH class="mt-3 flex flex-wrap items-end gap-2" aria-label=format!("Policy for {}", d.domain)>
            <FormReturn back=back.clone() next=back />
            <input type="hidden" name="domainId" value=d.id.clone() />
            <div class="min-w-0">
                <label for=mode_id.clone() class=LABEL>{format!("People at @{}", d.domain)}</label>
                <select id=mode_id name="mode" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-2 text-sm">
                    {Mode::ALL.into_iter().map(|m| view! {
                        <option value=m.as_str() selected=m == mode>{mode_label(m)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for=role_id.clone() class=LABEL>"As"</label>
                <select id=role_id name="roles" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-2 text-sm">
                    {roles.into_iter().map(|r| {
                        let selected = r == current_role;
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class=SMALL_BUTTON>"Save"</button>
        </form>
    }
    .into_any()
}
