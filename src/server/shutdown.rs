//! The signals of this node's background work: the stop signal, which
//! `startup` sends once and the server, both senders and the maintenance
//! job each wait for to finish what they hold, and the wake-up a sender
//! gets when there is work.

use std::sync::Arc;

use tokio::sync::{watch, Notify};

/// Resolves once a shutdown is asked for. A `Running` that is dropped
/// instead (tests do) leaves its server running for the life of the runtime.
pub async fn stop_requested(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Wakes a background sender of this node, e.g. right after a message was
/// queued.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        // A permit is kept when the sender is busy, so no wake-up is lost.
        self.0.notify_one();
    }

    /// Resolves at the next wake-up (or at once for one kept meanwhile).
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
