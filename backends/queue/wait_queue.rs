//! The waiters of one bucket: one FIFO queue per address, whose heads are the treap's nodes.
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

use super::treap::{Node, Treap};
use super::Event;

/// A thread blocked in `wait`, living on that thread's stack for the length of the call.
///
/// `repr(C)` with the links first and the treap node first in the links: a pointer to the
/// node is a pointer to the waiter.
#[repr(C)]
pub(crate) struct Waiter<E> {
    links: UnsafeCell<Links<E>>,
    event: E,
}

/// What the bucket's lock guards. Touched only under that lock, except by the waker that
/// dequeued this waiter (see [`Woken`]).
#[repr(C)]
struct Links<E> {
    /// The treap's part; meaningful only while this waiter heads its queue.
    node: Node,
    prev: NonNull<Waiter<E>>,
    next: NonNull<Waiter<E>>,
    /// This waiter is the head of its address's queue: the treap links its node.
    head: bool,
    /// In a queue. Cleared by whoever takes it out, so that a timed-out waiter knows whether
    /// it still can remove itself or a waker already has (and will set its event).
    queued: bool,
}

/// A raw handle to a waiter; all access goes through it so that every pointer keeps the
/// provenance of the waiter's own `&Waiter` (links and event alike).
type Ptr<E> = NonNull<Waiter<E>>;

impl<E: Event> Waiter<E> {
    pub(crate) fn new(address: usize) -> Self {
        Self {
            links: UnsafeCell::new(Links {
                node: Node::new(address),
                prev: NonNull::dangling(),
                next: NonNull::dangling(),
                head: false,
                queued: false,
            }),
            event: E::new(),
        }
    }

    pub(crate) fn event(&self) -> &E {
        &self.event
    }
}

/// The links of `w`, writable through the `UnsafeCell`, with `w`'s provenance.
fn links<E>(w: Ptr<E>) -> *mut Links<E> {
    // SAFETY: `addr_of!` computes the field's address without creating a reference; the
    // pointer itself is only used under the rules of the functions below.
    UnsafeCell::raw_get(unsafe { addr_of!((*w.as_ptr()).links) })
}

fn node<E>(w: Ptr<E>) -> NonNull<Node> {
    // `Links` is `repr(C)` with `node` first, and sits first in `Waiter`.
    w.cast()
}

fn waiter<E>(node: NonNull<Node>) -> Ptr<E> {
    node.cast()
}

/// Appends `w` to the queue of its address, creating the queue if it is the first.
///
/// # Safety
///
/// Under the bucket lock that guards `treap`; `w` is alive, not queued, and stays put until
/// it is taken out again.
pub(crate) unsafe fn push<E>(treap: &mut Treap, w: &Waiter<E>) {
    let w = NonNull::from(w);
    // SAFETY: under the lock every queued waiter is alive and its links are ours to change.
    unsafe {
        let l = links(w);
        (*l).queued = true;
        match treap.find((*l).node.key()) {
            Some(head_node) => {
                let head = waiter::<E>(head_node);
                let tail = (*links(head)).prev;
                (*l).prev = tail;
                (*l).next = head;
                (*l).head = false;
                (*links(tail)).next = w;
                (*links(head)).prev = w;
            }
            None => {
                (*l).prev = w;
                (*l).next = w;
                (*l).head = true;
                treap.insert(node(w));
            }
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
            (*links(w)).queued = false;
            count += 1;
            let next = (*links(w)).next;
            if next == head {
                // That was the tail: the queue is empty.
                treap.remove(head_node);
                break;
            }
            if count == max {
                // Close the ring over what is left, and give the head's place to `next`.
                let tail = (*links(head)).prev;
                (*links(next)).prev = tail;
                (*links(tail)).next = next;
                (*links(next)).head = true;
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
    // SAFETY: under the lock every queued waiter is alive and its links are ours.
    unsafe {
        let l = links(w);
        if !(*l).queued {
            return false;
        }
        (*l).queued = false;
        let (prev, next) = ((*l).prev, (*l).next);
        if next == w {
            // Alone in its queue.
            treap.remove(node(w));
        } else {
            (*links(prev)).next = next;
            (*links(next)).prev = prev;
            if (*l).head {
                (*links(next)).head = true;
                treap.replace(node(w), node(next));
            }
        }
        true
    }
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

    /// Sets every event. The lock must no longer be held (only to keep it short).
    pub(crate) fn set_all(self) {
        let mut cursor = self.first;
        for _ in 0..self.count {
            let Some(w) = cursor else { break };
            // SAFETY: `w` is alive until its event is set. Read the link to the next one
            // *before* that: once set, the waiter may return and its stack frame is gone.
            unsafe {
                cursor = Some((*links(w)).next);
                E::set(addr_of!((*w.as_ptr()).event));
            }
        }
    }
}
