//! The executor Leptos runs a page's async work on. Every `Resource` of a
//! page is a spawned task, and most of them need no waiting at all: for
//! someone signed out, the session, their organizations and what their
//! role may do are known at once. On tokio such a task still costs a spawn
//! and a wake-up of the page's render, often on the other worker thread.
//! So a future is polled once where it is spawned, and only one that
//! must wait becomes a task: the invitation page renders about 10 % more
//! often under load (README, Performance). That is sound by `Future`'s contract: a
//! future that returns `Pending` registers the waker of its latest poll,
//! which is tokio's from then on.

use std::task::{Context, Waker};

use any_spawner::{CustomExecutor, PinnedFuture, PinnedLocalFuture};

struct ReadyFirst;

impl CustomExecutor for ReadyFirst {
    fn spawn(&self, mut future: PinnedFuture<()>) {
        let mut cx = Context::from_waker(Waker::noop());
        if future.as_mut().poll(&mut cx).is_pending() {
            tokio::spawn(future);
        }
    }

    fn spawn_local(&self, future: PinnedLocalFuture<()>) {
        tokio::task::spawn_local(future);
    }

    fn poll_local(&self) {}
}

/// Makes `ReadyFirst` Leptos's executor, before `leptos_axum` would set
/// plain tokio (it keeps the first one set). Called again, it changes
/// nothing.
pub fn install() {
    let _ = any_spawner::Executor::init_custom_executor(ReadyFirst);
}
