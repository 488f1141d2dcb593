//! `ReentrantMutex`: a mutex its holder may lock again, as `lock_api::ReentrantMutex` over
//! [`RawMutex<B>`](super::RawMutex), and [`StdThreadId`], the thread identity it needs.
//!
//! # The state
//!
//! `lock_api::RawReentrantMutex<RawMutex<B>, G>` keeps, beside our mutex word:
//!
//! | part | what it holds |
//! |---|---|
//! | `owner` (`AtomicUsize`) | the holder's id (from `G: GetThreadId`), or 0 when nobody holds it |
//! | `lock_count` | how many times the holder has locked it (read and written by the holder only) |
//! | the mutex word | our `RawMutex<B>`: held once, for the whole of the holder's nested locks |
//!
//! # Transitions
//!
//! - **lock**: if `owner` is our id (Relaxed: only we ever store our own id, so we read it
//!   back exactly when we hold the lock), `lock_count += 1` (a `lock_api` panic past
//!   `usize::MAX`, which nesting cannot reach). Otherwise take our mutex (its Acquire orders
//!   the critical sections), then `owner = id`, `lock_count = 1`.
//! - **unlock**: `lock_count −= 1`; at 0, `owner = 0`, then release our mutex (its Release).
//!
//! Which thread holds it is decided by our mutex alone; `owner` only answers "is it me?",
//! which a thread can get wrong only if two live threads shared an id: [`StdThreadId`] gives
//! each live thread its own (the address of a thread-local), and a `GetThreadId` you write for
//! your RTOS must too (that is its `unsafe` contract).
//!
//! # Without std
//!
//! Name the thread identity yourself: `generic::ReentrantMutex<B, G, T>` with your
//! `G: lock_api::GetThreadId` (an RTOS's current task handle, say), on any backend.

use core::num::NonZeroUsize;

use crate::sync::lock_api;

/// The identity of the running thread for [`ReentrantMutex`](crate::sync::ReentrantMutex):
/// the address of a thread-local, different for every live thread (std only).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdThreadId(());

// SAFETY: a thread-local has its own address in each live thread, and the same one for the
// whole life of that thread, which is what `GetThreadId` asks; a thread that ended may lend
// its address to a new one, which the trait allows.
unsafe impl lock_api::GetThreadId for StdThreadId {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = StdThreadId(());

    fn nonzero_thread_id(&self) -> NonZeroUsize {
        std::thread_local! {
            // One byte, so that each thread's copy has an address of its own.
            static ANCHOR: u8 = const { 0 };
        }
        let address = ANCHOR.with(|anchor| anchor as *const u8 as usize);
        // A reference is never null.
        NonZeroUsize::new(address).unwrap_or(NonZeroUsize::MIN)
    }
}
