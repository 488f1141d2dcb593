//! WebAssembly with threads: `memory.atomic.wait32` and `memory.atomic.notify`.
//!
//! The engine compares the word with the expected value and parks the thread as one step,
//! under the same lock its `notify` takes for that address, so a notify that follows a store
//! cannot slip in between: that is the atomicity and the total order the front end promises.
//! Both instructions are in the threads proposal, which every current engine ships; Rust
//! exposes them in `core::arch::wasm32` behind the unstable `stdarch_wasm_atomic_wait`.
//!
//! On Emscripten the same backend goes through Emscripten's own `emscripten_futex_wait` and
//! `emscripten_futex_wake`, as Rust's std does there: the browser's main thread, where
//! Emscripten programs often run, may not execute `memory.atomic.wait32` (it traps), and
//! `emscripten_futex_wait` busy-waits there instead (running the work that other threads
//! proxied to the main thread meanwhile), and uses the instruction on every other thread.
//!
//! The timeout conversions live in `timeout.rs`, pure functions tested on the host.

mod timeout;

use core::arch::wasm32;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{FutexBackend, Timeout};

/// Bytes in a WebAssembly page, the unit of `memory.size`.
const PAGE_SIZE: u64 = 65_536;

/// The WebAssembly threads backend: `memory.atomic.wait32` / `memory.atomic.notify` on the
/// module's memory 0 (feature `wasm`).
///
/// The default on wasm32 built with the `atomics` target feature (which today means nightly
/// Rust and `-Zbuild-std`, with `-C target-feature=+atomics,+bulk-memory,+mutable-globals`).
/// Without that target feature a module has no threads, and the default is `SingleThreaded`.
///
/// # Where a wait may run
///
/// **A wait traps on a thread that is not allowed to block.** A browser's main thread (the
/// one that runs the page's event loop) is such a thread: there `memory.atomic.wait32` does
/// not sleep, it aborts the module with a trap, just as `Atomics.wait` throws there. Wait only
/// from Web Workers (or a worklet, or any thread of a non-browser engine such as wasmtime or
/// Node.js, where every thread may block), and let the main thread use `wake`, which never
/// blocks and works everywhere. Code that must run on a browser's main thread cannot sleep on
/// a word at all: poll it, or use `Atomics.waitAsync` from JavaScript.
///
/// **On Emscripten** (`wasm32-unknown-emscripten` built with `atomics`), the backend calls
/// `emscripten_futex_wait`/`emscripten_futex_wake` instead, which wait on the main thread
/// too, by spinning (and running the work other threads proxied to it), and never trap
/// there. Timeouts are rounded up to whole milliseconds; one beyond 2⁵³ ns (104 days) is
/// shortened to that and never reports `Timeout`.
///
/// A wait also traps when memory 0 is not a *shared* memory. A module built with the
/// `atomics` target feature and linked with `--shared-memory` (as threaded programs are)
/// always has one.
///
/// `wake` never traps: an address that no thread can be waiting on (misaligned, or beyond the
/// end of memory) wakes nobody without reaching the instruction, and on an unshared memory the
/// instruction itself wakes nobody.
#[derive(Debug, Clone, Copy)]
pub struct Wasm;

impl FutexBackend for Wasm {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        engine::wait(futex, expect, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        if !can_have_waiters(futex) {
            return;
        }
        engine::wake(futex, max_waiters)
    }
}

/// The instructions themselves.
#[cfg(not(target_os = "emscripten"))]
mod engine {
    use core::arch::wasm32;
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use super::timeout::WaitTimeout;
    use crate::Timeout;

    pub(super) fn wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        let timeout = timeout.map(WaitTimeout::from_duration);
        // Any negative count means "no timeout"; `WaitTimeout` is never negative.
        let nanos = timeout.map_or(-1, |t| t.nanos);
        // The instruction compares 32-bit integers: only the bits of `expect` matter.
        let expect = expect as i32;
        // SAFETY: `futex` is a live reference for the whole call, so the address is inside
        // memory 0 and aligned to 4, which is all the instruction asks of it; it only reads
        // the word, atomically, which is what an `AtomicU32` allows while others access it.
        // The traps it may still raise (an unshared memory, a thread that may not block)
        // abort the module rather than break memory safety; both are documented on `Wasm`.
        let result = unsafe { wasm32::memory_atomic_wait32(futex.as_ptr().cast(), expect, nanos) };
        match result {
            // "ok": woken by a notify on this address.
            0 => Ok(()),
            // "not-equal": the word no longer held `expect` when the engine compared it.
            1 => Ok(()),
            // "timed-out": the time passed, unless we had shortened it: then only spurious.
            2 => match timeout {
                Some(timeout) if !timeout.clamped => Err(Timeout),
                _ => Ok(()),
            },
            // The instruction defines no other result; were one to come, a spurious return is
            // always a correct answer.
            _ => Ok(()),
        }
    }

    /// `futex` passed [`can_have_waiters`](super::can_have_waiters).
    pub(super) fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // `u32::MAX` is already the instruction's "everyone": no conversion is needed.
        // SAFETY: `memory.atomic.notify` never reads or writes the word: the engine uses the
        // address only to find the threads parked on it, so a freed word is fine. What it
        // would trap on, an address that is misaligned or out of bounds, `can_have_waiters`
        // has ruled out (memory never shrinks, so the bound still holds).
        let woken = unsafe { wasm32::memory_atomic_notify(futex.cast_mut().cast(), max_waiters) };
        // How many threads were woken, perhaps none: not the caller's concern.
        let _ = woken;
    }
}

/// Emscripten's functions, which know its main thread (see the module docs).
#[cfg(target_os = "emscripten")]
mod engine {
    use core::ffi::{c_int, c_void};
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use super::timeout::WaitMillis;
    use crate::Timeout;

    // Emscripten's `<emscripten/threading.h>`; the functions are in its libc, which every
    // Emscripten program links.
    extern "C" {
        /// 0 when woken, `-EWOULDBLOCK` when the word differs, `-ETIMEDOUT`, or `-EINVAL` for
        /// a misaligned address. `INFINITY` milliseconds: no timeout.
        fn emscripten_futex_wait(addr: *const c_void, val: u32, max_wait_ms: f64) -> c_int;
        /// Wakes up to `count` waiters (`INT_MAX`: all); the number woken, or `-EINVAL`.
        fn emscripten_futex_wake(addr: *const c_void, count: c_int) -> c_int;
    }

    /// Emscripten's libc is musl's: `ETIMEDOUT` is 73 there.
    const ETIMEDOUT: c_int = 73;

    pub(super) fn wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        let timeout = timeout.map(WaitMillis::from_duration);
        let ms = timeout.map_or(f64::INFINITY, |t| t.ms);
        // SAFETY: `futex` is a live, aligned reference for the whole call: the function reads
        // the word atomically and parks (or, on the main thread, spins) on its address.
        let result = unsafe { emscripten_futex_wait(futex.as_ptr().cast(), expect, ms) };
        match result {
            // The time passed, unless we had shortened it: then only spurious. (On a worker
            // the engine's wait timed it; on the main thread, Emscripten's own clock.)
            r if r == -ETIMEDOUT => match timeout {
                Some(timeout) if !timeout.clamped => Err(Timeout),
                _ => Ok(()),
            },
            // Woken (0), the word differed (-EWOULDBLOCK), or anything else: all `Ok`, a
            // spurious return at worst, and the caller re-checks.
            _ => Ok(()),
        }
    }

    /// `futex` passed [`can_have_waiters`](super::can_have_waiters).
    pub(super) fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // `INT_MAX` is "all"; counts beyond it mean all anyway.
        let count = c_int::try_from(max_waiters).unwrap_or(c_int::MAX);
        // SAFETY: `emscripten_futex_wake` never reads or writes the word: it compares the
        // address with the one the main thread waits on and passes it to
        // `memory.atomic.notify`, whose traps (misaligned, out of bounds) `can_have_waiters`
        // has ruled out; a null address is answered with `-EINVAL`.
        let woken = unsafe { emscripten_futex_wake(futex.cast(), count) };
        // How many were woken, perhaps none: not the caller's concern.
        let _ = woken;
    }
}

/// Whether a thread may be waiting on `futex`, judged from the address alone.
///
/// A waiter holds a `&AtomicU32`: an address aligned to 4 whose word lies inside memory 0.
/// Linear memory only grows, so a word that was inside it once still is; an address that
/// fails either test has no waiter, and `notify` on it would trap.
fn can_have_waiters(futex: *const AtomicU32) -> bool {
    let address = futex as usize as u64;
    let memory_end = wasm32::memory_size::<0>() as u64 * PAGE_SIZE;
    address % 4 == 0 && address + 4 <= memory_end
}
