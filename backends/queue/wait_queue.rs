//! The waiters of one bucket: one queue per address, whose heads are the treap's nodes.
//!
//! A queue is ordered by [`Event::rank`], highest first, and first come, first served among
//! equal ranks; with the default rank (0 for everybody) it is plain FIFO, and a push costs
//! one comparison more than an append.
//!
//! Each queue is a circular doubly linked list threaded through its waiters: from the head,
//! `next` runs to the tail and on round to the head; `prev` runs back, so `head.prev` is the
//! tail. That makes every change O(1) once the head is known: append behind `head.prev`,
//! unlink any waiter in place, and hand the head's place in the treap to its successor with
//! `Treap::replace`. Only finding the head costs O(log n), a treap lookup.
//!
//! Every function here runs under the bucket lock (that is the `unsafe` contract) except
//! [`Woken::set_all`], which the waker runs after releasing it, on waiters it alone holds.

use core::cell::UnsafeCell;
use core::ptr::{addr_of, NonNull};

use super::sync::{AtomicUsize, Ordering};
use super::treap::{Node, Treap};
use super::Event;

/// The cell around a waiter's links: `core`'s, or loom's in the model, which checks every
/// access against the others (see `read` and `write`) and so sees a waker that touches a
/// waiter it no longer owns.
#[cfg(not(all(loom, test)))]
type LinkCell<T> = UnsafeCell<T>;
#[cfg(all(loom, test))]
type LinkCell<T> = loom::cell::UnsafeCell<T>;

/// A thread blocked in `wait`, living on that thread's stack for the length of the call.
///
/// `repr(C)` with the treap node first: a pointer to the node is a pointer to the waiter.
#[repr(C)]
pub(crate) struct Waiter<E> {
    /// The treap's part; meaningful only while this waiter heads its queue. Guarded by the
    /// bucket lock, like the links.
    node: UnsafeCell<Node>,
    links: LinkCell<Links<E>>,
    event: E,
    /// The address whose queue the waiter is in: its own, until a requeue moves it. Written
    /// only under the locks of the bucket it leaves and the one it joins, so a waiter that
    /// holds the lock of the bucket this names, and reads it unchanged, is in that bucket.
    at: AtomicUsize,
}

/// What the bucket's lock guards. Touched only under that lock, except by the waker that
/// dequeued this waiter (see [`Woken`]).
struct Links<E> {
    prev: NonNull<Waiter<E>>,
    next: NonNull<Waiter<E>>,
    /// This waiter is the head of its address's queue: the treap links its node.
    head: bool,
    /// In a queue. Cleared by whoever takes it out, so that a timed-out waiter knows whether
    /// it still can remove itself or a waker already has (and will set its event).
    queued: bool,
}

/// A raw handle to a waiter; all access goes through it so that every pointer keeps the
/// provenance of the waiter's own `&Waiter` (node, links and event alike).
type Ptr<E> = NonNull<Waiter<E>>;

impl<E: Event> Waiter<E> {
    pub(crate) fn new(address: usize) -> Self {
        Self {
            node: UnsafeCell::new(Node::new(address)),
            links: LinkCell::new(Links {
                prev: NonNull::dangling(),
                next: NonNull::dangling(),
                head: false,
                queued: false,
            }),
            event: E::new(),
            at: AtomicUsize::new(address),
        }
    }

    pub(crate) fn event(&self) -> &E {
        &self.event
    }

    /// The address whose queue the waiter is in (see `at`). Relaxed: a reader outside the
    /// lock only uses it to pick a bucket, whose lock it then takes and reads this again
    /// under (the lock orders it after the last requeue that wrote it under the same lock).
    pub(crate) fn at(&self) -> usize {
        self.at.load(Ordering::Relaxed)
    }
}

/// The rank of a queued waiter.
///
/// # Safety
///
/// `w` is alive (the bucket lock is held and it is queued, or it is the caller's own).
unsafe fn rank<E: Event>(w: Ptr<E>) -> u32 {
    // SAFETY: alive by the caller's promise; the event is only ever shared (`&E`).
    unsafe { (*addr_of!((*w.as_ptr()).event)).rank() }
}

/// In the loom model, the end of a waiter's frame is a write to its links: loom then reports
/// any access by another thread that is not ordered before the waiter's return (a waker that
/// reads a link after its `set`, a treap still pointing at a waiter that left) as a race.
#[cfg(all(loom, test))]
impl<E> Drop for Waiter<E> {
    fn drop(&mut self) {
        self.links.with_mut(|_| ());
    }
}

/// Reads the links of `w`.
///
/// # Safety
///
/// `w` is alive, and nobody writes its links meanwhile (the bucket lock is held, or `w` is a
/// waiter this thread took out of its queue and has not set yet).
unsafe fn read<E, R>(w: Ptr<E>, f: impl FnOnce(&Links<E>) -> R) -> R {
    // SAFETY: `w` is alive (the caller's promise); `addr_of!` makes no reference to the
    // waiter, only to its cell.
    let cell = unsafe { &*addr_of!((*w.as_ptr()).links) };
    #[cfg(not(all(loom, test)))]
    // SAFETY: no writer meanwhile (the caller's promise).
    return f(unsafe { &*cell.get() });
    #[cfg(all(loom, test))]
    // SAFETY: as above; loom checks it.
    return cell.with(|links| f(unsafe { &*links }));
}

/// Writes the links of `w`.
///
/// # Safety
///
/// The bucket lock is held and `w` is alive (queued, or about to be pushed).
unsafe fn write<E, R>(w: Ptr<E>, f: impl FnOnce(&mut Links<E>) -> R) -> R {
    // SAFETY: as in `read`.
    let cell = unsafe { &*addr_of!((*w.as_ptr()).links) };
    #[cfg(not(all(loom, test)))]
    // SAFETY: the lock makes this the only access (the caller's promise).
    return f(unsafe { &mut *cell.get() });
    #[cfg(all(loom, test))]
    // SAFETY: as above; loom checks it.
    return cell.with_mut(|links| f(unsafe { &mut *links }));
}

fn node<E>(w: Ptr<E>) -> NonNull<Node> {
    // `Waiter` is `repr(C)` with the node first, and `UnsafeCell` is `repr(transparent)`.
    w.cast()
}

fn waiter<E>(node: NonNull<Node>) -> Ptr<E> {
    node.cast()
}

/// Queues `w` on its address, creating the queue if it is the first: behind every waiter of
/// the same or a higher rank, ahead of every waiter of a lower one.
///
/// The place is found walking back from the tail, so a waiter whose rank is not above the
/// tail's (always, with equal ranks) is appended in O(1); a higher rank costs one step per
/// waiter it overtakes.
///
/// # Safety
///
/// Under the bucket lock that guards `treap`; `w` is alive, not queued, and stays put until
/// it is taken out again.
pub(crate) unsafe fn push<E: Event>(treap: &mut Treap, w: &Waiter<E>) {
    let w = NonNull::from(w);
    // SAFETY: under the lock every queued waiter is alive and its links are ours to change;
    // `w`'s node is not linked, so nobody else reads it.
    unsafe {
        let key = node(w).as_ref().key();
        let Some(head_node) = treap.find(key) else {
            write(w, |l| {
                l.prev = w;
                l.next = w;
                l.head = true;
                l.queued = true;
            });
            treap.insert(node(w));
            return;
        };
        let head = waiter::<E>(head_node);
        let ours = rank(w);
        // `after`: the last waiter that stays ahead of `w`. Walk back from the tail over the
        // waiters of a lower rank; if that passes the head, `w` goes ahead of everyone: between
        // the tail and the old head (it is a ring), as the head that the treap links.
        let tail = read(head, |l| l.prev);
        let mut after = tail;
        let mut ahead_of_all = false;
        while rank(after) < ours {
            if after == head {
                ahead_of_all = true;
                after = tail;
                break;
            }
            after = read(after, |l| l.prev);
        }
        let before = read(after, |l| l.next);
        write(w, |l| {
            l.prev = after;
            l.next = before;
            l.head = ahead_of_all;
            l.queued = true;
        });
        write(after, |l| l.next = w);
        write(before, |l| l.prev = w);
        if ahead_of_all {
            write(head, |l| l.head = false);
            treap.replace(head_node, node(w));
        }
    }
}

/// Takes up to `max` waiters (at least one) from the front of `address`'s queue.
///
/// # Safety
///
/// Under the bucket lock that guards `treap`.
pub(crate) unsafe fn pop<E>(treap: &mut Treap, address: usize, max: u32) -> Woken<E> {
    // SAFETY: under the lock every queued waiter is alive and its links are ours.
    unsafe {
        let Some(head_node) = treap.find(address) else {
            return Woken { first: None, count: 0 };
        };
        let head = waiter::<E>(head_node);
        let mut w = head;
        let mut count = 0;
        loop {
            let next = write(w, |l| {
                l.queued = false;
                l.next
            });
            count += 1;
            if next == head {
                // That was the tail: the queue is empty.
                treap.remove(head_node);
                break;
            }
            if count == max {
                // Close the ring over what is left, and give the head's place to `next`.
                let tail = read(head, |l| l.prev);
                write(next, |l| {
                    l.prev = tail;
                    l.head = true;
                });
                write(tail, |l| l.next = next);
                treap.replace(head_node, node(next));
                break;
            }
            w = next;
        }
        // The taken waiters still run head -> ... -> w through `next`: that chain, `count`
        // long, is the list to wake.
        Woken { first: Some(head), count }
    }
}

/// Takes `w` out of its queue if it is still in one; `false` if a waker already took it.
///
/// # Safety
///
/// Under the bucket lock that guards `treap`; `w` was pushed into it.
pub(crate) unsafe fn remove<E>(treap: &mut Treap, w: &Waiter<E>) -> bool {
    let w = NonNull::from(w);
    // SAFETY: under the lock every queued waiter is alive and its links are ours. A waiter a
    // waker already took is only read here (`queued`), never written: the waker may be
    // reading its `next` outside the lock.
    unsafe {
        let (queued, prev, next, head) = read(w, |l| (l.queued, l.prev, l.next, l.head));
        if !queued {
            return false;
        }
        write(w, |l| l.queued = false);
        if next == w {
            // Alone in its queue.
            treap.remove(node(w));
        } else {
            write(prev, |l| l.next = next);
            write(next, |l| l.prev = prev);
            if head {
                write(next, |l| l.head = true);
                treap.replace(node(w), node(next));
            }
        }
        true
    }
}

/// Moves the waiters of `moving` (taken out of the queue of another address by `pop`, under
/// the lock that guards both that queue and `treap`) to the queue of `to` in `treap`, in their
/// order, each behind the waiters already there of its rank or higher. Returns how many.
///
/// # Safety
///
/// Under the locks of the bucket the waiters were popped from and of the bucket that guards
/// `treap` (one lock if that is the same bucket), held since the `pop`.
pub(crate) unsafe fn requeue<E: Event>(treap: &mut Treap, moving: Woken<E>, to: usize) -> u32 {
    let mut cursor = moving.first;
    for _ in 0..moving.count {
        let Some(w) = cursor else { break };
        // SAFETY: `w` was popped under the lock we still hold, so it is alive (its thread
        // cannot return before its event is set, or before it unlinks itself under one of
        // these locks) and its links and node are ours. Read its `next` before `push`
        // rewrites it.
        unsafe {
            cursor = Some(read(w, |l| l.next));
            (*node(w).as_ptr()).set_key(to);
            // Relaxed: a reader takes a lock we hold before it trusts the value.
            (*addr_of!((*w.as_ptr()).at)).store(to, Ordering::Relaxed);
            push(treap, w.as_ref());
        }
    }
    moving.count
}

/// Waiters taken out of their queue by `pop`, to be woken after the lock is released.
///
/// The waker owns them now: each is out of every queue, and its thread cannot return before
/// its event is set (a timed-out one finds `queued == false` and waits for the event).
pub(crate) struct Woken<E> {
    first: Option<Ptr<E>>,
    count: u32,
}

impl<E: Event> Woken<E> {
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Sets every event (several through [`Event::set_many`]). The lock must no longer be held
    /// (only to keep it short).
    pub(crate) fn set_all(self) {
        if self.count > 1 {
            E::set_many(|| self.set_each());
        } else {
            self.set_each();
        }
    }

    fn set_each(self) {
        let mut cursor = self.first;
        for _ in 0..self.count {
            let Some(w) = cursor else { break };
            // SAFETY: `w` is alive until its event is set, and nobody writes its links: it is
            // out of every queue, and its own thread only reads them. Read the link to the
            // next one *before* the `set`: once set, the waiter may return and its stack frame
            // is gone (the loom model and `tests/queue.rs` under Miri check this order).
            unsafe {
                cursor = Some(read(w, |l| l.next));
                E::set(addr_of!((*w.as_ptr()).event));
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Timeout;
    use core::time::Duration;
    use std::vec::Vec;

    /// An event that only carries a rank: the waiters below are pushed and popped by hand and
    /// never sleep.
    struct Ranked(u32);

    // SAFETY: never waited on nor set in these tests (`wait` and `set` are unreachable).
    unsafe impl Event for Ranked {
        fn new() -> Self {
            Ranked(0)
        }
        fn wait(&self, _: Option<Duration>) -> Result<(), Timeout> {
            unreachable!("the rank tests never sleep")
        }
        unsafe fn set(_: *const Self) {}
        fn rank(&self) -> u32 {
            self.0
        }
        fn set_many(set_all: impl FnOnce()) {
            SET_MANY.with(|calls| calls.set(calls.get() + 1));
            set_all();
        }
    }

    std::thread_local! {
        /// How many times this thread's wakes went through `set_many`.
        static SET_MANY: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }

    fn waiters(ranks: &[u32]) -> Vec<Waiter<Ranked>> {
        ranks
            .iter()
            .map(|&r| {
                let mut w = Waiter::new(1);
                w.event = Ranked(r);
                w
            })
            .collect()
    }

    /// Pops one waiter at a time and names it by its index in `all`.
    fn drain(treap: &mut Treap, all: &[Waiter<Ranked>]) -> Vec<usize> {
        let mut order = Vec::new();
        loop {
            // SAFETY: single-threaded; every waiter in `all` outlives the treap's use of it.
            let woken = unsafe { pop::<Ranked>(treap, 1, 1) };
            let Some(first) = woken.first else { break };
            assert_eq!(woken.count(), 1);
            order.push(all.iter().position(|w| NonNull::from(w) == first).unwrap());
        }
        order
    }

    /// Highest rank first, arrival order among equals, whatever order the ranks arrive in:
    /// including a waiter that overtakes the head, one that overtakes everyone but the head,
    /// and equal ranks arriving on both sides of others.
    #[test]
    fn wakes_by_rank_then_arrival() {
        let ranks = [2, 5, 5, 1, 5, 2, 0, 7, 2, 7];
        let all = waiters(&ranks);
        let mut treap = Treap::new();
        for w in &all {
            // SAFETY: the lock is this thread alone; each waiter stays in `all`, unmoved.
            unsafe { push(&mut treap, w) };
        }
        let mut expected: Vec<usize> = (0..ranks.len()).collect();
        // A stable sort: equal ranks keep their arrival order.
        expected.sort_by_key(|&i| core::cmp::Reverse(ranks[i]));
        assert_eq!(drain(&mut treap, &all), expected);
        assert!(treap.is_empty());
    }

    /// A wake that takes several waiters sets them through `Event::set_many`, once; a wake of
    /// one sets it directly.
    #[test]
    fn several_are_set_through_set_many() {
        let all = waiters(&[0, 0, 0, 0]);
        let mut treap = Treap::new();
        for w in &all {
            // SAFETY: the lock is this thread alone; each waiter stays in `all`, unmoved.
            unsafe { push(&mut treap, w) };
        }
        let calls = || SET_MANY.with(|calls| calls.get());
        let before = calls();
        // SAFETY: as above; `set` of this event touches nothing.
        unsafe { pop::<Ranked>(&mut treap, 1, 1) }.set_all();
        assert_eq!(calls(), before, "one waiter");
        // SAFETY: as above.
        unsafe { pop::<Ranked>(&mut treap, 1, 3) }.set_all();
        assert_eq!(calls(), before + 1, "three waiters");
        assert!(treap.is_empty());
    }

    /// Equal ranks are plain FIFO, and a timed-out waiter that leaves (head, middle or tail)
    /// keeps the order of the rest, including when a new head of higher rank arrived.
    #[test]
    fn removal_keeps_the_order() {
        let all = waiters(&[1, 1, 3, 1, 3, 0]);
        let mut treap = Treap::new();
        for w in &all {
            // SAFETY: as above.
            unsafe { push(&mut treap, w) };
        }
        // Queue now: 2 4 0 1 3 5. Remove the head, a middle one and the tail.
        for gone in [2, 1, 5] {
            // SAFETY: as above; each was pushed and is still queued.
            assert!(unsafe { remove(&mut treap, &all[gone]) });
        }
        assert_eq!(drain(&mut treap, &all), [4, 0, 3]);
    }
}
