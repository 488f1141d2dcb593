//! Windows: `WaitOnAddress`, `WakeByAddressSingle` and `WakeByAddressAll` (Windows 8+).
//!
//! `WaitOnAddress(addr, &expect, 4, ms)` sleeps only if `*addr` still equals `expect`, and the
//! system registers the waiter for `addr` before it makes that comparison, so a
//! `WakeByAddress*` that follows a store of a new value either finds the waiter registered or
//! the waiter finds the new value: no lost wakeups.
//! The wake functions take the address as a key and never touch the memory behind it.
//!
//! # Why the functions are looked up at run time
//!
//! A static import ties the program to whatever DLL name the import library or the binding
//! crate recorded, and the loader resolves it before `main`, so a wrong or missing name kills
//! every program that links the library, whether it ever waits or not. Rust users have been
//! hit by this repeatedly:
//!
//! - windows-sys 0.36 recorded `vertdll.dll` (an enclave DLL) for these functions: programs
//!   failed to start with `STATUS_DLL_INIT_FAILED` on Windows Server 2022 and did not start
//!   under Wine at all (microsoft/windows-rs#2027, fixed in the metadata by naming the API set
//!   `api-ms-win-core-synch-l1-2-0.dll`).
//! - When std began importing `WaitOnAddress` on the GNU targets, builds that do their own
//!   final link failed with "undefined reference to `WaitOnAddress`" until they added
//!   `-lsynchronization` (rust-lang/rust#123923), and with an older MinGW import library the
//!   programs linked but died with `STATUS_ENTRYPOINT_NOT_FOUND` on Windows Server 2019
//!   (rust-lang/rust#123999); std switched to `raw-dylib` imports to name the DLL itself
//!   (rust-lang/rust#124019). MinGW's `libsynchronization.a` has never matched MSVC's
//!   `synchronization.lib` either: it carries dozens of other functions (rust-lang/rust#49438).
//! - Windows 7 has no `WaitOnAddress`: a static import makes the program refuse to start.
//!
//! A run-time lookup turns each of these into "the functions are not there", which the backend
//! can answer, instead of a program that does not start or link.
//!
//! So the backend asks the loader itself, once: `GetModuleHandleW` of the API set
//! `api-ms-win-core-synch-l1-2-0.dll` (the contract Microsoft documents for these functions;
//! no `LoadLibrary`, so nothing can run a DLL's initialisation inside a futex call), then
//! `GetProcAddress` for each name. Those two come from `kernel32.dll`, which every Windows has.
//!
//! # When the lookup fails
//!
//! Before Windows 8 (or in a sandbox without the API set) there is no address-based wait in
//! any documented API. With `std` the backend then becomes [`Queue`](crate::backend::Queue),
//! the user-space wait queue, which parks threads through std. Without `std` there is nothing
//! documented to sleep on, so a wait sleeps one scheduler tick (`Sleep(1)`) and returns as if
//! woken spuriously: every caller re-checks its condition, so this polls, slowly but without
//! losing a wakeup, and `wake` has nothing to do. Which of the two paths serves the process is
//! decided by the one lookup and never changes, so waiters and wakers always agree.
//!
//! # Miri
//!
//! Miri implements `WaitOnAddress` and the two wakes but not `GetModuleHandleW` ("can't call
//! foreign function", nightly-2026-05-20), so under `cfg(miri)` the functions are called
//! through windows-sys's imports directly, and the lookup is what Miri does not check.

// `src/backend.rs` already compiles `timeout.rs` for every test build, on every host: reuse
// that module under test rather than load the file twice (clippy's `duplicate_mod`).
#[cfg(not(test))]
mod timeout;
#[cfg(test)]
use super::windows_timeout_on_host as timeout;

use core::ffi::c_void;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use windows_sys::Win32::Foundation::{GetLastError, ERROR_TIMEOUT};

use self::timeout::{Millis, INFINITE};
use crate::{FutexBackend, Timeout};

// Our own `INFINITE` (kept in the pure `timeout.rs`) is the system's.
const _: () = assert!(INFINITE == windows_sys::Win32::System::Threading::INFINITE);

/// The Windows backend: `WaitOnAddress` / `WakeByAddressSingle` / `WakeByAddressAll`.
///
/// The default backend on Windows. The three functions are looked up at run time, once (see
/// the module source for why); where they do not exist (before Windows 8) the backend falls
/// back to [`Queue`](crate::backend::Queue) with `std`, and to polling with `Sleep(1)`
/// without it. Timeouts are rounded up to whole milliseconds; one of 2³² − 1 ms (49.7 days)
/// or more waits without end, and such a wait never reports [`Timeout`].
///
/// `wake(_, 1)` wakes one waiter; `wake(_, n)` with any other `n` wakes them all (Windows
/// has no "wake n"), and those beyond `n` return spuriously.
#[derive(Debug, Clone, Copy)]
pub struct Windows;

impl FutexBackend for Windows {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let Some(api) = api::get() else {
            return fallback::wait(futex, expect, timeout);
        };
        let millis = timeout.map(Millis::from_duration);
        let ms = millis.map_or(INFINITE, |m| m.ms);
        let start = timeout.map(|_| clock::now());
        let expect_ptr: *const u32 = &expect;
        // SAFETY: `api.wait` is `WaitOnAddress` (see `api`). `futex` is a live reference for the
        // whole call, so the OS reads an aligned 4-byte word that stays valid, and it reads it
        // atomically; `expect_ptr` points to a `u32` on this frame, valid for the call; the size
        // 4 is one of the sizes the function accepts (1, 2, 4, 8).
        let woken = unsafe { (api.wait)(futex.as_ptr().cast(), expect_ptr.cast(), 4, ms) };
        if woken != 0 {
            // Woken by a wake, or the word no longer held `expect`, or spuriously: all `Ok`.
            return Ok(());
        }
        // SAFETY: reads this thread's last-error value, which the failed call just set.
        let error = unsafe { GetLastError() };
        match error {
            // The time passed, unless there was none (`INFINITE`) or we had clamped it to
            // `INFINITE`: then nobody asked for this timeout, and it only counts as spurious.
            // Windows ends timed waits on the system clock's tick, which may come before the
            // time asked for (by up to a tick, 15.6 ms by default, whatever the rounding), so
            // the timeout stands only once the performance counter confirms it.
            ERROR_TIMEOUT => match (millis, timeout, start) {
                (Some(millis), Some(timeout), Some(start))
                    if !millis.clamped && clock::since(start) >= timeout =>
                {
                    Err(Timeout)
                }
                _ => Ok(()),
            },
            // ERROR_TIMEOUT is the only failure the function documents. The arguments cannot
            // be invalid (size 4, live pointers), so anything else is the system's own
            // business: a spurious return, and the caller re-checks.
            _ => Ok(()),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        let Some(api) = api::get() else {
            return fallback::wake(futex, max_waiters);
        };
        let address = futex.cast::<c_void>();
        // Windows wakes one or all, nothing in between, and tells nobody how many it woke. So
        // 1 is one `WakeByAddressSingle`, and any larger count one `WakeByAddressAll`: the
        // waiters beyond the count return spuriously and wait again. A loop of single wakes
        // would keep "at most n" exact, but would make n calls (each a lock and a lookup in
        // the wait table) also when nobody is waiting, which it cannot see; `Counted<Windows>`
        // skips the call when nobody waits.
        match max_waiters {
            // The front end never passes 0, but the backend is public: "at most 0" is nobody.
            0 => {}
            // SAFETY: `wake_one` is `WakeByAddressSingle` (see `api`), which uses the address
            // only as the key of the wait table and never reads or writes through it, so a
            // dangling or freed `futex` is fine. It has no failure and no result.
            1 => unsafe { (api.wake_one)(address) },
            // SAFETY: as above, for `WakeByAddressAll`.
            _ => unsafe { (api.wake_all)(address) },
        }
    }

    /// `SwitchToThread`: runs another thread that is ready on this processor, if there is one.
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: `SwitchToThread` takes nothing and touches no memory of ours; its result
        // (whether another thread ran) does not matter here.
        unsafe { windows_sys::Win32::System::Threading::SwitchToThread() };
        true
    }
}

/// The performance counter: Windows' monotonic, high-resolution clock.
mod clock {
    use core::time::Duration;

    use windows_sys::Win32::System::Performance::{
        QueryPerformanceCounter, QueryPerformanceFrequency,
    };

    use super::timeout::ticks_to_duration;

    pub(super) fn now() -> i64 {
        let mut ticks = 0;
        // SAFETY: writes the counter into a live `i64`; it cannot fail on Windows XP and later.
        unsafe { QueryPerformanceCounter(&mut ticks) };
        ticks
    }

    pub(super) fn since(start: i64) -> Duration {
        let mut frequency = 0;
        // SAFETY: writes the (boot-time constant) frequency into a live `i64`; cannot fail.
        unsafe { QueryPerformanceFrequency(&mut frequency) };
        ticks_to_duration(now().saturating_sub(start), frequency)
    }
}

/// `WaitOnAddress(Address, CompareAddress, AddressSize, dwMilliseconds) -> BOOL`.
type WaitFn = unsafe extern "system" fn(*const c_void, *const c_void, usize, u32) -> i32;
/// `WakeByAddressSingle(Address)` and `WakeByAddressAll(Address)`.
type WakeFn = unsafe extern "system" fn(*const c_void);

/// The three functions, once found.
#[derive(Clone, Copy)]
struct Api {
    wait: WaitFn,
    wake_one: WakeFn,
    wake_all: WakeFn,
}

/// The run-time lookup, cached in three atomics and a state byte.
#[cfg(not(miri))]
mod api {
    use core::ffi::c_void;
    use core::ptr;
    use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
    use core::sync::atomic::{AtomicPtr, AtomicU8};

    use windows_sys::core::{s, w, PCSTR};
    use windows_sys::Win32::Foundation::HMODULE;
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};

    use super::{Api, WaitFn, WakeFn};

    const UNKNOWN: u8 = 0;
    const FOUND: u8 = 1;
    const MISSING: u8 = 2;

    static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);
    static WAIT: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());
    static WAKE_ONE: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());
    static WAKE_ALL: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

    // Why these orderings. A thread that found the functions stores the three pointers
    // (Relaxed) before its compare-exchange that settles `FOUND` (Release). A reader that sees
    // `FOUND`, by a load or a failed compare-exchange (both Acquire), synchronizes with that
    // store, so its Relaxed loads of the pointers see those values (or the same values stored
    // by another thread that found them too), never the initial nulls. A thread that found
    // them but lost the race to a `MISSING` leaves harmless values that nobody ever reads.
    // `STATE` leaves `UNKNOWN` exactly once, by compare-exchange, and every thread acts only on
    // the settled value: even if the lookup could answer differently in two threads (a module
    // loaded in between), the whole process still uses one mechanism, as waiters and wakers
    // must.

    /// The functions, or `None` where this Windows lacks them.
    #[inline]
    pub(super) fn get() -> Option<Api> {
        match STATE.load(Acquire) {
            FOUND => Some(load()),
            MISSING => None,
            _ => resolve(),
        }
    }

    fn load() -> Api {
        let wait = WAIT.load(Relaxed);
        let wake_one = WAKE_ONE.load(Relaxed);
        let wake_all = WAKE_ALL.load(Relaxed);
        // SAFETY: called only after an Acquire read of `FOUND`, which a `resolve` settled
        // (Release) after storing these three non-null pointers, so they are addresses that
        // `GetProcAddress` gave for the named functions (in a module that is never unloaded),
        // whose signatures are `WaitFn` and `WakeFn`. A data pointer and a function pointer
        // have the same size and representation on Windows, and a non-null one is a valid
        // function pointer value.
        unsafe {
            Api {
                wait: core::mem::transmute::<*mut c_void, WaitFn>(wait),
                wake_one: core::mem::transmute::<*mut c_void, WakeFn>(wake_one),
                wake_all: core::mem::transmute::<*mut c_void, WakeFn>(wake_all),
            }
        }
    }

    /// Looks the functions up, and settles the state for the process: the first thread to
    /// settle it decides, and every later (or racing) caller follows that decision.
    #[cold]
    fn resolve() -> Option<Api> {
        let mine = match lookup() {
            Some([wait, wake_one, wake_all]) => {
                WAIT.store(wait, Relaxed);
                WAKE_ONE.store(wake_one, Relaxed);
                WAKE_ALL.store(wake_all, Relaxed);
                FOUND
            }
            None => MISSING,
        };
        let settled = match STATE.compare_exchange(UNKNOWN, mine, AcqRel, Acquire) {
            Ok(_) => mine,
            Err(theirs) => theirs,
        };
        (settled == FOUND).then(load)
    }

    /// The three functions, all or none: waiters and wakers must use the same mechanism.
    fn lookup() -> Option<[*mut c_void; 3]> {
        // SAFETY: `w!` makes a NUL-terminated UTF-16 string in static memory. GetModuleHandleW
        // only looks up a module that is already loaded: it runs no DLL initialisation and
        // takes no reference that we would have to release.
        let module = unsafe { GetModuleHandleW(w!("api-ms-win-core-synch-l1-2-0.dll")) };
        if module.is_null() {
            return None;
        }
        let wait = find(module, s!("WaitOnAddress"));
        let wake_one = find(module, s!("WakeByAddressSingle"));
        let wake_all = find(module, s!("WakeByAddressAll"));
        let all_found = !wait.is_null() && !wake_one.is_null() && !wake_all.is_null();
        all_found.then_some([wait, wake_one, wake_all])
    }

    /// The address of export `name` of `module`, or null.
    fn find(module: HMODULE, name: PCSTR) -> *mut c_void {
        // SAFETY: `module` is a handle GetModuleHandleW returned for a module that stays loaded
        // (an API set host is never unloaded); `name` is a NUL-terminated static string.
        let address = unsafe { GetProcAddress(module, name) };
        address.map_or(ptr::null_mut(), |f| f as *mut c_void)
    }
}

/// Under Miri: windows-sys's imports, which Miri implements, with no lookup.
#[cfg(miri)]
mod api {
    use windows_sys::Win32::System::Threading::{
        WaitOnAddress, WakeByAddressAll, WakeByAddressSingle,
    };

    use super::Api;

    pub(super) fn get() -> Option<Api> {
        Some(Api { wait: WaitOnAddress, wake_one: WakeByAddressSingle, wake_all: WakeByAddressAll })
    }
}

/// What serves the process where the lookup failed (before Windows 8).
#[cfg_attr(miri, allow(dead_code))]
mod fallback {
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    #[cfg(all(feature = "std", not(all(loom, test))))]
    use crate::FutexBackend;
    use crate::Timeout;

    /// With std: the user-space wait queue, on std's locks and thread parking.
    #[cfg(all(feature = "std", not(all(loom, test))))]
    type Fallback = crate::backend::Queue;

    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(super) fn wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        Fallback::wait(futex, expect, timeout)
    }

    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(super) fn wake(futex: *const AtomicU32, max_waiters: u32) {
        Fallback::wake(futex, max_waiters)
    }

    /// Without std: sleep one tick and return as a spurious wakeup, so the caller polls.
    #[cfg(not(all(feature = "std", not(all(loom, test)))))]
    pub(super) fn wait(
        _futex: &AtomicU32,
        _expect: u32,
        _timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        // SAFETY: `Sleep` has no preconditions.
        unsafe { windows_sys::Win32::System::Threading::Sleep(1) };
        Ok(())
    }

    /// Without std: nobody sleeps on an address, so there is nobody to wake.
    #[cfg(not(all(feature = "std", not(all(loom, test)))))]
    pub(super) fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}
}

#[cfg(test)]
mod tests {
    /// Every Windows that Rust's tier-1 targets run on (10+) has the functions, and so does
    /// Wine: the fallback must not be what the test suite exercises.
    #[test]
    fn the_functions_are_found() {
        assert!(super::api::get().is_some());
    }

    /// The fallback never runs on a Windows that has the functions: drive it directly, so
    /// that its wait and wake are tested too.
    #[cfg(feature = "std")]
    #[test]
    fn the_fallback_wakes_and_times_out() {
        use core::sync::atomic::{AtomicU32, Ordering};
        use core::time::Duration;
        use std::sync::Arc;

        use super::fallback;
        use crate::Timeout;

        let word = Arc::new(AtomicU32::new(0));
        let waiter = {
            let word = word.clone();
            std::thread::spawn(move || {
                while word.load(Ordering::Acquire) == 0 {
                    let _ = fallback::wait(&word, 0, None);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
        word.store(1, Ordering::Release);
        fallback::wake(&*word, 1);
        waiter.join().unwrap();

        let idle = AtomicU32::new(0);
        assert_eq!(fallback::wait(&idle, 0, Some(Duration::from_millis(1))), Err(Timeout));
    }
}
