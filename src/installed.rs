//! The default backend chosen by the final binary (feature `custom-backend`).
//!
//! Libraries call the root functions; the binary decides, once, what serves them, with
//! [`set_backend!`](crate::set_backend). The two sides meet at link time through two
//! `extern "Rust"` symbols, the way `critical-section` lets a binary pick its implementation:
//! no generic parameter travels through the libraries in between, and there is nothing to
//! initialise at run time.
//!
//! - Nobody installs one: the link fails with an undefined `_portable_futex_0_1_wait` (or
//!   `_wake`, `_yield_now`). That is the moment to add `portable_futex::set_backend!(YourBackend);`.
//! - One crate installs two: it fails to compile, `_portable_futex_0_1_wait` "is already
//!   defined".
//! - Two crates install one each: the link fails with a duplicate symbol if the linker pulls in
//!   both. It may not: from a library it takes an object only to resolve a missing symbol, and
//!   the first definition already resolved it. Then the other is silently unused. This is why
//!   only the final binary should call `set_backend!`, never a library.
//! - It installs `Installed` itself (or `DefaultBackend`, which is `Installed` here): it fails
//!   to compile, since the symbols would call themselves forever.
//!
//! The symbols carry the crate's semver-compatible version (`0_1` for every 0.1.x, `1` for
//! every 1.x): two incompatible versions of the crate in one binary each get their own
//! installed backend, and never call a function whose signature they do not share. A check
//! below, evaluated on every build, fails if the names fall out of step with `Cargo.toml`.

#[cfg(feature = "custom-backend")]
use core::sync::atomic::AtomicU32;
#[cfg(feature = "custom-backend")]
use core::time::Duration;

#[cfg(feature = "custom-backend")]
use crate::{FutexBackend, Timeout};

/// The link names of the two installed functions; one place for both sides (the `extern`
/// declarations below and the definitions `set_backend!` makes).
#[doc(hidden)]
#[macro_export]
macro_rules! __portable_futex_symbol {
    (wait) => {
        "_portable_futex_0_1_wait"
    };
    (wake) => {
        "_portable_futex_0_1_wake"
    };
    (yield_now) => {
        "_portable_futex_0_1_yield_now"
    };
}

// The names must carry the version that Cargo.toml gives the crate, in its semver-compatible
// form: bump the version without renaming them and the build stops here.
const _: () = {
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    assert!(
        is_versioned_symbol(crate::__portable_futex_symbol!(wait), "wait", major, minor, patch)
            && is_versioned_symbol(
                crate::__portable_futex_symbol!(wake),
                "wake",
                major,
                minor,
                patch
            )
            && is_versioned_symbol(
                crate::__portable_futex_symbol!(yield_now),
                "yield_now",
                major,
                minor,
                patch
            ),
        "the installed symbols' names must carry the crate's semver-compatible version: \
         rename them in `__portable_futex_symbol!` (src/installed.rs)"
    );
};

/// Whether `symbol` is `_portable_futex_<version>_<name>`, where `<version>` is the
/// semver-compatible part of `major.minor.patch` with `_` between its numbers: `3` for 3.y.z,
/// `0_2` for 0.2.z, `0_0_5` for 0.0.5.
// Used by the check above, which the MSRV (1.81) does not count as a use.
#[allow(dead_code)]
const fn is_versioned_symbol(
    symbol: &str,
    name: &str,
    major: &str,
    minor: &str,
    patch: &str,
) -> bool {
    let symbol = symbol.as_bytes();
    let mut at = match eat(symbol, 0, b"_portable_futex_") {
        Some(at) => at,
        None => return false,
    };
    // The version's numbers, up to the first non-zero one (semver's compatibility rule).
    let parts = if !is_zero(major) {
        1
    } else if !is_zero(minor) {
        2
    } else {
        3
    };
    let numbers = [major, minor, patch];
    let mut i = 0;
    while i < parts {
        at = match eat(symbol, at, numbers[i].as_bytes()) {
            Some(at) => at,
            None => return false,
        };
        at = match eat(symbol, at, b"_") {
            Some(at) => at,
            None => return false,
        };
        i += 1;
    }
    matches!(eat(symbol, at, name.as_bytes()), Some(end) if end == symbol.len())
}

const fn is_zero(number: &str) -> bool {
    matches!(number.as_bytes(), b"0")
}

/// The index after `part`, if `text` continues with it at `at`.
const fn eat(text: &[u8], at: usize, part: &[u8]) -> Option<usize> {
    if text.len() < at || text.len() - at < part.len() {
        return None;
    }
    let mut i = 0;
    while i < part.len() {
        if text[at + i] != part[i] {
            return None;
        }
        i += 1;
    }
    Some(at + part.len())
}

#[cfg(feature = "custom-backend")]
extern "Rust" {
    #[link_name = crate::__portable_futex_symbol!(wait)]
    fn installed_wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout>;
    #[link_name = crate::__portable_futex_symbol!(wake)]
    fn installed_wake(futex: *const AtomicU32, max_waiters: u32);
    #[link_name = crate::__portable_futex_symbol!(yield_now)]
    fn installed_yield_now() -> bool;
}

/// The backend that the binary installed with [`set_backend!`](crate::set_backend): the
/// default backend when the feature `custom-backend` is on.
#[cfg(feature = "custom-backend")]
#[derive(Debug, Clone, Copy)]
pub struct Installed;

#[cfg(feature = "custom-backend")]
impl FutexBackend for Installed {
    #[inline]
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // SAFETY: `set_backend!` defines this symbol with exactly this signature, as a safe
        // function that forwards to a `FutexBackend`; the link fails if nobody defined it.
        unsafe { installed_wait(futex, expect, timeout) }
    }

    #[inline]
    // The pointer goes to another `FutexBackend::wake`, which uses it as an address only.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // SAFETY: as above; the pointer is passed on untouched.
        unsafe { installed_wake(futex, max_waiters) }
    }

    #[inline]
    fn yield_now() -> bool {
        // SAFETY: as above: `set_backend!` defines it, safe, forwarding to the backend's.
        unsafe { installed_yield_now() }
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
/// then runs on `my_rtos::Futex`. Installing none, or two, fails at link time. Installing
/// `backend::Installed` (or `DefaultBackend`, which names it) fails to compile: it would
/// forward every call to itself.
#[cfg(feature = "custom-backend")]
#[macro_export]
macro_rules! set_backend {
    ($backend:ty) => {
        const _: () = {
            // Refuse `Installed` (directly or behind `Counted`): the installed functions would
            // call themselves until the stack overflows. An inherent constant of `Check` for
            // those types is chosen over the trait's for every other type, and fails to
            // evaluate.
            struct Check<B>(::core::marker::PhantomData<B>);
            impl Check<$crate::backend::Installed> {
                const ACCEPTED: () = ::core::panic!(
                    "set_backend!: `backend::Installed` (what `DefaultBackend` names with \
                     `custom-backend`) is the backend that set_backend! defines; installing it \
                     would make it call itself forever. Name the backend that does the work, \
                     such as `backend::Linux`, `backend::Queue` or your own."
                );
            }
            #[cfg(target_has_atomic = "ptr")]
            impl Check<$crate::backend::Counted<$crate::backend::Installed>> {
                const ACCEPTED: () = ::core::panic!(
                    "set_backend!: `Counted<backend::Installed>` would call itself forever: \
                     count the backend that does the work instead, such as \
                     `Counted<backend::Linux>`."
                );
            }
            trait Accept {
                const ACCEPTED: () = ();
            }
            impl<B> Accept for Check<B> {}
            Check::<$backend>::ACCEPTED
        };

        const _: () = {
            #[export_name = $crate::__portable_futex_symbol!(wait)]
            fn wait(
                futex: &::core::sync::atomic::AtomicU32,
                expect: u32,
                timeout: ::core::option::Option<::core::time::Duration>,
            ) -> ::core::result::Result<(), $crate::Timeout> {
                <$backend as $crate::FutexBackend>::wait(futex, expect, timeout)
            }

            #[export_name = $crate::__portable_futex_symbol!(wake)]
            fn wake(futex: *const ::core::sync::atomic::AtomicU32, max_waiters: u32) {
                <$backend as $crate::FutexBackend>::wake(futex, max_waiters)
            }

            #[export_name = $crate::__portable_futex_symbol!(yield_now)]
            fn yield_now() -> bool {
                <$backend as $crate::FutexBackend>::yield_now()
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::is_versioned_symbol;

    #[test]
    fn the_symbols_carry_the_semver_compatible_version() {
        let cases = [
            ("_portable_futex_0_1_wait", "wait", ("0", "1", "0"), true),
            ("_portable_futex_0_1_wait", "wait", ("0", "1", "7"), true),
            ("_portable_futex_0_1_wake", "wake", ("0", "1", "0"), true),
            ("_portable_futex_0_1_wait", "wake", ("0", "1", "0"), false),
            ("_portable_futex_0_1_wait", "wait", ("0", "2", "0"), false),
            ("_portable_futex_1_wait", "wait", ("0", "1", "0"), false),
            ("_portable_futex_1_wait", "wait", ("1", "4", "2"), true),
            ("_portable_futex_1_4_wait", "wait", ("1", "4", "2"), false),
            ("_portable_futex_12_wait", "wait", ("1", "0", "0"), false),
            ("_portable_futex_0_0_3_wake", "wake", ("0", "0", "3"), true),
            ("_portable_futex_0_0_wake", "wake", ("0", "0", "3"), false),
            ("_portable_futex_0_1_waitx", "wait", ("0", "1", "0"), false),
            ("_portable_futex_0_1_", "wait", ("0", "1", "0"), false),
            // An empty name ends the symbol right after the version (`eat` of nothing at the
            // very end still succeeds).
            ("_portable_futex_0_1_", "", ("0", "1", "0"), true),
            ("", "wait", ("0", "1", "0"), false),
        ];
        for (symbol, name, (major, minor, patch), expected) in cases {
            assert_eq!(
                is_versioned_symbol(symbol, name, major, minor, patch),
                expected,
                "{symbol} as `{name}` of {major}.{minor}.{patch}"
            );
        }
    }
}
