//! The default backend chosen by the final binary (feature `custom-backend`).
//!
//! Libraries call the root functions; the binary decides, once, what serves them, with
//! [`set_backend!`](crate::set_backend). The two sides meet at link time through two
//! `extern "Rust"` symbols, the way `critical-section` lets a binary pick its implementation:
//! no generic parameter travels through the libraries in between, and there is nothing to
//! initialise at run time.
//!
//! - Nobody installs one: the link fails with an undefined `_portable_futex_1_wait` (or
//!   `_wake`). That is the moment to add `portable_futex::set_backend!(YourBackend);`.
//! - One crate installs two: it fails to compile, `_portable_futex_1_wait` "is already defined".
//! - Two crates install one each: the link fails with a duplicate symbol if the linker pulls in
//!   both. It may not: from a library it takes an object only to resolve a missing symbol, and
//!   the first definition already resolved it. Then the other is silently unused. This is why
//!   only the final binary should call `set_backend!`, never a library.

use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{FutexBackend, Timeout};

extern "Rust" {
    fn _portable_futex_1_wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout>;
    fn _portable_futex_1_wake(futex: *const AtomicU32, max_waiters: u32);
}

/// The backend that the binary installed with [`set_backend!`](crate::set_backend): the
/// default backend when the feature `custom-backend` is on.
#[derive(Debug, Clone, Copy)]
pub struct Installed;

impl FutexBackend for Installed {
    #[inline]
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // SAFETY: `set_backend!` defines this symbol with exactly this signature, as a safe
        // function that forwards to a `FutexBackend`; the link fails if nobody defined it.
        unsafe { _portable_futex_1_wait(futex, expect, timeout) }
    }

    #[inline]
    // The pointer goes to another `FutexBackend::wake`, which uses it as an address only.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // SAFETY: as above; the pointer is passed on untouched.
        unsafe { _portable_futex_1_wake(futex, max_waiters) }
    }
}

/// Installs `Backend` as the crate's default backend, for the whole program (feature
/// `custom-backend`). Call it once, in the final binary:
///
/// ```ignore
/// portable_futex::set_backend!(my_rtos::Futex);
/// ```
///
/// Every `portable_futex::wait`, `wake` and `Deadline::new` anywhere in the dependency tree
/// then runs on `my_rtos::Futex`. Installing none, or two, fails at link time.
#[macro_export]
macro_rules! set_backend {
    ($backend:ty) => {
        const _: () = {
            #[no_mangle]
            fn _portable_futex_1_wait(
                futex: &::core::sync::atomic::AtomicU32,
                expect: u32,
                timeout: ::core::option::Option<::core::time::Duration>,
            ) -> ::core::result::Result<(), $crate::Timeout> {
                <$backend as $crate::FutexBackend>::wait(futex, expect, timeout)
            }

            #[no_mangle]
            fn _portable_futex_1_wake(
                futex: *const ::core::sync::atomic::AtomicU32,
                max_waiters: u32,
            ) {
                <$backend as $crate::FutexBackend>::wake(futex, max_waiters)
            }
        };
    };
}
