//! `/invite/{token}/qr` and `/join/{token}/qr`: a printable card with a
//! shareable link's QR code, what it lets people into, and the address for
//! whoever cannot scan. Printing leaves the header out.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::{
    pages::invite::{use_invitation, AnyInvitation},
    ui::{format_time, Alert, Tone, LINK},
};

/// What the card says: the heading, the role line, the expiry.
struct Words {
    title: String,
    role: String,
    until: String,
}

fn words(any: &AnyInvitation) -> Words {
    match any {
        AnyInvitation::Role(p) => Words {
            title: "Join Gatehouse".to_owned(),
            role: p.invitation.role.clone(),
            until: p.invitation.expires_in.clone(),
        },
        AnyInvitation::Organization(j) => Words {
            title: format!("Join {}", j.preview.organization_name),
            role: j.preview.role.replace(',', " and "),
            until: format!("valid until {}", format_time(&j.preview.expires_at)),
        },
        AnyInvitation::JoinLink(j) => Words {
            title: format!("Join {}", j.preview.organization_name),
            role: j.preview.role.replace(',', " and "),
            until: format!("valid until {}", format_time(&j.preview.expires_at)),
        },
    }
}

#[component]
pub fn QrCardPage() -> impl IntoView {
    // `/invite/…/qr` or `/join/…/qr`: the card shows the link it was opened from.
    let page = use_location().pathname.get_untracked();
    let link_path = page.trim_end_matches("/qr").to_owned();
    // The address in full, for whoever types it rather than scans it.
    let address = crate::context::RequestContext::current()
        .map(|cx| cx.config().link(&link_path))
        .unwrap_or_else(|_| link_path.clone());
    let card = match use_invitation() {
        Ok(any) => {
            let w = words(&any);
            view! {
                <article class="mx-auto max-w-md rounded-2xl border-2 border-slate-900 bg-white p-8 text-center print:border-0" data-testid="qr-card">
                    <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{w.title}</h1>
                    <p class="mt-1 text-slate-700">"as "<strong>{w.role}</strong></p>
                    <img src=format!("{link_path}/qr.svg") alt="QR code of the link" width="256" height="256" class="mx-auto mt-6 h-64 w-64" />
                    <p class="mt-4 text-sm text-slate-700">"Scan with your phone's camera, or open:"</p>
                    <p class="mt-1 break-all font-mono text-xs text-slate-800" data-testid="qr-card-url">{address}</p>
                    <p class="mt-4 text-xs text-slate-500">{w.until}</p>
                </article>
                <p class="mt-6 text-center text-sm text-slate-600 print:hidden">
                    "Print this page for a card to put up in a room. "
                    <a href=link_path.clone() class=LINK>"Back to the link"</a>
                </p>
            }
            .into_any()
        }
        Err(e) => view! {
            <div class="mx-auto max-w-md"><Alert tone=Tone::Error>{e.message}</Alert></div>
        }
        .into_any(),
    };
    view! {
        <Title text="QR code" />
        {card}
    }
}
