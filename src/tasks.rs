//! The tasks' table: where async waiters ([`WaitAsync`](crate::WaitAsync) futures) wait, so
//! that a `wake` of their word finds them on every backend.
//!
//! A backend knows only threads. An async waiter cannot block a thread, so it links a node
//! (inside its own pinned future: no heap) into this table instead, under the address it
//! waits on, and every wake through the front end ([`Futex`](crate::Futex)) looks here first:
//! it takes up to `n` nodes of the address off their lists, marks each woken, and wakes their
//! tasks' `Waker`s; what is left of `n` goes to the backend's threads.
//!
//! # The table
//!
//! [`BUCKETS`] buckets, found by hashing the address (the queue's and `Counted`'s hash). Each
//! has a lock ([`TaskLock`], chosen in `select.rs`: `std`'s mutex, else FreeRTOS's or the
//! `critical-section` crate's critical section, else a spin lock), a doubly linked list of the nodes that hash
//! there (first come, first woken), and a count of those nodes, read without the lock.
//!
//! # Why no wake is lost
//!
//! A waiter, holding its bucket's lock, links its node and counts it (Relaxed), then issues
//! a SeqCst fence and compares the word (SeqCst): if the word no longer holds the expected
//! value it unlinks again and is done. A waker changes the word (the caller did), then issues
//! a SeqCst fence (the front end's, before it looks here) and reads the count (Relaxed). Of
//! the two fences, one comes first in their single total order. If the waiter's does, the
//! waker's read of the count, after its own fence, sees the node counted, and the waker takes
//! the lock and finds it. If the waker's does, the waiter's compare, after its fence, sees the
//! new value, and the waiter does not wait. (The queue backend and `Counted` argue the same
//! way; see there.)
//!
//! # Waking outside the lock
//!
//! A `Waker` is the executor's code, which may be slow or panic: it is never called, cloned
//! or dropped under a bucket's lock. A waker takes the woken nodes' `Waker`s out (a few at a
//! time, into an array on its stack) and calls them after unlocking; a poll clones its
//! `Waker` before it locks and drops the one it replaced after. Once a node is marked woken
//! and the lock released, the waker never touches it again: the future may be dropped, and
//! its memory reused, at once.
//!
//! # A wake handed to a future that is dropped
//!
//! A wake that chose a future is spent on it. If the future is then dropped without having
//! returned `Ready` (its task cancelled), the drop sees its node marked woken and passes the
//! wake on: it wakes one more waiter of the address through the front end, a task or a
//! thread, as an unwinding thread passes its wake on.
//!
//! # Under loom
//!
//! `loom_tests.rs` checks the two points above under loom (`--cfg loom`): the atomics, the
//! fence and the word are loom's there, the lock is loom's mutex (`select.rs`), and the table
//! is a `loom::lazy_static!`, built anew in each execution (loom's atomics are not `const`).
//! Everything else is this file's code, and the front end's wake is `Futex::wake_ptr`'s.

use core::cell::UnsafeCell;
use core::ptr;
#[cfg(not(all(loom, test)))]
use core::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering::*};
use core::task::Waker;
#[cfg(all(loom, test))]
use loom::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering::*};

use crate::backend::queue::BucketLock;
use crate::select::TaskLock;
use crate::FutexBackend;

#[cfg(all(loom, test))]
pub(crate) mod loom_tests;

/// How many buckets. Each is a lock, two pointers and a count; 64 of them are 2 to 4 KiB of
/// static memory (with `std`'s lock, more).
const BUCKETS: usize = 64;

/// How many `Waker`s a wake takes out of a bucket before it unlocks and calls them; a wake of
/// more takes the lock again for the next ones.
const BATCH: usize = 8;

/// One async waiter's place in the table. It lives inside the waiter's pinned future; its
/// links are read and written only under the lock of the bucket of `address` (which `link`
/// sets before the node is in any list).
pub(crate) struct Node {
    /// The address waited on: set by `link` (before the node is in the list), read by wakes
    /// (under the lock) and by the node's own polls.
    address: AtomicUsize,
    links: UnsafeCell<Links>,
}

// SAFETY: `links` (raw pointers, a `Waker`) is read and written only under the lock of the
// node's bucket, from whichever thread holds it; `address` is atomic. A node may therefore
// move between threads with its future, and be reached from several.
unsafe impl Send for Node {}
// SAFETY: as for `Send`: a shared `&Node` gives access to nothing outside the bucket's lock.
unsafe impl Sync for Node {}

struct Links {
    /// The bucket's link sequence when this node was linked: a wake takes only the nodes
    /// linked before it began.
    seq: u64,
    prev: *const Node,
    next: *const Node,
    waker: Option<Waker>,
    /// In its bucket's list.
    linked: bool,
    /// Taken off the list by a wake: that wake is this waiter's.
    woken: bool,
}

impl Node {
    // Not `const`: loom's atomics are not (its only caller, `WaitAsync::new`, is not either).
    pub(crate) fn new() -> Self {
        Node {
            address: AtomicUsize::new(0),
            links: UnsafeCell::new(Links {
                seq: 0,
                prev: ptr::null(),
                next: ptr::null(),
                waker: None,
                linked: false,
                woken: false,
            }),
        }
    }
}

/// A bucket: a lock, the list of the nodes that hash here, and how many there are.
struct Bucket {
    lock: TaskLock,
    /// First and last node of the list; under `lock`.
    ends: UnsafeCell<(*const Node, *const Node)>,
    /// How many nodes were ever linked here (the next node's `seq`); under `lock`. The list is
    /// in this order, so a wake stops at the first node linked after it began: tasks that
    /// link again while a long wake runs (a waker that polls at once) cannot keep it going.
    linked: UnsafeCell<u64>,
    /// How many nodes are linked; changed under `lock`, read without it by wakes.
    waiters: AtomicUsize,
}

impl Bucket {
    /// Adds `change` to the count of linked nodes. Only under the lock, which makes a load and
    /// a store one step (no read-modify-write: targets without compare-and-swap have none).
    fn count(&self, change: isize) {
        let now = self.waiters.load(Relaxed);
        self.waiters.store(now.wrapping_add_signed(change), Relaxed);
    }
}

// SAFETY: the raw pointers in `ends` and in the nodes are read and written only under `lock`
// (see every `with` below), and the nodes they point to are pinned and unlinked before they
// are dropped (`WaitAsync`'s drop), so sharing a bucket between threads shares nothing that
// is not locked.
unsafe impl Sync for Bucket {}

#[cfg(not(all(loom, test)))]
#[allow(clippy::declare_interior_mutable_const)] // the template of each bucket of the static
const EMPTY: Bucket = Bucket {
    lock: <TaskLock as BucketLock>::INIT,
    ends: UnsafeCell::new((ptr::null(), ptr::null())),
    linked: UnsafeCell::new(0),
    waiters: AtomicUsize::new(0),
};

#[cfg(not(all(loom, test)))]
static TABLE: [Bucket; BUCKETS] = [EMPTY; BUCKETS];

#[cfg(all(loom, test))]
loom::lazy_static! {
    /// The table of the loom models: the same buckets, built at run time, once per execution.
    static ref TABLE: [Bucket; BUCKETS] = core::array::from_fn(|_| Bucket {
        lock: <TaskLock as BucketLock>::init(),
        ends: UnsafeCell::new((ptr::null(), ptr::null())),
        linked: UnsafeCell::new(0),
        waiters: AtomicUsize::new(0),
    });
}

#[inline]
fn bucket(address: usize) -> &'static Bucket {
    &TABLE[crate::backend::address_hash::index(address, BUCKETS)]
}

/// What a waiter found when it linked its node.
pub(crate) enum Linked {
    /// The node waits in the table.
    Waiting,
    /// The word no longer held the expected value: the node was not left linked. The `Waker`
    /// it was given, to be dropped after the lock.
    Changed(Option<Waker>),
}

/// Links `node` under `futex`'s address with `waker`, then compares the word: the first poll
/// of an async wait.
///
/// # Safety
///
/// `node` is pinned (it will not move before it is unlinked) and not linked already; it stays
/// valid until [`unlink`] has been called on it, or it was never left linked (`Changed`).
pub(crate) unsafe fn link(node: &Node, futex: &AtomicU32, expect: u32, waker: Waker) -> Linked {
    let address = futex as *const AtomicU32 as usize;
    let bucket = bucket(address);
    let me: *const Node = node;
    node.address.store(address, Relaxed);
    bucket.lock.with(|| {
        // SAFETY: under the bucket's lock, which guards the node's links and the list's ends;
        // `node` is valid and pinned (the caller's promise).
        unsafe {
            let links = &mut *node.links.get();
            let ends = &mut *bucket.ends.get();
            let linked = &mut *bucket.linked.get();
            *links = Links {
                seq: *linked,
                prev: ends.1,
                next: ptr::null(),
                waker: Some(waker),
                linked: true,
                woken: false,
            };
            match ends.1.is_null() {
                true => ends.0 = me,
                false => (*(*ends.1).links.get()).next = me,
            }
            ends.1 = me;
            *linked += 1;
        }
        bucket.count(1);
        // The waiter's half of "Why no wake is lost": counted, then this fence, then the
        // compare.
        fence(SeqCst);
        if futex.load(SeqCst) == expect {
            return Linked::Waiting;
        }
        // SAFETY: under the lock; linked just above.
        unsafe { remove(bucket, me) };
        // SAFETY: under the lock.
        Linked::Changed(unsafe { (*node.links.get()).waker.take() })
    })
}

/// Whether a wake has taken `node` off its list (then its waiter is done); if not, stores
/// `waker` as the one to wake (unless the stored one wakes the same task). The `Waker` that
/// is no longer needed is returned, to be dropped by the caller after the lock.
///
/// # Safety
///
/// `node` was linked by [`link`] (`Waiting`) and not yet unlinked by [`unlink`].
pub(crate) unsafe fn poll(node: &Node, waker: &Waker) -> (bool, Option<Waker>) {
    // Cloned before the lock: a clone is the executor's code.
    let fresh = waker.clone();
    bucket(node.address.load(Relaxed)).lock.with(|| {
        // SAFETY: under the lock of the node's bucket.
        let links = unsafe { &mut *node.links.get() };
        if links.woken {
            return (true, Some(fresh));
        }
        match &links.waker {
            Some(old) if old.will_wake(&fresh) => (false, Some(fresh)),
            _ => (false, links.waker.replace(fresh)),
        }
    })
}

/// Takes `node` off its list if it is still there; true if a wake took it off first (the
/// wake was spent on this waiter). The node's `Waker` is returned, to be dropped after the
/// lock.
///
/// # Safety
///
/// As for [`poll`].
pub(crate) unsafe fn unlink(node: &Node) -> (bool, Option<Waker>) {
    let bucket = bucket(node.address.load(Relaxed));
    bucket.lock.with(|| {
        // SAFETY: under the lock of the node's bucket.
        let links = unsafe { &mut *node.links.get() };
        let waker = links.waker.take();
        if links.linked {
            // SAFETY: under the lock; linked.
            unsafe { remove(bucket, node) };
            (false, waker)
        } else {
            (links.woken, waker)
        }
    })
}

/// A linked waiter's drop (`WaitAsync`'s): takes `node` off its list, and if a wake took it off
/// first (that wake was spent on this waiter, which never completed), passes the wake on
/// through the front end: one more waiter of `futex`, a task or a thread, is woken.
///
/// # Safety
///
/// As for [`poll`]; and this is the node's one unlink (no `poll` or `unlink` of it after).
#[inline]
pub(crate) unsafe fn cancel<B: FutexBackend>(
    node: &Node,
    futex: *const core::sync::atomic::AtomicU32,
) {
    // SAFETY: the caller's promise.
    let (woken, waker) = unsafe { unlink(node) };
    drop(waker);
    if woken {
        // The wake was meant for a waiter of this word: give it to the next one.
        crate::Futex::<B>::wake_ptr(futex, 1);
    }
}

/// Removes a linked node from its bucket's list and uncounts it.
///
/// # Safety
///
/// The caller holds `bucket`'s lock, and `node` is linked in it.
unsafe fn remove(bucket: &Bucket, node: *const Node) {
    // SAFETY: the caller's promises: the lock is held, so the node's links, its neighbours'
    // and the ends are ours to change, and every pointer in the list is to a live node.
    unsafe {
        let links = &mut *(*node).links.get();
        let ends = &mut *bucket.ends.get();
        match links.prev.is_null() {
            true => ends.0 = links.next,
            false => (*(*links.prev).links.get()).next = links.next,
        }
        match links.next.is_null() {
            true => ends.1 = links.prev,
            false => (*(*links.next).links.get()).prev = links.prev,
        }
        links.prev = ptr::null();
        links.next = ptr::null();
        links.linked = false;
    }
    bucket.count(-1);
}

/// Wakes up to `n` async waiters of `address`, first come first; how many.
///
/// The caller has issued a SeqCst fence since the word changed (the waker's half of "Why no
/// wake is lost"); with nobody linked in the address's bucket this is that one load.
#[inline]
pub(crate) fn wake(address: usize, n: u32) -> u32 {
    let bucket = bucket(address);
    if bucket.waiters.load(Relaxed) == 0 {
        return 0;
    }
    wake_linked(bucket, address, n)
}

/// [`wake`] once the count says that some node is linked in `bucket`.
#[cold]
fn wake_linked(bucket: &Bucket, address: usize, n: u32) -> u32 {
    let mut woken = 0;
    // The nodes linked before this wake began: their `seq` is below this.
    let mut before = None;
    while woken < n {
        let mut taken: [Option<Waker>; BATCH] = [const { None }; BATCH];
        let mut count = 0;
        let more = bucket.lock.with(|| {
            // SAFETY: under the lock: the ends and every linked node's links are ours to read
            // and change, and every node in the list is alive (unlinked before it is freed).
            unsafe {
                let before = *before.get_or_insert(*bucket.linked.get());
                let mut at = (*bucket.ends.get()).0;
                while !at.is_null() && count < BATCH && woken + (count as u32) < n {
                    let node = at;
                    if (*(*node).links.get()).seq >= before {
                        // Linked after this wake began, and so is every node after it.
                        at = ptr::null();
                        break;
                    }
                    at = (*(*node).links.get()).next;
                    if (*node).address.load(Relaxed) != address {
                        continue;
                    }
                    remove(bucket, node);
                    let links = &mut *(*node).links.get();
                    links.woken = true;
                    taken[count] = links.waker.take();
                    count += 1;
                }
                !at.is_null()
            }
        });
        woken += count as u32;
        // After the lock, and never touching a node again: its future may be gone already.
        drop(Taken(taken));
        if count < BATCH || !more {
            break;
        }
    }
    woken
}

/// `Waker`s taken off the table, called when it is dropped. Their nodes are marked woken, so
/// a `Waker` dropped uncalled would leave its task asleep for good: if one panics (the
/// executor's code), the guard in the loop calls the rest as the panic leaves (a second
/// panic there aborts, as any panic while unwinding does).
struct Taken([Option<Waker>; BATCH]);

impl Drop for Taken {
    fn drop(&mut self) {
        let mut rest = self.0.iter_mut();
        /// Calls what is left of the array if the loop below unwinds.
        struct Rest<'a, 'b>(&'b mut core::slice::IterMut<'a, Option<Waker>>);
        impl Drop for Rest<'_, '_> {
            fn drop(&mut self) {
                for waker in self.0.by_ref().filter_map(Option::take) {
                    waker.wake();
                }
            }
        }
        let rest = Rest(&mut rest);
        for slot in rest.0.by_ref() {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
    }
}
