//! `WaitAsync`: the futex wait of an async task, a future that completes when its word is
//! woken.

use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::{Context, Poll};

use crate::tasks::{self, Linked, Node};
use crate::FutexBackend;

/// The future of [`Futex::wait_async`](crate::Futex::wait_async) (and of the root
/// [`wait_async`](crate::wait_async)): completes once a `wake` of its word reaches it, or at
/// its first poll if the word no longer holds the expected value.
///
/// It holds its own place in the crate's table of async waiters (no heap), linked there while
/// it is pending; so it must be pinned to be polled (`core::pin::pin!`, `Box::pin`, or an
/// `async fn`'s `.await`). Dropping it unlinks it. A wake that chose it before it was
/// dropped is passed on to another waiter of the word (a task or a thread), so cancelling a
/// task never loses a wake meant for the waiters.
///
/// As a thread's [`wait`](crate::Futex::wait), it may complete spuriously (a wake meant for
/// another condition on the same word, or a wake passed on): check the condition again, in
/// a loop. Nothing here times out: put it in the executor's `timeout` or `select`, which
/// drops it (unlinking it) when the time is up.
#[must_use = "a future does nothing unless polled (`.await` it)"]
pub struct WaitAsync<'a, B: FutexBackend> {
    futex: &'a AtomicU32,
    expect: u32,
    state: State,
    node: Node,
    _pinned: PhantomPinned,
    _backend: PhantomData<fn() -> B>,
}

/// Where a [`WaitAsync`] is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Not polled yet: not in the table.
    New,
    /// In the table (until a wake takes it off, or the drop).
    Linked,
    /// Completed: not in the table.
    Done,
}

impl<'a, B: FutexBackend> WaitAsync<'a, B> {
    pub(crate) fn new(futex: &'a AtomicU32, expect: u32) -> Self {
        WaitAsync {
            futex,
            expect,
            state: State::New,
            node: Node::new(),
            _pinned: PhantomPinned,
            _backend: PhantomData,
        }
    }
}

impl<B: FutexBackend> core::fmt::Debug for WaitAsync<'_, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WaitAsync")
            .field("futex", &(self.futex as *const AtomicU32))
            .field("expect", &self.expect)
            .field("state", &self.state)
            .finish()
    }
}

impl<B: FutexBackend> Future for WaitAsync<'_, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of the future; the node stays where it is, pinned,
        // for as long as the future lives (its drop unlinks it first).
        let this = unsafe { self.get_unchecked_mut() };
        match this.state {
            State::Done => Poll::Ready(()),
            State::New => {
                // As a thread's wait: a word that already differs needs no table (SeqCst, in
                // the same total order as the table's compare and every wake).
                if this.futex.load(Ordering::SeqCst) != this.expect {
                    this.state = State::Done;
                    return Poll::Ready(());
                }
                let waker = cx.waker().clone();
                // SAFETY: the node is pinned (above) and not linked (state `New`); it stays
                // valid until the drop unlinks it (state `Linked`), or it is not left linked
                // (`Changed`).
                match unsafe { tasks::link(&this.node, this.futex, this.expect, waker) } {
                    Linked::Waiting => {
                        this.state = State::Linked;
                        Poll::Pending
                    }
                    Linked::Changed(waker) => {
                        this.state = State::Done;
                        drop(waker);
                        Poll::Ready(())
                    }
                }
            }
            State::Linked => {
                // SAFETY: linked by `link` (state `Linked`), not unlinked (only the drop does).
                let (woken, spare) = unsafe { tasks::poll(&this.node, cx.waker()) };
                drop(spare);
                if woken {
                    this.state = State::Done;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<B: FutexBackend> Drop for WaitAsync<'_, B> {
    fn drop(&mut self) {
        if self.state != State::Linked {
            return;
        }
        // Unlinked, and a wake that had chosen this future passed on to the next waiter.
        // SAFETY: linked (state `Linked`) and not unlinked before: this is the one unlink.
        unsafe { tasks::cancel::<B>(&self.node, self.futex) }
    }
}
