//! The stop signal: `startup` sends it once, and the server, both senders
//! and the maintenance job each wait for it to finish what they hold.

use tokio::sync::watch;

/// Resolves once a shutdown is asked for. A `Running` that is dropped
/// instead (tests do) leaves its server running for the life of the runtime.
pub async fn stop_requested(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
