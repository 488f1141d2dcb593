//! The `futex` system call, and nothing else: its number on each ABI, how it is entered, and
//! how its errors come back.
//!
//! Two ways in, one per feature:
//! - `linux`: the C library's `syscall(2)` wrapper, which also works under Miri.
//! - `linux-raw` (without `linux`): the system call instruction itself, for runtimes that link
//!   no C library. Numbers and errno values come from `linux-raw-sys`, the kernel's own headers.
//!
//! On 32-bit targets the original `futex` takes a 32-bit `time_t`. Kernels built without
//! `COMPAT_32BIT_TIME`, and 32-bit architectures newer than 2019 (riscv32), have only
//! `futex_time64`, so that one is tried first; kernels before 5.1 lack it (`ENOSYS`) and get the
//! old call, whose `time_t` our timeouts always fit.

use crate::backend::timespec::RelativeTimeout;

// The operations, the same on every architecture.
const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
/// The word is not shared with another process: the kernel keys it by virtual address alone.
const FUTEX_PRIVATE_FLAG: u32 = 128;
pub(super) const FUTEX_WAIT_PRIVATE: u32 = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
pub(super) const FUTEX_WAKE_PRIVATE: u32 = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;

/// An error number from the kernel. Their values differ between architectures (MIPS, SPARC),
/// so they come from the bindings of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Errno(i32);

/// `futex(uaddr, op, val, timeout, NULL, 0)`: the kernel's return value, or its errno.
///
/// # Safety
///
/// - For `FUTEX_WAIT_PRIVATE`, `uaddr` points to a live, aligned `u32`.
/// - For `FUTEX_WAKE_PRIVATE`, `uaddr` may be anything: the kernel never touches it.
pub(super) unsafe fn futex(
    uaddr: *const u32,
    op: u32,
    val: u32,
    timeout: Option<RelativeTimeout>,
) -> Result<usize, Errno> {
    #[cfg(any(target_pointer_width = "64", target_arch = "x86_64"))]
    {
        // 64-bit targets (and x32) have one `futex`, with a 64-bit timespec.
        let ts = timeout.map(Timespec64::new);
        // SAFETY: the caller's rules for `uaddr`; `ts` outlives the call and is null for "no
        // timeout"; WAIT and WAKE ignore the last two arguments.
        unsafe { enter(abi::NR_FUTEX, uaddr, op, val, opt_ptr(&ts)) }
    }
    #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
    {
        let ts = timeout.map(Timespec64::new);
        // SAFETY: as above.
        let result = unsafe { enter(abi::NR_FUTEX_TIME64, uaddr, op, val, opt_ptr(&ts)) };
        // Where `futex` *is* `futex_time64` (riscv32) there is nothing to fall back to.
        // ENOSYS: a kernel before 5.1. EPERM: a seccomp filter that does not know the newer
        // call (older container profiles answered so); neither op we use returns it itself.
        let missing = matches!(result, Err(Errno::ENOSYS | Errno::EPERM));
        if !missing || abi::NR_FUTEX == abi::NR_FUTEX_TIME64 {
            return result;
        }
        let ts = timeout.map(|t| Timespec32 { tv_sec: t.secs, tv_nsec: t.nanos });
        // SAFETY: as above.
        unsafe { enter(abi::NR_FUTEX, uaddr, op, val, opt_ptr(&ts)) }
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
#[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
#[repr(C)]
struct Timespec32 {
    tv_sec: i32,
    tv_nsec: i32,
}

fn opt_ptr<T>(value: &Option<T>) -> *const T {
    value.as_ref().map_or(core::ptr::null(), |v| v as *const T)
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
    // SAFETY: passed through from the caller.
    unsafe { abi::syscall(number, uaddr, op, val, timeout.cast()) }
}

/// Through the C library: `syscall(2)`, which returns -1 and sets `errno` on failure.
#[cfg(feature = "linux")]
mod abi {
    use super::Errno;
    use core::ffi::{c_int, c_long, c_void};

    pub(super) const NR_FUTEX: usize = libc::SYS_futex as usize;
    /// `futex_time64` is 422 on every 32-bit architecture, past the base of MIPS's ABIs; the
    /// libc crate names it on few of them.
    #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
    pub(super) const NR_FUTEX_TIME64: usize = if cfg!(target_arch = "mips") {
        4422
    } else if cfg!(target_arch = "mips64") {
        6422
    } else {
        422
    };

    impl Errno {
        pub(in super::super) const EAGAIN: Self = Self(libc::EAGAIN);
        pub(in super::super) const EINTR: Self = Self(libc::EINTR);
        pub(in super::super) const ETIMEDOUT: Self = Self(libc::ETIMEDOUT);
        pub(in super::super) const EINVAL: Self = Self(libc::EINVAL);
        #[allow(dead_code)] // only 32-bit targets fall back on ENOSYS
        pub(in super::super) const ENOSYS: Self = Self(libc::ENOSYS);
        #[allow(dead_code)] // and on EPERM
        pub(in super::super) const EPERM: Self = Self(libc::EPERM);
    }

    /// # Safety
    ///
    /// The arguments are valid for system call `number`.
    pub(super) unsafe fn syscall(
        number: usize,
        uaddr: *const u32,
        op: u32,
        val: u32,
        timeout: *const c_void,
    ) -> Result<usize, Errno> {
        // `syscall` is variadic: each argument goes with the C type the kernel declares
        // (`u32 *uaddr, int op, u32 val, const struct timespec *, u32 *uaddr2, u32 val3`).
        // SAFETY: the caller vouches for the arguments; `uaddr2` and `val3` are unused by WAIT
        // and WAKE and given as null and zero.
        let ret = unsafe {
            libc::syscall(
                number as c_long,
                uaddr,
                op as c_int,
                val,
                timeout,
                core::ptr::null::<u32>(),
                0u32,
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
    use core::ffi::c_void;
    use linux_raw_sys::{errno, general};

    #[cfg(miri)]
    compile_error!("Miri cannot run raw system calls: enable the `linux` feature under Miri");

    pub(super) const NR_FUTEX: usize = general::__NR_futex as usize;
    #[cfg(not(any(target_pointer_width = "64", target_arch = "x86_64")))]
    pub(super) const NR_FUTEX_TIME64: usize = general::__NR_futex_time64 as usize;

    impl Errno {
        pub(in super::super) const EAGAIN: Self = Self(errno::EAGAIN as i32);
        pub(in super::super) const EINTR: Self = Self(errno::EINTR as i32);
        pub(in super::super) const ETIMEDOUT: Self = Self(errno::ETIMEDOUT as i32);
        pub(in super::super) const EINVAL: Self = Self(errno::EINVAL as i32);
        #[allow(dead_code)] // only 32-bit targets fall back on ENOSYS
        pub(in super::super) const ENOSYS: Self = Self(errno::ENOSYS as i32);
        #[allow(dead_code)] // and on EPERM
        pub(in super::super) const EPERM: Self = Self(errno::EPERM as i32);
    }

    /// # Safety
    ///
    /// The arguments are valid for system call `number`.
    pub(super) unsafe fn syscall(
        number: usize,
        uaddr: *const u32,
        op: u32,
        val: u32,
        timeout: *const c_void,
    ) -> Result<usize, Errno> {
        // Registers are machine words: each argument is widened (pointers as addresses, the
        // u32 values zero-extended, which the kernel truncates back to its 32-bit types).
        let args = (uaddr as usize, op as usize, val as usize, timeout as usize);
        // SAFETY: the caller vouches for the arguments. The asm is the architecture's system
        // call convention; it may read memory (the timespec) and write none that Rust sees.
        let ret = unsafe { raw(number, args.0, args.1, args.2, args.3) };
        // The kernel returns -4095..=-1 for errors, anything else is a result.
        if ret > -4096isize as usize {
            Err(Errno(ret.wrapping_neg() as i32))
        } else {
            Ok(ret)
        }
    }

    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    unsafe fn raw(number: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
        let ret;
        // SAFETY: the x86_64 `syscall` convention: number in rax, arguments in rdi, rsi, rdx,
        // r10, r8, r9; the CPU overwrites rcx and r11; the result comes back in rax.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") number => ret,
                in("rdi") a1, in("rsi") a2, in("rdx") a3, in("r10") a4,
                in("r8") 0usize, in("r9") 0usize,
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags),
            );
        }
        ret
    }

    #[cfg(target_arch = "aarch64")]
    unsafe fn raw(number: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
        let ret;
        // SAFETY: the aarch64 `svc #0` convention: number in x8, arguments in x0..x5, the
        // result in x0.
        unsafe {
            core::arch::asm!(
                "svc 0",
                in("x8") number,
                inlateout("x0") a1 => ret,
                in("x1") a2, in("x2") a3, in("x3") a4, in("x4") 0usize, in("x5") 0usize,
                options(nostack, preserves_flags),
            );
        }
        ret
    }

    #[cfg(target_arch = "riscv64")]
    unsafe fn raw(number: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
        let ret;
        // SAFETY: the RISC-V `ecall` convention: number in a7, arguments in a0..a5, the result
        // in a0.
        unsafe {
            core::arch::asm!(
                "ecall",
                in("a7") number,
                inlateout("a0") a1 => ret,
                in("a1") a2, in("a2") a3, in("a3") a4, in("a4") 0usize, in("a5") 0usize,
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
