//! Linux and Android: the `futex(2)` system call.
//!
//! `FUTEX_WAIT` sleeps only if the word still holds the expected value, and the kernel makes
//! that check under the lock of the hash bucket that `FUTEX_WAKE` takes too: that is the
//! atomicity and the total order the front end promises. `FUTEX_PRIVATE_FLAG` tells the kernel
//! the word is not shared with another process, so it hashes the virtual address alone instead
//! of pinning the page to find its inode.
//!
//! The call goes through `libc::syscall`, which Miri also understands. On 32-bit targets the
//! original `futex` takes a 32-bit `time_t`, and kernels built without `COMPAT_32BIT_TIME` (and
//! 32-bit architectures newer than 2019, such as riscv32) have only `futex_time64`: we call that
//! one first and fall back to the old number where it is missing (kernels before 5.1).

use core::ffi::{c_int, c_long};
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{FutexBackend, Timeout};

/// The Linux (and Android) `futex(2)` backend: process-private `FUTEX_WAIT` / `FUTEX_WAKE`.
///
/// The default backend on Linux and Android (feature `linux`).
#[derive(Debug, Clone, Copy)]
pub struct Linux;

impl FutexBackend for Linux {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let timeout = timeout.map(RelativeTimeout::from_duration);
        // SAFETY: `futex` is a live reference for the whole call, so the kernel reads a valid,
        // aligned u32; `timeout` is either absent or a value on this stack frame.
        let result = unsafe {
            sys::futex(
                futex.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expect,
                timeout,
            )
        };
        match result {
            // Woken by a `wake` (or by the kernel for its own reasons: a spurious wakeup).
            Ok(_) => Ok(()),
            Err(errno) => match errno {
                // The word no longer held `expect` when the kernel compared it under its lock.
                libc::EAGAIN => Ok(()),
                // A signal handler ran while we slept.
                libc::EINTR => Ok(()),
                // The time passed, unless we had shortened it: then it is only spurious.
                libc::ETIMEDOUT => match timeout {
                    Some(timeout) if !timeout.clamped => Err(Timeout),
                    _ => Ok(()),
                },
                // The kernel refused the timespec. `RelativeTimeout` keeps it in range, so
                // this is not ours to report; treating it as spurious is always correct.
                libc::EINVAL => Ok(()),
                // EFAULT cannot happen with a live `&AtomicU32`. Anything else (ENOSYS under a
                // seccomp filter, say) leaves nothing to do but return: the caller re-checks.
                _ => Ok(()),
            },
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // The kernel takes a signed count; anything above i32::MAX already means "everyone".
        let count = max_waiters.min(i32::MAX as u32);
        // SAFETY: `FUTEX_WAKE` never reads or writes the word: the kernel uses the address
        // only as a hash key, so a dangling or freed `futex` is fine. No timeout is passed.
        let result = unsafe {
            sys::futex(
                futex.cast(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                count,
                None,
            )
        };
        // Ok(n) is how many were woken, perhaps zero. EFAULT: the page of the word was unmapped
        // after its owner freed it; nobody can be waiting there. EINVAL: the address is used
        // for another kind of futex (a PI lock) elsewhere; nobody of ours waits on it. Neither
        // is the caller's concern.
        let _ = result;
    }
}

/// A relative timeout in the form every Linux ABI accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RelativeTimeout {
    secs: i32,
    nanos: i32,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    clamped: bool,
}

impl RelativeTimeout {
    /// Saturates at `i32::MAX` seconds (68 years), which fits both the 64-bit timespec and the
    /// 32-bit `time_t` of the old 32-bit `futex`, so one conversion serves every target.
    fn from_duration(duration: Duration) -> Self {
        match i32::try_from(duration.as_secs()) {
            Ok(secs) => Self {
                secs,
                nanos: duration.subsec_nanos() as i32,
                clamped: false,
            },
            Err(_) => Self {
                secs: i32::MAX,
                nanos: 0,
                clamped: true,
            },
        }
    }
}

/// The raw system call, and nothing else.
mod sys {
    use super::*;

    /// `futex(uaddr, op, val, timeout, NULL, 0)`: the return value, or the errno.
    ///
    /// # Safety
    ///
    /// - For `FUTEX_WAIT`, `uaddr` points to a live, aligned `u32`.
    /// - For `FUTEX_WAKE`, `uaddr` may be anything: the kernel never touches it.
    pub(super) unsafe fn futex(
        uaddr: *const u32,
        op: c_int,
        val: u32,
        timeout: Option<RelativeTimeout>,
    ) -> Result<c_long, c_int> {
        #[cfg(any(target_pointer_width = "64", target_arch = "x86_64"))]
        {
            // 64-bit targets (and x32) have one `futex`, with a 64-bit timespec.
            let ts = timeout.map(Timespec64::new);
            // SAFETY: the caller's rules for `uaddr`; `ts` lives on this frame until the call
            // returns, and is null for "no timeout".
            unsafe { call(libc::SYS_futex, uaddr, op, val, opt_ptr(&ts)) }
        }
        #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
        {
            let ts = timeout.map(Timespec64::new);
            // SAFETY: as above.
            let result = unsafe { call(SYS_FUTEX_TIME64, uaddr, op, val, opt_ptr(&ts)) };
            // Before Linux 5.1 `futex_time64` does not exist; then the old call, which takes
            // a 32-bit timespec, does the same job (our timeouts fit its `time_t`). Where
            // `SYS_futex` *is* `futex_time64` there is nothing to fall back to.
            if result != Err(libc::ENOSYS) || libc::SYS_futex == SYS_FUTEX_TIME64 {
                return result;
            }
            let ts = timeout.map(|t| Timespec32 {
                tv_sec: t.secs,
                tv_nsec: t.nanos,
            });
            // SAFETY: as above.
            unsafe { call(libc::SYS_futex, uaddr, op, val, opt_ptr(&ts)) }
        }
    }

    /// `struct __kernel_timespec`: two 64-bit fields on every architecture.
    #[repr(C)]
    struct Timespec64 {
        tv_sec: i64,
        tv_nsec: i64,
    }

    impl Timespec64 {
        fn new(t: RelativeTimeout) -> Self {
            Self {
                tv_sec: t.secs.into(),
                tv_nsec: t.nanos.into(),
            }
        }
    }

    /// `struct old_timespec32` of the original 32-bit `futex`.
    #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
    #[repr(C)]
    struct Timespec32 {
        tv_sec: i32,
        tv_nsec: i32,
    }

    /// `futex_time64` has number 422 on every 32-bit architecture, offset by MIPS's ABI base.
    #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
    const SYS_FUTEX_TIME64: c_long = if cfg!(target_arch = "mips") {
        4422
    } else if cfg!(target_arch = "mips64") {
        6422
    } else {
        422
    };

    fn opt_ptr<T>(value: &Option<T>) -> *const T {
        value.as_ref().map_or(core::ptr::null(), |v| v as *const T)
    }

    /// # Safety
    ///
    /// `number` is a futex system call and the arguments follow `futex::futex`'s rules.
    unsafe fn call<T>(
        number: c_long,
        uaddr: *const u32,
        op: c_int,
        val: u32,
        timeout: *const T,
    ) -> Result<c_long, c_int> {
        // SAFETY: the caller vouches for every argument. The last two (uaddr2, val3) are unused
        // by WAIT and WAKE and passed as null and zero.
        let ret = unsafe {
            libc::syscall(
                number,
                uaddr,
                op,
                val,
                timeout,
                core::ptr::null::<u32>(),
                0u32,
            )
        };
        if ret >= 0 {
            Ok(ret)
        } else {
            Err(errno())
        }
    }

    fn errno() -> c_int {
        // SAFETY: the C library returns a pointer to this thread's errno, valid for the life of
        // the thread.
        unsafe {
            #[cfg(target_os = "android")]
            let location = libc::__errno();
            #[cfg(not(target_os = "android"))]
            let location = libc::__errno_location();
            *location
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_conversion() {
        let t = RelativeTimeout::from_duration;
        assert_eq!(
            t(Duration::ZERO),
            RelativeTimeout {
                secs: 0,
                nanos: 0,
                clamped: false
            }
        );
        assert_eq!(
            t(Duration::from_nanos(1)),
            RelativeTimeout {
                secs: 0,
                nanos: 1,
                clamped: false
            }
        );
        assert_eq!(
            t(Duration::new(3, 999_999_999)),
            RelativeTimeout {
                secs: 3,
                nanos: 999_999_999,
                clamped: false
            }
        );
        let max_exact = Duration::new(i32::MAX as u64, 999_999_999);
        assert_eq!(
            t(max_exact),
            RelativeTimeout {
                secs: i32::MAX,
                nanos: 999_999_999,
                clamped: false
            }
        );
        let just_over = Duration::from_secs(i32::MAX as u64 + 1);
        assert_eq!(
            t(just_over),
            RelativeTimeout {
                secs: i32::MAX,
                nanos: 0,
                clamped: true
            }
        );
        assert_eq!(
            t(Duration::MAX),
            RelativeTimeout {
                secs: i32::MAX,
                nanos: 0,
                clamped: true
            }
        );
    }
}
