//! The `futex` system call (and `sched_yield`, which takes nothing and cannot fail): its number
//! on each ABI, how it is entered, and how its errors come back.
//!
//! Two ways in, one per feature:
//! - `linux`: the C library's `syscall(2)` wrapper, which also works under Miri.
//! - `linux-raw` (without `linux`): the system call instruction itself, for runtimes that link
//!   no C library. Numbers and errno values come from `linux-raw-sys`, the kernel's own headers.
//!
//! Which call, on which ABI, is decided by [`Calls::choose`], a pure function of the target's
//! facts (tested on every host):
//!
//! - 64-bit targets (and x32) have one `futex`, with a 64-bit `timespec`.
//! - 32-bit Android: the original `futex` only, with the 32-bit `timespec`. Android 8 to 10
//!   (API 26-29) run 32-bit apps under a seccomp filter that *kills the process* (SIGSYS) on
//!   `futex_time64` instead of failing the call, and bionic itself never makes it. Our
//!   timeouts always fit the 32-bit `time_t` (`timespec.rs` clamps them to `i32::MAX` s).
//! - riscv32 was born after the 2038 work: its only futex call is `futex_time64`.
//! - Every other 32-bit target: `futex_time64` first, because kernels built without
//!   `COMPAT_32BIT_TIME` have only that one; kernels before 5.1 lack it (`ENOSYS`), and some
//!   seccomp profiles refuse it (`EPERM`): then the original call, and the process remembers
//!   (see [`Time64`]) so that it pays the failing call once, not on every wait and wake.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::backend::timespec::RelativeTimeout;

// The operations, the same on every architecture.
const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_CMP_REQUEUE: u32 = 4;
/// The word is not shared with another process: the kernel keys it by virtual address alone.
const FUTEX_PRIVATE_FLAG: u32 = 128;
pub(super) const FUTEX_WAIT_PRIVATE: u32 = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
pub(super) const FUTEX_WAKE_PRIVATE: u32 = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
pub(super) const FUTEX_CMP_REQUEUE_PRIVATE: u32 = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
/// Without the flag: the kernel keys the word by the memory behind it (the file or shared
/// memory object and the offset in it), so waiters and wakers in other processes that map
/// the same memory meet on it (`Shared<Linux>`).
pub(super) const FUTEX_WAIT_SHARED: u32 = FUTEX_WAIT;
pub(super) const FUTEX_WAKE_SHARED: u32 = FUTEX_WAKE;
pub(super) const FUTEX_CMP_REQUEUE_SHARED: u32 = FUTEX_CMP_REQUEUE;

/// An error number from the kernel. Their values differ between architectures (MIPS, SPARC),
/// so they come from the bindings of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Errno(i32);

/// What decides the futex calls of a target.
#[derive(Debug, Clone, Copy)]
struct Target {
    /// `time_t` is 64-bit in the original `futex` (64-bit targets, and x32).
    time64_abi: bool,
    android: bool,
    /// The original `futex`, where the ABI has one (riscv32 has not).
    futex: Option<usize>,
    /// `futex_time64`, on 32-bit ABIs.
    futex_time64: Option<usize>,
}

impl Target {
    /// This target, as compiled.
    const THIS: Self = Self {
        time64_abi: cfg!(any(target_pointer_width = "64", target_arch = "x86_64")),
        android: cfg!(target_os = "android"),
        futex: abi::NR_FUTEX,
        futex_time64: abi::NR_FUTEX_TIME64,
    };
}

/// The futex calls a target makes, and with which `timespec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calls {
    /// One call, with the 64-bit `timespec`: `futex` on 64-bit targets, `futex_time64` on
    /// riscv32.
    Only64(usize),
    /// One call, the original `futex`, with the 32-bit `timespec` (32-bit Android).
    Only32(usize),
    /// `futex_time64` with the 64-bit `timespec`; where the kernel lacks it, the original
    /// `futex` with the 32-bit one.
    Time64Then32 { time64: usize, futex: usize },
}

impl Calls {
    const THIS: Self = Self::choose(Target::THIS);

    /// The calls for `target` (see the module docs for why).
    const fn choose(target: Target) -> Self {
        match (target.futex, target.futex_time64) {
            (Some(futex), _) if target.time64_abi => Self::Only64(futex),
            (Some(futex), _) if target.android => Self::Only32(futex),
            (Some(futex), Some(time64)) => Self::Time64Then32 { time64, futex },
            (Some(futex), None) => Self::Only32(futex),
            (None, Some(time64)) => Self::Only64(time64),
            (None, None) => panic!("a Linux ABI without a futex system call"),
        }
    }
}

/// Whether `futex_time64` is known to be missing in this process.
///
/// Set once the kernel answered `ENOSYS` (a kernel before 5.1: that does not change while the
/// process runs) or `EPERM` (a seccomp filter: filters are inherited and can only be added,
/// never removed, so a refusal stays a refusal). Neither `FUTEX_WAIT` nor `FUTEX_WAKE` returns
/// either error by itself, so one such answer is proof enough.
struct Time64 {
    missing: AtomicBool,
}

static TIME64: Time64 = Time64 { missing: AtomicBool::new(false) };

impl Time64 {
    /// `time64()`, unless it is known to be missing; then (or when it turns out missing now)
    /// `old()`.
    ///
    /// Relaxed is enough: the flag guards nothing but the choice of a call, and both calls
    /// are correct. A thread that reads a stale `false` pays one more failing `time64()`
    /// and falls back as before; no other memory is published through the flag.
    fn call<R>(
        &self,
        time64: impl FnOnce() -> Result<R, Errno>,
        old: impl FnOnce() -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        if !self.missing.load(Ordering::Relaxed) {
            let result = time64();
            if !matches!(result, Err(Errno::ENOSYS | Errno::EPERM)) {
                return result;
            }
            self.missing.store(true, Ordering::Relaxed);
        }
        old()
    }
}

/// `futex(uaddr, op, val, timeout, NULL, 0)`: the kernel's return value, or its errno.
///
/// # Safety
///
/// - For `FUTEX_WAIT_PRIVATE` and `FUTEX_WAIT_SHARED`, `uaddr` points to a live, aligned
///   `u32`.
/// - For `FUTEX_WAKE_PRIVATE` and `FUTEX_WAKE_SHARED`, `uaddr` may be anything: the kernel
///   never reads or writes the word. (The shared wake looks the address up in the page tables
///   to find the memory behind it, faulting the page in if it must, which changes no byte of
///   it; an unmapped address is `EFAULT`.)
pub(super) unsafe fn futex(
    uaddr: *const u32,
    op: u32,
    val: u32,
    timeout: Option<RelativeTimeout>,
) -> Result<usize, Errno> {
    let ts64 = timeout.map(Timespec64::new);
    let ts32 = timeout.map(Timespec32::new);
    // In each arm: the caller's rules for `uaddr`; the timespec outlives the call, is null for
    // "no timeout", and has the layout that the call number expects (`Calls` pairs each
    // number with its timespec); WAIT and WAKE ignore the last two arguments.
    match Calls::THIS {
        // SAFETY: as above.
        Calls::Only64(nr) => unsafe { enter(nr, uaddr, op, val, opt_ptr(&ts64)) },
        // SAFETY: as above.
        Calls::Only32(nr) => unsafe { enter(nr, uaddr, op, val, opt_ptr(&ts32)) },
        Calls::Time64Then32 { time64, futex } => TIME64.call(
            // SAFETY: as above.
            || unsafe { enter(time64, uaddr, op, val, opt_ptr(&ts64)) },
            // SAFETY: as above.
            || unsafe { enter(futex, uaddr, op, val, opt_ptr(&ts32)) },
        ),
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
        Self { tv_sec: t.secs.into(), tv_nsec: t.nanos.into() }
    }
}

/// `struct old_timespec32`, for the original `futex` on 32-bit targets.
#[repr(C)]
struct Timespec32 {
    tv_sec: i32,
    tv_nsec: i32,
}

impl Timespec32 {
    fn new(t: RelativeTimeout) -> Self {
        Self { tv_sec: t.secs, tv_nsec: t.nanos }
    }
}

fn opt_ptr<T>(value: &Option<T>) -> *const T {
    value.as_ref().map_or(core::ptr::null(), |v| v as *const T)
}

/// The six arguments of `futex(2)`, typed as the kernel declares them: `u32 *uaddr, int op,
/// u32 val, const struct timespec *timeout (or u32 val2), u32 *uaddr2, u32 val3`. Pointers stay
/// pointers all the way to the C library (Miri follows their provenance into its futex model);
/// only the raw system call turns them into register values.
#[derive(Clone, Copy)]
pub(super) struct Args {
    uaddr: *const u32,
    op: u32,
    val: u32,
    timeout: *const core::ffi::c_void,
    uaddr2: *const u32,
    val3: u32,
}

/// Enters the kernel with the four arguments WAIT and WAKE use (the last two, `uaddr2` and
/// `val3`, are passed as zero).
///
/// # Safety
///
/// `number` is a futex system call and the arguments follow [`futex`]'s rules.
unsafe fn enter<T>(
    number: usize,
    uaddr: *const u32,
    op: u32,
    val: u32,
    timeout: *const T,
) -> Result<usize, Errno> {
    let args = Args { uaddr, op, val, timeout: timeout.cast(), uaddr2: core::ptr::null(), val3: 0 };
    // SAFETY: passed through from the caller; WAIT and WAKE ignore `uaddr2` and `val3`.
    unsafe { abi::syscall(number, args) }
}

/// `futex(from, op, nr_wake, nr_requeue, to, cmp)` with `op` a `FUTEX_CMP_REQUEUE`: if
/// `*from == cmp` (read by the kernel under the lock of `from`'s hash bucket), wakes up to
/// `nr_wake` waiters of `from` and moves up to `nr_requeue` more to `to`; returns how many
/// it woke and moved together (`EAGAIN` if the word differed).
///
/// The counts are the kernel's `int`s (it refuses a negative one with `EINVAL`): callers
/// pass at most `i32::MAX`. `nr_requeue` travels in the timeout's place, as the kernel reads
/// it for this operation, so the choice between `futex` and `futex_time64` does not change
/// the arguments; it only matters where one of the two is missing (the same fallback as
/// [`futex`]).
///
/// # Safety
///
/// `from` points to a live, aligned `u32` (the kernel reads it); `to` may be anything (the
/// kernel uses it as a key only, as for `FUTEX_WAKE`).
pub(super) unsafe fn cmp_requeue(
    from: *const u32,
    op: u32,
    nr_wake: u32,
    nr_requeue: u32,
    to: *const u32,
    cmp: u32,
) -> Result<usize, Errno> {
    // The count in the timeout's place: a pointer-sized value with no provenance, never
    // dereferenced (the kernel reads it as a number for this operation).
    let count = core::ptr::null::<u8>().wrapping_add(nr_requeue as usize).cast();
    let args = Args { uaddr: from, op, val: nr_wake, timeout: count, uaddr2: to, val3: cmp };
    match Calls::THIS {
        // SAFETY: the caller's rules for `from` and `to`; the other arguments are values.
        Calls::Only64(nr) | Calls::Only32(nr) => unsafe { abi::syscall(nr, args) },
        Calls::Time64Then32 { time64, futex } => TIME64.call(
            // SAFETY: as above.
            || unsafe { abi::syscall(time64, args) },
            // SAFETY: as above.
            || unsafe { abi::syscall(futex, args) },
        ),
    }
}

/// `sched_yield(2)`. It always succeeds on Linux (the kernel's `sys_sched_yield` returns 0).
pub(super) fn sched_yield() {
    abi::sched_yield()
}

/// Through the C library: `syscall(2)`, which returns -1 and sets `errno` on failure.
#[cfg(feature = "linux")]
mod abi {
    use super::Errno;
    use core::ffi::{c_int, c_long};

    /// The original `futex`; riscv32 has none (its `futex` *is* `futex_time64`, and glibc's
    /// bindings name only the latter).
    #[cfg(not(target_arch = "riscv32"))]
    pub(super) const NR_FUTEX: Option<usize> = Some(libc::SYS_futex as usize);
    #[cfg(target_arch = "riscv32")]
    pub(super) const NR_FUTEX: Option<usize> = None;

    /// `futex_time64`, on 32-bit ABIs: 422 in the generic table, which MIPS offsets by its
    /// ABI's base (o32: 4000, n32: 6000; the kernel's `syscall_o32.tbl` and `syscall_n32.tbl`).
    /// The libc crate names it on few architectures, so the table is ours. Rust spells the
    /// MIPS release-6 architectures `mips32r6` and `mips64r6`, apart from `mips` and `mips64`.
    pub(super) const NR_FUTEX_TIME64: Option<usize> =
        if cfg!(any(target_pointer_width = "64", target_arch = "x86_64")) {
            None
        } else if cfg!(any(target_arch = "mips", target_arch = "mips32r6")) {
            Some(4000 + 422)
        } else if cfg!(any(target_arch = "mips64", target_arch = "mips64r6")) {
            Some(6000 + 422)
        } else {
            Some(422)
        };

    pub(super) fn sched_yield() {
        // SAFETY: `sched_yield` takes no arguments and touches no memory of ours.
        unsafe { libc::sched_yield() };
    }

    // Both numbers of a 32-bit ABI come from one table, so they share its base (0, or MIPS's
    // 4000 or 6000) and lie within 1000 of each other: a `futex_time64` taken from the wrong
    // table (422 on mips32r6, once) fails to compile here instead of calling something else.
    const _: () = if let (Some(futex), Some(time64)) = (NR_FUTEX, NR_FUTEX_TIME64) {
        assert!(futex.abs_diff(time64) < 1000, "futex and futex_time64 from different tables");
    };

    impl Errno {
        pub(in super::super) const ETIMEDOUT: Self = Self(libc::ETIMEDOUT);
        pub(in super::super) const EAGAIN: Self = Self(libc::EAGAIN);
        // The answers the code treats as any other: named for the tests that pin that.
        #[cfg(test)]
        pub(in super::super) const EINTR: Self = Self(libc::EINTR);
        #[cfg(test)]
        pub(in super::super) const EINVAL: Self = Self(libc::EINVAL);
        pub(in super::super) const ENOSYS: Self = Self(libc::ENOSYS);
        pub(in super::super) const EPERM: Self = Self(libc::EPERM);
    }

    /// # Safety
    ///
    /// The arguments are valid for system call `number`.
    pub(super) unsafe fn syscall(number: usize, args: super::Args) -> Result<usize, Errno> {
        // `syscall` is variadic: each argument goes with the C type the kernel declares
        // (`u32 *uaddr, int op, u32 val, const struct timespec *, u32 *uaddr2, u32 val3`).
        // SAFETY: the caller vouches for the arguments.
        let ret = unsafe {
            libc::syscall(
                number as c_long,
                args.uaddr,
                args.op as c_int,
                args.val,
                args.timeout,
                args.uaddr2,
                args.val3,
            )
        };
        if ret >= 0 {
            Ok(ret as usize)
        } else {
            Err(Errno(errno()))
        }
    }

    fn errno() -> i32 {
        // SAFETY: the C library returns a pointer to this thread's errno, valid as long as the
        // thread lives.
        unsafe {
            #[cfg(target_os = "android")]
            let location = libc::__errno();
            #[cfg(not(target_os = "android"))]
            let location = libc::__errno_location();
            *location
        }
    }
}

/// Straight into the kernel: the result comes back in a register, `-errno` on failure.
#[cfg(not(feature = "linux"))]
mod abi {
    use super::Errno;
    use linux_raw_sys::{errno, general};

    #[cfg(miri)]
    compile_error!("Miri cannot run raw system calls: enable the `linux` feature under Miri");

    // `linux-raw` enters the kernel itself on 64-bit architectures only (see `raw` below).
    pub(super) const NR_FUTEX: Option<usize> = Some(general::__NR_futex as usize);
    pub(super) const NR_FUTEX_TIME64: Option<usize> = None;

    impl Errno {
        pub(in super::super) const ETIMEDOUT: Self = Self(errno::ETIMEDOUT as i32);
        pub(in super::super) const EAGAIN: Self = Self(errno::EAGAIN as i32);
        // The answers the code treats as any other: named for the tests that pin that.
        #[cfg(test)]
        pub(in super::super) const EINTR: Self = Self(errno::EINTR as i32);
        #[cfg(test)]
        pub(in super::super) const EINVAL: Self = Self(errno::EINVAL as i32);
        pub(in super::super) const ENOSYS: Self = Self(errno::ENOSYS as i32);
        pub(in super::super) const EPERM: Self = Self(errno::EPERM as i32);
    }

    /// # Safety
    ///
    /// The arguments are valid for system call `number`.
    pub(super) unsafe fn syscall(number: usize, args: super::Args) -> Result<usize, Errno> {
        // Registers are machine words: pointers as addresses, the u32 values zero-extended
        // (the kernel truncates them back to its 32-bit types).
        let words = [
            args.uaddr as usize,
            args.op as usize,
            args.val as usize,
            args.timeout as usize,
            args.uaddr2 as usize,
            args.val3 as usize,
        ];
        // SAFETY: the caller vouches for the arguments. The asm is the architecture's system
        // call convention; it may read memory (the timespec, the word) and write none that
        // Rust sees.
        let ret = unsafe { raw(number, words) };
        // The kernel returns -4095..=-1 for errors, anything else is a result.
        if ret > -4096isize as usize {
            Err(Errno(ret.wrapping_neg() as i32))
        } else {
            Ok(ret)
        }
    }

    pub(super) fn sched_yield() {
        // SAFETY: `sched_yield` takes no arguments (the zeros are ignored) and touches no
        // memory; it returns 0.
        unsafe { raw(general::__NR_sched_yield as usize, [0; 6]) };
    }

    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    unsafe fn raw(number: usize, [a1, a2, a3, a4, a5, a6]: [usize; 6]) -> usize {
        let ret;
        // SAFETY: the x86_64 `syscall` convention: number in rax, arguments in rdi, rsi, rdx,
        // r10, r8, r9; the CPU overwrites rcx and r11; the result comes back in rax.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") number => ret,
                in("rdi") a1, in("rsi") a2, in("rdx") a3, in("r10") a4,
                in("r8") a5, in("r9") a6,
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags),
            );
        }
        ret
    }

    #[cfg(target_arch = "aarch64")]
    unsafe fn raw(number: usize, [a1, a2, a3, a4, a5, a6]: [usize; 6]) -> usize {
        let ret;
        // SAFETY: the aarch64 `svc #0` convention: number in x8, arguments in x0..x5, the
        // result in x0.
        unsafe {
            core::arch::asm!(
                "svc 0",
                in("x8") number,
                inlateout("x0") a1 => ret,
                in("x1") a2, in("x2") a3, in("x3") a4, in("x4") a5, in("x5") a6,
                options(nostack, preserves_flags),
            );
        }
        ret
    }

    #[cfg(target_arch = "riscv64")]
    unsafe fn raw(number: usize, [a1, a2, a3, a4, a5, a6]: [usize; 6]) -> usize {
        let ret;
        // SAFETY: the RISC-V `ecall` convention: number in a7, arguments in a0..a5, the result
        // in a0.
        unsafe {
            core::arch::asm!(
                "ecall",
                in("a7") number,
                inlateout("a0") a1 => ret,
                in("a1") a2, in("a2") a3, in("a3") a4, in("a4") a5, in("a5") a6,
                options(nostack, preserves_flags),
            );
        }
        ret
    }

    #[cfg(not(any(
        all(target_arch = "x86_64", target_pointer_width = "64"),
        target_arch = "aarch64",
        target_arch = "riscv64"
    )))]
    compile_error!(
        "the `linux-raw` feature enters the kernel directly on x86_64, aarch64 and riscv64 only; \
         on this architecture enable `linux`, which goes through the C library"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(
        time64_abi: bool,
        android: bool,
        futex: Option<usize>,
        time64: Option<usize>,
    ) -> Target {
        Target { time64_abi, android, futex, futex_time64: time64 }
    }

    #[test]
    fn the_calls_of_each_abi() {
        // x86_64 and aarch64 (Linux and Android), and x32: one call, 64-bit time.
        assert_eq!(Calls::choose(target(true, false, Some(202), None)), Calls::Only64(202));
        assert_eq!(Calls::choose(target(true, true, Some(98), None)), Calls::Only64(98));
        // 32-bit Android (armv7, i686): never `futex_time64`, which seccomp answers with SIGSYS
        // on Android 8-10.
        assert_eq!(Calls::choose(target(false, true, Some(240), Some(422))), Calls::Only32(240));
        // 32-bit Linux: `futex_time64`, then the original.
        assert_eq!(
            Calls::choose(target(false, false, Some(240), Some(422))),
            Calls::Time64Then32 { time64: 422, futex: 240 }
        );
        // MIPS o32 (mips and mips32r6 alike): both numbers from the o32 table.
        assert_eq!(
            Calls::choose(target(false, false, Some(4238), Some(4422))),
            Calls::Time64Then32 { time64: 4422, futex: 4238 }
        );
        // riscv32: `futex_time64` is its only futex.
        assert_eq!(Calls::choose(target(false, false, None, Some(422))), Calls::Only64(422));
    }

    #[test]
    fn this_target() {
        let calls = Calls::THIS;
        if cfg!(target_pointer_width = "64") {
            assert!(matches!(calls, Calls::Only64(_)), "{calls:?}");
        } else if cfg!(target_os = "android") {
            assert!(matches!(calls, Calls::Only32(_)), "{calls:?}");
        }
    }

    /// A missing `futex_time64` costs one failing call per process, not one per wait.
    #[test]
    fn a_missing_time64_is_remembered() {
        for errno in [Errno::ENOSYS, Errno::EPERM] {
            let flag = Time64 { missing: AtomicBool::new(false) };
            let (mut tries64, mut tries32) = (0, 0);
            for _ in 0..5 {
                let result = flag.call(
                    || {
                        tries64 += 1;
                        Err::<usize, _>(errno)
                    },
                    || {
                        tries32 += 1;
                        Ok(7)
                    },
                );
                assert_eq!(result, Ok(7));
            }
            assert_eq!((tries64, tries32), (1, 5), "after {errno:?}");
        }
    }

    /// The operation codes, private and shared, are the C library's (the kernel's ABI).
    #[cfg(feature = "linux")]
    #[test]
    fn the_operations_are_the_kernel_s() {
        assert_eq!(FUTEX_WAIT_SHARED as i32, libc::FUTEX_WAIT);
        assert_eq!(FUTEX_WAKE_SHARED as i32, libc::FUTEX_WAKE);
        assert_eq!(FUTEX_WAIT_PRIVATE as i32, libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG);
        assert_eq!(FUTEX_WAKE_PRIVATE as i32, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG);
    }

    /// Any other answer, success or error, is the call's own: no fallback, nothing remembered.
    #[test]
    fn other_answers_are_final() {
        let flag = Time64 { missing: AtomicBool::new(false) };
        for answer in [Ok(0), Ok(3), Err(Errno::EAGAIN), Err(Errno::ETIMEDOUT), Err(Errno::EINTR)] {
            let result = flag.call(|| answer, || panic!("fell back after {answer:?}"));
            assert_eq!(result, answer);
        }
        assert!(!flag.missing.load(Ordering::Relaxed));
    }
}
