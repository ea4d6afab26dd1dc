//! The standalone GET stream: opened after `initialize`, it carries server requests and
//! notifications outside any request. It lives as long as its session, reconnects with
//! `Last-Event-ID` when the server closes it, and holds the client only weakly so a dropped
//! client does not keep it (or its connection) alive.

use crate::client::{lock, Client, Inner};
use crate::error::Error;
use crate::options::SessionExpiryPolicy;
use crate::runtime::spawn_detached;
use crate::session::Session;
use crate::stream::{Next, Resumption};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A stream that stayed open this long was healthy, even if it carried no message.
const HEALTHY_FOR: Duration = Duration::from_secs(10);

/// Starts the stream for `session`. The receiver resolves once the server has answered the
/// first GET, whatever it said (or when the stream gives up before that); `None` when the
/// client is configured without a standalone stream.
pub(crate) fn start(client: &Client, session: Arc<Session>) -> Option<oneshot::Receiver<()>> {
    if !client.inner.options.standalone_stream {
        return None;
    }
    let (answered, first_answer) = oneshot::channel();
    let weak = client.downgrade();
    let task = spawn_detached(run(weak, session, answered));
    if let Some(old) = lock(&client.inner.standalone).replace(task) {
        old.abort();
    }
    Some(first_answer)
}

/// Waits, at most `standalone_open_timeout`, until the server answered the standalone GET, so
/// that a request sent next cannot make the server write to a stream that is not open yet.
pub(crate) async fn wait_until_answered(client: &Client, first_answer: oneshot::Receiver<()>) {
    let limit = client.inner.options.standalone_open_timeout;
    let _ = tokio::time::timeout(limit, first_answer).await;
}

async fn run(weak: Weak<Inner>, session: Arc<Session>, answered: oneshot::Sender<()>) {
    let mut answered = Some(answered);
    let mut resumption = Resumption::new(
        Client::upgrade(&weak)
            .map(|c| c.inner.options.reconnect)
            .unwrap_or_default(),
    );
    loop {
        let Some(client) = Client::upgrade(&weak) else {
            return;
        };
        if !client.session().is_some_and(|s| Arc::ptr_eq(&s, &session)) {
            return;
        }
        let opened = client
            .inner
            .transport
            .open_event_stream(Some(&session), resumption.last_event_id.as_deref())
            .await;
        drop(client);
        if let Some(answered) = answered.take() {
            let _ = answered.send(());
        }
        let mut stream = match opened {
            Ok(Some(stream)) => stream,
            // 405: the server offers no standalone stream. Stop; no retries.
            Ok(None) => return,
            Err(Error::SessionExpired { .. }) => return session_gone(&weak, &session),
            Err(_) => match resumption.next_delay("the standalone stream") {
                Ok(delay) => {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(_) => return,
            },
        };
        let opened_at = Instant::now();
        while let Ok(Next::Message(message)) = stream.next().await {
            resumption.made_progress();
            match Client::upgrade(&weak) {
                Some(client) => client.dispatch(message),
                None => return,
            }
        }
        resumption.note_end(&stream);
        if opened_at.elapsed() >= HEALTHY_FOR {
            resumption.made_progress();
        }
        match resumption.next_delay("the standalone stream") {
            Ok(delay) => tokio::time::sleep(delay).await,
            Err(_) => return,
        }
    }
}

/// The GET stream learned that the session expired: the same handling as a request's 404.
fn session_gone(weak: &Weak<Inner>, session: &Arc<Session>) {
    let Some(client) = Client::upgrade(weak) else {
        return;
    };
    if !client.expired(session) {
        return;
    }
    if client.inner.options.on_session_expired != SessionExpiryPolicy::Raise {
        let session = session.clone();
        spawn_detached(async move {
            let _ = client.reinitialize(&session).await;
        });
    }
}
