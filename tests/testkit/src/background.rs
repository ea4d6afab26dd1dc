//! A server on its own thread and runtime, so sync and async tests can share it without tying
//! it to the test's runtime. Stopping is abrupt on purpose: a test that stalled a handler must
//! not wait for it, and "server gone" tests need the port closed at once.

use std::future::Future;
use std::sync::mpsc;
use tokio::sync::oneshot;

pub(crate) struct Background {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Runs `serve` on a new thread until dropped. `serve` sends what the caller needs (its
    /// address, its state) through `ready` once bound; this waits for it.
    pub(crate) fn start<T, F, Fut>(name: &str, serve: F) -> (Self, T)
    where
        T: Send + 'static,
        F: FnOnce(mpsc::Sender<std::io::Result<T>>) -> Fut + Send + 'static,
        Fut: Future<Output = std::io::Result<()>>,
    {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the background server");
                rt.block_on(async move {
                    let serving = serve(ready_tx.clone());
                    tokio::select! {
                        result = serving => {
                            if let Err(e) = result {
                                let _ = ready_tx.send(Err(e));
                            }
                        }
                        _ = stop_rx => {}
                    }
                });
                // Streams that never end (GET, tunnels) must not keep the thread alive.
                rt.shutdown_background();
            })
            .expect("spawn a background server thread");
        let ready = ready_rx
            .recv()
            .expect("the background server thread died")
            .expect("the background server could not bind 127.0.0.1");
        let background = Self {
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        (background, ready)
    }

    /// Stops the server now and waits until its port is closed.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}
