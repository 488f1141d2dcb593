//! The async waiters' table under loom: every interleaving of the table's atomics, fences and
//! bucket locks with the front end's wake (`Futex::wake_ptr`, whose fence is loom's in these
//! builds), up to the preemption bound. A waiter's task is a `Waker` that sets a flag; a wake
//! lost is a flag never set.
//!
//! `WaitAsync` itself is not built under loom (it holds a `core` word, and these models need
//! loom's), so the models call what its polls and drop call: [`link`] (its first poll past the
//! early load, which only answers sooner) and [`cancel`] (its drop, the whole of it). The
//! backend under the front end is [`NoThreads`]: no thread waits in these models.
//!
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom_tasks` (or `cargo xtask loom`).

extern crate std;

use std::sync::Arc;
use std::task::{Wake, Waker};

use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use loom::thread;

use super::{bucket, cancel, link, poll, unlink, BucketLock, Linked, Node};
use crate::{Futex, FutexBackend, Timeout};

/// The buckets' lock in these models (`select.rs` picks it): loom's mutex, which loom
/// schedules around.
pub(crate) struct Lock(loom::sync::Mutex<()>);

// SAFETY: a mutex.
unsafe impl BucketLock for Lock {
    fn init() -> Self {
        Lock(loom::sync::Mutex::new(()))
    }

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.lock().unwrap();
        f()
    }
}

/// A task: its `Waker` sets the flag.
struct Task(AtomicBool);

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // Release, as an executor's queueing of the task: the woken task sees what its
        // waker did before.
        self.0.store(true, Release);
    }
}

impl Task {
    fn new() -> Arc<Self> {
        Arc::new(Task(AtomicBool::new(false)))
    }

    fn woken(&self) -> bool {
        self.0.load(Acquire)
    }
}

/// The backend under the front end: no thread waits in these models, so the part of a wake
/// left for threads goes to nobody.
struct NoThreads;

impl FutexBackend for NoThreads {
    fn wait(
        _: &core::sync::atomic::AtomicU32,
        _: u32,
        _: Option<core::time::Duration>,
    ) -> Result<(), Timeout> {
        unreachable!("no thread waits in the table's models")
    }

    fn wake(_: *const core::sync::atomic::AtomicU32, _: u32) {}
}

/// The pointer the front end takes: an address only, never dereferenced (`wake_ptr`'s
/// contract), so loom's word may stand behind it.
fn pointer(word: &AtomicU32) -> *const core::sync::atomic::AtomicU32 {
    (word as *const AtomicU32).cast()
}

fn address(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

/// Builds this execution's table before any second thread exists: a `loom::lazy_static!`
/// gives each reader an edge from its builder, which a real static does not; built by one of
/// the racing threads (a waker, after its store to the word), the table would order that
/// thread's past before the other's steps and spare loom some interleavings of the race.
fn build_table() {
    let _ = bucket(0);
}

/// The model's `Node`: in an `Arc`, so that it never moves and outlives both threads.
fn node() -> Arc<Node> {
    Arc::new(Node::new())
}

/// What a model leaves behind: no node counted in the word's bucket.
fn assert_empty(word: &AtomicU32) {
    assert_eq!(bucket(address(word)).waiters.load(Relaxed), 0, "a node is still counted");
}

/// "Why no wake is lost" (`tasks.rs`): a waiter's first poll (`link`: counted under the lock,
/// SeqCst fence, SeqCst compare) races a waker that stores the word (Relaxed, the weakest a
/// caller may use) and calls the front end's `Futex::wake_ptr` (SeqCst fence, the count read
/// Relaxed, the lock and the `Waker` if it counts someone). Checks that the waiter either saw
/// the new word (`Changed`, its first poll `Ready`) or was taken off by the wake with its
/// `Waker` called.
///
/// 17 executions, well under a second. Measured: with the fence in `link` removed, loom
/// failed ("the waiter's Waker was not called": the waiter's compare read the old word and
/// the waker's read of the count missed the node); with the one in `Futex::wake_tasks`
/// removed instead, it failed the same way.
#[test]
fn loom_tasks_link_races_wake() {
    loom::model(|| {
        build_table();
        let word = Arc::new(AtomicU32::new(0));
        let node = node();
        let task = Task::new();
        let waiter = {
            let (word, node, task) = (word.clone(), node.clone(), task.clone());
            thread::spawn(move || {
                // SAFETY: the node is in an `Arc` (it does not move) that outlives the model's
                // uses of it, and is not linked yet; the wake takes it off the list, or the
                // model fails and nothing reads the table again.
                match unsafe { link(&node, &word, 0, Waker::from(task)) } {
                    Linked::Waiting => true,
                    Linked::Changed(waker) => {
                        drop(waker);
                        false
                    }
                }
            })
        };
        word.store(1, Relaxed);
        Futex::<NoThreads>::wake_ptr(pointer(&word), 1);
        let waiting = waiter.join().unwrap();
        if waiting {
            assert!(task.woken(), "the waiter's Waker was not called: a lost wake");
            // The task's next poll (`WaitAsync`'s, once linked) must be `Ready`.
            // SAFETY: linked (`Waiting`), not unlinked before.
            let (woken, spare) = unsafe { poll(&node, &Waker::from(task.clone())) };
            drop(spare);
            assert!(woken, "the Waker was called but the node was not marked woken");
        }
        assert_empty(&word);
    });
}

/// "A wake handed to a future that is dropped" (`tasks.rs`): waiters A and B wait on one word
/// (linked in that order, so a wake of 1 chooses A unless A is gone); a waker stores the word
/// and wakes 1 through the front end while A's future is dropped (`cancel`, `WaitAsync`'s
/// drop). Checks that B is always woken: the wake chose B, or it chose A and A's drop passed
/// it on through the front end.
///
/// 8 executions, well under a second. Measured: with the pass-on in `cancel` removed
/// (`Futex::<B>::wake_ptr(futex, 1)`, what `WaitAsync`'s drop called before it called
/// `cancel`), loom failed ("B stayed linked": the wake chose A, whose drop saw it and let it
/// go).
#[test]
fn loom_tasks_drop_passes_wake_on() {
    loom::model(|| {
        build_table();
        let word = Arc::new(AtomicU32::new(0));
        let (a, b) = (node(), node());
        let (task_a, task_b) = (Task::new(), Task::new());
        for (node, task) in [(&a, &task_a), (&b, &task_b)] {
            // SAFETY: each node is in an `Arc` (it does not move) that outlives the model's
            // uses of it, and is not linked yet; A is unlinked by `cancel`, B below.
            let linked = unsafe { link(node, &word, 0, Waker::from(task.clone())) };
            assert!(matches!(linked, Linked::Waiting), "the word is unchanged: both wait");
        }
        let waker = {
            let word = word.clone();
            thread::spawn(move || {
                word.store(1, Relaxed);
                Futex::<NoThreads>::wake_ptr(pointer(&word), 1);
            })
        };
        // SAFETY: A is linked (`Waiting`) and this is its one unlink.
        unsafe { cancel::<NoThreads>(&a, pointer(&word)) };
        waker.join().unwrap();
        // SAFETY: B is linked (`Waiting`), not unlinked before.
        let (woken, waker) = unsafe { unlink(&b) };
        drop(waker);
        assert!(woken, "B stayed linked: the wake spent on the dropped A was lost");
        assert!(task_b.woken(), "B was taken off but its Waker was not called");
        assert_empty(&word);
    });
}
