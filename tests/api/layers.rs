//! The shape of `src/`, kept by a test: every room (a top-level module) may
//! import only rooms on floors below its own, so no import runs upwards and
//! no two rooms import each other, directly or through others.
//!
//! The floors, top to bottom (a room may use anything on a lower floor):
//!
//! ```text
//! startup                     router, background jobs, serve and shut down
//! app                         the HTML shell and the routes
//! pages                       one module per page
//! apps                        the OpenID Connect provider: apps, sign-ins, tokens
//! users organizations         features: their server functions and services
//!   webhooks admin
//! invitations                 the invitations core: every kind's secret, status,
//!                             next step, store and use; role invitations
//! accounts                    accounts, sessions, sign-up
//! email                       the outbox and its templates
//! context                     what a server function reads of its request
//! config                      settings, each section checking itself
//! audit                       the audit log: written in every change, published
//!                             to webhook endpoints, read
//! ui                          view pieces every page shares
//! access                      who may do what and grant what, in both scopes (pure)
//! server                      the ground: db, clock, crypto, shutdown, HTTP layers
//! error secret                the API error and secret values
//! ```
//!
//! Rooms on one floor may not import each other: that is how a circle would
//! start. `main.rs` (the command line) stands above everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FLOORS: &[&[&str]] = &[
    &["main"],
    &["startup"],
    &["app"],
    &["pages"],
    &["apps"],
    &["users", "organizations", "webhooks", "admin"],
    &["invitations"],
    &["accounts"],
    &["email"],
    &["context"],
    &["config"],
    &["audit"],
    &["ui"],
    &["access"],
    &["server"],
    &["error", "secret"],
];

#[test]
fn imports_run_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let arrows = room_arrows(&src);
    let floor: BTreeMap<&str, usize> = FLOORS
        .iter()
        .enumerate()
        .flat_map(|(i, rooms)| rooms.iter().map(move |r| (*r, i)))
        .collect();

    let mut wrong = Vec::new();
    for (from, tos) in &arrows {
        let Some(&f) = floor.get(from.as_str()) else {
            wrong.push(format!("{from}: a room on no floor (add it to FLOORS)"));
            continue;
        };
        for (to, file) in tos {
            let Some(&t) = floor.get(to.as_str()) else {
                wrong.push(format!("{to}: a room on no floor (add it to FLOORS)"));
                continue;
            };
            if t <= f {
                wrong.push(format!("{from} -> {to}  (first seen in {file})"));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "imports against the floors written at the top of tests/api/layers.rs:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn no_room_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let arrows = room_arrows(&src);
    // Depth-first search for a back edge.
    let graph: BTreeMap<&str, Vec<&str>> = arrows
        .iter()
        .map(|(from, tos)| (from.as_str(), tos.keys().map(String::as_str).collect()))
        .collect();
    let mut state: BTreeMap<&str, bool> = BTreeMap::new(); // false: on the path
    let mut path = Vec::new();
    for room in graph.keys() {
        if let Some(circle) = find_circle(room, &graph, &mut state, &mut path) {
            panic!("an import circle: {}", circle.join(" -> "));
        }
    }
}

fn find_circle<'a>(
    room: &'a str,
    graph: &BTreeMap<&'a str, Vec<&'a str>>,
    state: &mut BTreeMap<&'a str, bool>,
    path: &mut Vec<&'a str>,
) -> Option<Vec<&'a str>> {
    match state.get(room) {
        Some(true) => return None,
        Some(false) => {
            let start = path.iter().position(|r| *r == room).unwrap_or(0);
            let mut circle = path[start..].to_vec();
            circle.push(room);
            return Some(circle);
        }
        None => {}
    }
    state.insert(room, false);
    path.push(room);
    for next in graph.get(room).into_iter().flatten() {
        if let Some(circle) = find_circle(next, graph, state, path) {
            return Some(circle);
        }
    }
    path.pop();
    state.insert(room, true);
    None
}

#[test]
fn the_reader_sees_every_form_of_import() {
    let code = r#"
        //! Docs naming crate::docs are not imports.
        use crate::{alpha::{A, B}, beta};
        use crate::gamma::C;
        fn f() { crate::delta::run(); let s = "crate::strings"; }
        /* crate::block */
        use gatehouse::epsilon;
    "#;
    let rooms: BTreeSet<String> = imported_rooms(code).into_iter().collect();
    let want: BTreeSet<String> = ["alpha", "beta", "gamma", "delta", "epsilon"]
        .map(String::from)
        .into();
    assert_eq!(rooms, want);
}

/// One function creates accounts (`accounts::create::create_account`): no
/// other file of `src/` inserts a user.
#[test]
fn accounts_are_created_in_one_place() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut elsewhere = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src").to_path_buf();
        if relative == Path::new("accounts/store.rs") {
            continue; // where the insert is written
        }
        let raw = std::fs::read_to_string(&file).expect("source");
        let calls = without_comments_and_strings(&raw).contains("insert_user(")
            && relative != Path::new("accounts/create.rs");
        if calls || raw.contains("insert into users") {
            elsewhere.push(relative.display().to_string());
        }
    }
    assert!(
        elsewhere.is_empty(),
        "accounts made outside accounts::create::create_account: {elsewhere:?}"
    );
}

/// Services take plain values; only server functions (a module's
/// `mod.rs`), request handlers and pages read the request. `context.rs`
/// defines it, `accounts/sessions.rs` adds who is signed in to it.
#[test]
fn only_server_functions_and_handlers_read_the_request() {
    const READERS: [&str; 7] = [
        "context.rs",
        "accounts/sessions.rs",
        "users/access.rs",   // the header's `get_access` server function
        "webhooks/form.rs",  // the no-JavaScript forms' handler
        "apps/routes.rs",    // the OpenID Connect endpoints' handlers
        "apps/form.rs",      // the no-JavaScript forms of /admin/apps
        "accounts/flash.rs", // those forms' outcome, sealed for their page
    ];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut services = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let reader = relative.ends_with("mod.rs")
            || relative.starts_with("pages")
            || READERS.iter().any(|r| relative == Path::new(r));
        let code = without_comments_and_strings(&std::fs::read_to_string(&file).expect("source"));
        if !reader && code.contains("RequestContext") {
            services.push(relative.display().to_string());
        }
    }
    assert!(
        services.is_empty(),
        "services that read the request instead of taking plain values: {services:?}"
    );
}

/// Room -> the rooms it imports, each with the first file that does.
fn room_arrows(src: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut arrows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        let room = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_owned())
            .expect("a room");
        if room == "lib" {
            continue;
        }
        let code = std::fs::read_to_string(&file).expect("readable source");
        let tos = arrows.entry(room.clone()).or_default();
        for to in imported_rooms(&code) {
            if to != room {
                tos.entry(to)
                    .or_insert_with(|| relative.display().to_string());
            }
        }
    }
    arrows
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The first segment of every `crate::` (or `gatehouse::`) path in `code`,
/// with comments and string literals left out.
fn imported_rooms(code: &str) -> Vec<String> {
    let code = without_comments_and_strings(code);
    let mut rooms = Vec::new();
    for prefix in ["crate::", "gatehouse::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                rooms.extend(group_heads(group));
            } else {
                rooms.push(ident(rest));
            }
        }
    }
    rooms.retain(|r| !r.is_empty() && r != "self");
    rooms
}

/// The first segment of each path in a `{...}` use group (the text after its
/// opening brace).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect_head = true,
            c if expect_head && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                heads.push(ident(&group[i..]));
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn without_comments_and_strings(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if code[i..].starts_with("//") {
            i += code[i..].find('\n').unwrap_or(code.len() - i);
        } else if code[i..].starts_with("/*") {
            i += code[i..].find("*/").map_or(code.len() - i, |end| end + 2);
        } else if code[i..].starts_with("r#\"") {
            i += 3 + code[i + 3..]
                .find("\"#")
                .map_or(code.len() - i - 3, |end| end + 2);
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if bytes[i] == b'\'' && code[i..].chars().nth(2) == Some('\'') {
            // A char literal such as '"' would otherwise open a string.
            i += 1 + code[i + 1..].chars().next().map_or(1, char::len_utf8) + 1;
        } else if code[i..].starts_with("'\\") {
            i += 2 + code[i + 2..].find('\'').map_or(0, |end| end + 1);
        } else {
            let c = code[i..].chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}
