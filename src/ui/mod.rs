//! The few shared pieces every page is built from: layout, card, form field
//! with its error, submit button with a pending state, and alert.

mod times;

pub use times::format_time;

use leptos::prelude::*;

use crate::error::{ApiError, Code};

/// True once the page is interactive. Effects run only in the browser, so
/// this stays false in server-rendered HTML; buttons that need code to work
/// stay disabled until then instead of submitting a bare form.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// Loads the current page again, e.g. to show a list an action changed.
pub fn reload() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().reload();
    }
}

/// The fields of a form being submitted, read from the page when it is
/// sent: an island whose fields are server-rendered children (no signal
/// per field, so less WebAssembly) reads them here.
pub struct Submitted {
    #[cfg(feature = "hydrate")]
    data: Option<web_sys::FormData>,
}

impl Submitted {
    pub fn of(ev: &leptos::ev::SubmitEvent) -> Self {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let data = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
                .and_then(|form| web_sys::FormData::new_with_form(&form).ok());
            Self { data }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            Self {}
        }
    }

    /// A text field's value; empty when absent.
    pub fn text(&self, name: &str) -> String {
        #[cfg(feature = "hydrate")]
        {
            self.data
                .as_ref()
                .and_then(|d| d.get(name).as_string())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            String::new()
        }
    }

    /// Whether a checkbox is ticked.
    pub fn checked(&self, name: &str) -> bool {
        !self.text(name).is_empty()
    }

    /// The text of the file chosen in a file field, if one was.
    pub async fn file_text(&self, name: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = self
                .data
                .as_ref()?
                .get(name)
                .dyn_into::<web_sys::File>()
                .ok()
                .filter(|f| !f.name().is_empty())?;
            wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()?
                .as_string()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            None
        }
    }
}

/// The addresses typed into a form, separated by commas, semicolons,
/// spaces or lines; the server checks each one.
pub fn split_addresses(typed: &str) -> Vec<String> {
    typed
        .split([',', ';', '\n', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What stays as it is in a query value that holds a path: RFC 3986's
/// unreserved characters, and `/` so that the path stays readable.
pub const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// A local path to continue to after signing in, or the dashboard. Only
/// same-site paths are followed, so a link cannot bounce people elsewhere.
pub fn safe_next(candidate: Option<String>) -> String {
    candidate
        .filter(|p| is_local_path(p))
        .unwrap_or_else(|| "/dashboard".to_owned())
}

/// A yes-or-no field: a client's JSON sends a boolean, a plain form's
/// checkbox (`pages::forms`) the text `true` (or `on`), and nothing when
/// unchecked. A checkbox whose unchecked state must be said follows a
/// hidden `false` of the same name: both come as a list, and the last
/// one, the checkbox's when it is ticked, counts.
pub fn form_bool<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Text(String),
        Texts(Vec<String>),
    }
    let text = match Option::<Either>::deserialize(deserializer)? {
        None => return Ok(None),
        Some(Either::Bool(b)) => return Ok(Some(b)),
        Some(Either::Text(t)) => t,
        Some(Either::Texts(list)) => list.into_iter().last().unwrap_or_default(),
    };
    {
        match text.as_str() {
            "true" | "on" => Ok(Some(true)),
            "false" | "off" | "" => Ok(Some(false)),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not true or false"
            ))),
        }
    }
}

/// A whole number from JSON, or from a form's text (empty: none), so one
/// body type serves Better Auth's clients and the pages' plain forms.
pub fn form_number<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(i64),
        Text(String),
    }
    match Option::<Either>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Either::Number(n)) => Ok(Some(n)),
        Some(Either::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Either::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a whole number"))),
    }
}

/// A path on this site. Browsers drop tabs and line breaks inside URLs and
/// read `\\` as `/`, so `/\t/evil.example` would leave the site: any
/// whitespace, control character or backslash disqualifies a path.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[component]
pub fn Card(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="mx-auto w-full max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600">{s}</p> })}
            <div class="mt-6">{children()}</div>
        </section>
    }
}

/// What a field is checked for in the browser before its form is sent
/// (`pages::forms::Enhanced`), by the same rule the server applies. The
/// field carries it as `data-check`, so the island needs no props.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Name,
    Email,
    Password,
    /// The same text as the form's `Password` field.
    Repeat,
    InvitationCode,
}

impl Check {
    const ALL: [Check; 5] = [
        Check::Name,
        Check::Email,
        Check::Password,
        Check::Repeat,
        Check::InvitationCode,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Check::Name => "name",
            Check::Email => "email",
            Check::Password => "password",
            Check::Repeat => "repeat",
            Check::InvitationCode => "invitation-code",
        }
    }

    pub fn from_attr(attr: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == attr)
    }
}

/// A labelled input with its hint and its error right below it, rendered
/// on the server. Its error paragraph is always there, so the form's
/// island can say what its check found (`check`) in the same place.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    /// What was typed before (a failed post brings it back).
    #[prop(optional, into)]
    value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] readonly: bool,
    /// The field may be left empty.
    #[prop(optional)]
    optional: bool,
    #[prop(optional)] check: Option<Check>,
) -> impl IntoView {
    // An empty hint is no hint: callers with a hint only sometimes pass "".
    let hint = hint.filter(|h| !h.is_empty());
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if error.is_some() {
        Some(error_id.clone())
    } else {
        hint.as_ref().map(|_| hint_id.clone())
    };
    view! {
        <div class="mb-4">
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                readonly=readonly
                required=!optional
                aria-invalid=if error.is_some() { "true" } else { "false" }
                aria-describedby=described_by
                data-check=check.map(Check::as_str)
                class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm \
                       focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 \
                       aria-[invalid=true]:border-red-500 read-only:bg-slate-50 read-only:text-slate-600"
                value=value
            />
            {hint.map(|h| view! { <p id=hint_id class="mt-1 text-xs text-slate-500">{h}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-600" role="alert">{error}</p>
        </div>
    }
}

/// The submit button of a form the browser sends itself (`pages::forms`):
/// its island disables it and shows `pending_label` once the form is on
/// its way. The only kind of submit button: every form is sent this way.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] pending_label: String,
) -> impl IntoView {
    view! {
        <button type="submit" data-pending=pending_label class=BUTTON>{label}</button>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Error,
    Success,
    Info,
}

#[component]
pub fn Alert(tone: Tone, children: Children) -> impl IntoView {
    let (classes, role) = match tone {
        Tone::Error => ("border-red-200 bg-red-50 text-red-800", "alert"),
        Tone::Success => (
            "border-emerald-200 bg-emerald-50 text-emerald-800",
            "status",
        ),
        Tone::Info => ("border-sky-200 bg-sky-50 text-sky-800", "status"),
    };
    view! { <div role=role class=format!("mb-4 rounded-md border px-4 py-3 text-sm {classes}")>{children()}</div> }
}

/// `error`'s message, when its code is one of a field's `codes`.
fn field_message(error: Option<&ApiError>, codes: &[Code]) -> Option<String> {
    error
        .filter(|e| codes.contains(&e.code))
        .map(|e| e.message.clone())
}

/// `error`'s message, when none of the form's fields (all of whose codes
/// are `field_codes`) claims it.
fn form_message(error: Option<&ApiError>, field_codes: &[Code]) -> Option<String> {
    error
        .filter(|e| !field_codes.contains(&e.code))
        .map(|e| e.message.clone())
}

/// A form posted without JavaScript that failed, back on its page
/// (`pages::forms`): the error, and what was typed, but never a password
/// or a token.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FormFlash {
    pub error: ApiError,
    pub values: Vec<(String, String)>,
}

impl FormFlash {
    /// What was typed into the field `name`, or nothing.
    pub fn value(flash: &Option<Self>, name: &str) -> String {
        flash
            .iter()
            .flat_map(|f| &f.values)
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The error's message, when its code belongs to a field with `codes`.
    pub fn field_error(flash: &Option<Self>, codes: &[Code]) -> Option<String> {
        field_message(flash.as_ref().map(|f| &f.error), codes)
    }

    /// The error's message, when no field (all of whose codes are
    /// `field_codes`) claims it.
    pub fn form_error(flash: &Option<Self>, field_codes: &[Code]) -> Option<String> {
        form_message(flash.as_ref().map(|f| &f.error), field_codes)
    }

    /// The form that was sent, when it said which it is.
    pub fn form(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == FORM_FIELD)
            .map(|(_, v)| v.as_str())
    }

    /// On a page with several forms: the flash of the one named `form` (its
    /// `FormReturn`'s `form`), and that of any other.
    pub fn split(flash: Option<Self>, form: &str) -> (Option<Self>, Option<Self>) {
        if flash.as_ref().and_then(Self::form) == Some(form) {
            (flash, None)
        } else {
            (None, flash)
        }
    }
}

/// The hidden field that names which of a page's forms was sent; the
/// flash keeps it (`FormFlash::split`), the endpoint never sees it.
pub const FORM_FIELD: &str = "_form";

/// The hidden fields that make a form work without JavaScript (see
/// `pages::forms`): the page to come back to with an error, and where to
/// go once it worked (that same page, unless said).
#[component]
pub fn FormReturn(
    #[prop(into)] back: String,
    /// Where to go once it worked; a `{field}` in it is what was typed
    /// into that field (see `pages::forms`).
    #[prop(optional, into)]
    next: Option<String>,
    /// Which of the page's forms this is, when its error is shown by it.
    #[prop(optional)]
    form: Option<&'static str>,
) -> impl IntoView {
    view! {
        <input type="hidden" name="_back" value=back />
        {next.map(|next| view! { <input type="hidden" name="_next" value=next /> })}
        {form.map(|form| view! { <input type="hidden" name=FORM_FIELD value=form /> })}
    }
}

/// The second step of a change that cannot be undone, without a script: a
/// disclosure named `label` that holds the form, with `question` and the
/// button that makes the change. `children` are the form's hidden fields
/// (its `FormReturn` among them).
#[component]
pub fn Confirm(
    label: &'static str,
    action: &'static str,
    #[prop(optional)] question: Option<&'static str>,
    confirm: &'static str,
    pending: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <details class="open:basis-full">
            <summary class="cursor-pointer text-sm font-medium text-red-700 hover:text-red-600">{label}</summary>
            <form method="post" action=action class="mt-2 flex flex-wrap items-center gap-2">
                {children()}
                {question.map(|q| view! { <span class="text-sm text-slate-700">{q}</span> })}
                <button type="submit" class=DANGER_BUTTON data-pending=pending>{confirm}</button>
            </form>
        </details>
    }
}

/// Copies `text` to the clipboard and says so. Links and codes are shown
/// once; this is how people take them away. The island of the forms
/// (`pages::forms::Enhanced`) around it does the copying: without it, the
/// text stays on screen to copy by hand.
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <button
            type="button"
            data-copy=text
            class="shrink-0 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-60"
        >{label}</button>
    }
}

#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
) -> impl IntoView {
    view! {
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 max-w-3xl text-slate-600">{s}</p> })}
        </div>
    }
}

/// Class lists shared by forms outside the `Field` component.
pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm \
     focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid=true]:border-red-500";
pub const LABEL: &str = "block text-sm font-medium text-slate-800";
/// The main action, full width.
pub const BUTTON: &str = "inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2.5 text-sm font-semibold \
     text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-300 disabled:cursor-not-allowed disabled:opacity-60";
/// A secondary action beside others (a row's controls).
pub const SMALL_BUTTON: &str = "rounded-md border border-slate-300 px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-60";
/// A destructive secondary action.
pub const DANGER_BUTTON: &str = "rounded-md border border-red-200 px-2.5 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60";

pub const LINK: &str =
    "font-medium text-indigo-600 hover:text-indigo-500 underline-offset-2 hover:underline";

/// `base` with the non-empty `query` values and `offset` as its query: the
/// address of one page of a server-rendered list.
pub fn paged_href(base: &str, query: &[(&str, String)], offset: i64) -> String {
    let mut q: Vec<String> = query
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| {
            format!(
                "{name}={}",
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    if offset > 0 {
        q.push(format!("offset={offset}"));
    }
    if q.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", q.join("&"))
    }
}

/// A server-rendered list's status filters, as links, the current one
/// marked: `filters` are (value, label) pairs, `href` the address of each.
#[component]
pub fn StatusLinks(
    filters: &'static [(&'static str, &'static str)],
    #[prop(into)] current: String,
    href: impl Fn(&str) -> String + 'static,
    /// The `nav`'s spacing and gap, which differ from page to page.
    class: &'static str,
) -> impl IntoView {
    view! {
        <nav aria-label="Filter by status" class=format!("flex flex-wrap {class}")>
            {filters.iter().map(|(value, label)| view! {
                <a
                    href=href(value)
                    aria-current=(current == *value).then_some("page")
                    class="rounded-full border border-slate-300 px-3 py-1 text-sm font-medium text-slate-700 hover:bg-white \
                           aria-[current=page]:border-indigo-600 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white"
                >{*label}</a>
            }).collect_view()}
        </nav>
    }
}

/// "1–20 of 57" with links to the pages before and after, for a list
/// rendered on the server (`paged_href`). Nothing at all for an empty list.
#[component]
pub fn PageLinks(
    #[prop(into)] base: String,
    /// The list's filters, kept from page to page.
    query: Vec<(&'static str, String)>,
    offset: i64,
    page_size: i64,
    total: i64,
    /// The labels of the links back and forward ("Newer" / "Older").
    labels: (&'static str, &'static str),
) -> impl IntoView {
    (total > 0).then(|| {
        view! {
            <div class="mt-3 flex items-center justify-between text-sm text-slate-600">
                <span>{format!("{}–{} of {total}", offset + 1, (offset + page_size).min(total))}</span>
                <div class="flex gap-4">
                    {(offset > 0).then(|| view! { <a class=LINK href=paged_href(&base, &query, (offset - page_size).max(0))>{labels.0}</a> })}
                    {(offset + page_size < total).then(|| view! { <a class=LINK href=paged_href(&base, &query, offset + page_size)>{labels.1}</a> })}
                </div>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_on_commas_spaces_and_lines() {
        assert_eq!(
            split_addresses(" ada@example.com,grace@example.com\n\nalan@example.com; x@y.z\t"),
            [
                "ada@example.com",
                "grace@example.com",
                "alan@example.com",
                "x@y.z"
            ]
        );
        assert!(split_addresses(" , \n ").is_empty());
    }

    #[test]
    fn paged_addresses_keep_only_what_says_something() {
        assert_eq!(paged_href("/a", &[], 0), "/a");
        assert_eq!(
            paged_href("/a", &[("status", String::new())], 20),
            "/a?offset=20"
        );
        assert_eq!(
            paged_href(
                "/a",
                &[
                    ("status", "pending".into()),
                    ("search", "ada lovelace&x".into())
                ],
                40
            ),
            "/a?status=pending&search=ada%20lovelace%26x&offset=40"
        );
    }

    #[test]
    fn next_paths_stay_on_this_site() {
        for ok in ["/dashboard", "/invite/abc?x=1", "/a/b#c"] {
            assert_eq!(safe_next(Some(ok.into())), ok);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "https://evil.example",
            "evil",
            "/ /x",
        ] {
            assert_eq!(safe_next(Some(bad.into())), "/dashboard", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
