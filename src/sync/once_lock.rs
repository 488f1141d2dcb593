//! `OnceLock<B, T>`: a cell written once, read by everyone after: a [`Once`] and a slot.
//!
//! The state machine is the `Once`'s (see `once.rs`); this file only adds the slot and the
//! rule that makes reading it sound: the slot is written by the one thread that runs the
//! `Once`'s closure, before the `Once` turns `COMPLETE` with Release, and read only after an
//! Acquire load saw `COMPLETE`, or through `&mut self`. Every initialiser runs under
//! `call_once_force`'s rules with the poison ignored, so a panicking initialiser leaves the
//! cell empty and the next caller runs its own, as std's `OnceLock` does.

use core::cell::UnsafeCell;
use core::convert::Infallible;
use core::marker::PhantomData;
use core::mem::MaybeUninit;

use super::once::Once;
use crate::FutexBackend;

/// A cell that is written at most once and then read by every thread without locking: std's
/// `OnceLock`, on backend `B`. [`sync::OnceLock<T>`](crate::sync::OnceLock) is this on the
/// default backend.
///
/// ```
/// use portable_futex::sync::OnceLock;
///
/// static CONFIG: OnceLock<[u8; 3]> = OnceLock::new();
///
/// assert_eq!(CONFIG.get(), None);
/// let config = CONFIG.get_or_init(|| [1, 2, 3]);
/// assert_eq!(config, &[1, 2, 3]);
/// assert_eq!(CONFIG.set([4, 5, 6]), Err([4, 5, 6])); // already set
/// ```
///
/// While one thread runs an initialiser, the others that need the value sleep until it is
/// there. If the initialiser panics, the panic goes to its caller and the cell stays empty:
/// the next caller runs its own initialiser. Calling `get_or_init` on the same cell from
/// inside its own initialiser deadlocks.
pub struct OnceLock<B, T> {
    once: Once<B>,
    value: UnsafeCell<MaybeUninit<T>>,
    /// The cell owns a `T` (for the drop check).
    _owns: PhantomData<T>,
}

// SAFETY: a shared `OnceLock` hands out `&T` to every thread (so `T: Sync`), and the thread
// that initialises it may be another than the one that drops it, or `take`s the value through
// `&mut` (so `T: Send`). The slot is written only by the `Once`'s single runner, before the
// Release that completes it, and read only after an Acquire that saw it complete: no data race.
unsafe impl<B, T: Sync + Send> Sync for OnceLock<B, T> {}
// SAFETY: sending the cell sends the `T` in it; the `Once` has no thread affinity.
unsafe impl<B, T: Send> Send for OnceLock<B, T> {}

impl<B, T: core::panic::RefUnwindSafe + core::panic::UnwindSafe> core::panic::RefUnwindSafe
    for OnceLock<B, T>
{
}
impl<B, T: core::panic::UnwindSafe> core::panic::UnwindSafe for OnceLock<B, T> {}

impl<B, T> OnceLock<B, T> {
    /// An empty cell.
    pub const fn new() -> Self {
        OnceLock {
            once: Once::new(),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            _owns: PhantomData,
        }
    }

    /// The value, if the cell has been written. Never blocks: while an initialiser runs, the
    /// answer is `None`.
    #[inline]
    pub fn get(&self) -> Option<&T> {
        if self.once.is_completed() {
            // SAFETY: complete, seen with Acquire: the value was written before.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// The value, mutably, if the cell has been written.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.once.is_completed() {
            // SAFETY: complete, so written; `&mut self` excludes every other access.
            Some(unsafe { self.value.get_mut().assume_init_mut() })
        } else {
            None
        }
    }

    /// Takes the value out, leaving the cell empty (and ready for a new one).
    pub fn take(&mut self) -> Option<T> {
        if self.once.is_completed() {
            self.once = Once::new();
            // SAFETY: it was complete, so the slot holds a value; the new `Once` says it is
            // empty, so nothing reads or drops the moved-out value again.
            Some(unsafe { self.value.get_mut().assume_init_read() })
        } else {
            None
        }
    }

    /// The value, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// The value, mutably, running `f` to write it first if the cell is empty (for
    /// `LazyLock::force_mut`). `&mut self` excludes every other thread: no `Once` protocol, no
    /// waiting. If `f` panics, the cell is left as it was.
    pub(crate) fn get_mut_or_init(&mut self, f: impl FnOnce() -> T) -> &mut T {
        if !self.once.is_completed() {
            let value = f();
            self.value.get_mut().write(value);
            // Complete from now on: the slot holds `value`, which `Drop` and `take` will see.
            self.once = Once::new_complete();
        }
        // SAFETY: complete, so written (before, or just above); `&mut self` excludes every
        // other access for as long as the borrow we return.
        unsafe { self.value.get_mut().assume_init_mut() }
    }

    /// # Safety
    ///
    /// The `Once` is complete, and this thread has seen it so with Acquire.
    #[inline]
    unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: by the contract, the value was written before the completion we read, and
        // only `&mut self` methods change it afterwards.
        unsafe { (*self.value.get()).assume_init_ref() }
    }
}

impl<B: FutexBackend, T> OnceLock<B, T> {
    /// Writes `value` if the cell is empty; otherwise gives it back. Waits if another thread
    /// is initialising the cell (and gives `value` back if that one succeeds).
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        if self.get().is_none() {
            // Our initialiser takes `value`; if another thread's completes first, it stays.
            let _ = self.initialize(|| value.take().ok_or(()));
        }
        match value {
            None => Ok(()),
            Some(value) => Err(value),
        }
    }

    /// The value, running `f` to write it first if the cell is empty. While another thread
    /// runs its initialiser, this one sleeps until it is done; if that one panics, this one
    /// runs `f`.
    ///
    /// # Panics
    ///
    /// With the panic of `f`, which leaves the cell empty. Calling it on the same cell from
    /// inside `f` deadlocks.
    #[inline]
    pub fn get_or_init<F: FnOnce() -> T>(&self, f: F) -> &T {
        match self.get_or_try_init(|| Ok::<T, Infallible>(f())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The value, blocking until some thread has written it (returns at once if the cell is
    /// full): std's `OnceLock::wait`. Runs nothing; an initialiser that panics or fails, on
    /// another thread, does not end the wait: it lasts until one succeeds (or a `set` does).
    ///
    /// ```
    /// use portable_futex::sync::OnceLock;
    ///
    /// static ANSWER: OnceLock<u32> = OnceLock::new();
    ///
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert_eq!(*ANSWER.wait(), 42)); // sleeps until the cell is written
    ///     ANSWER.set(42).unwrap();
    /// });
    /// ```
    #[inline]
    pub fn wait(&self) -> &T {
        if let Some(value) = self.get() {
            return value;
        }
        // Poison ignored: the cell's initialisers all run with it ignored (module docs), so a
        // panicked one leaves the cell empty for the next, which this waits for.
        self.once.wait_force();
        // SAFETY: `wait_force` returned: it read `COMPLETE` with Acquire.
        unsafe { self.get_unchecked() }
    }

    /// Like [`get_or_init`](Self::get_or_init), but `f` may fail: its error is returned and
    /// the cell stays empty, for the next caller to try.
    #[inline]
    pub fn get_or_try_init<F: FnOnce() -> Result<T, E>, E>(&self, f: F) -> Result<&T, E> {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        self.initialize(f)?;
        // SAFETY: `initialize` returned `Ok`: the `Once` completed (ours or another thread's
        // closure), and `Once::call` saw it so with Acquire (or ran the closure itself).
        Ok(unsafe { self.get_unchecked() })
    }

    #[cold]
    fn initialize<F: FnOnce() -> Result<T, E>, E>(&self, f: F) -> Result<(), E> {
        let mut result = Ok(());
        let mut f = Some(f);
        let slot = &self.value;
        self.once.call(true, &mut |state| {
            let Some(f) = f.take() else { return };
            match f() {
                // SAFETY: we are the `Once`'s one runner, so nobody else touches the slot; it
                // is empty (the `Once` was not complete), so nothing is overwritten.
                Ok(value) => unsafe {
                    (*slot.get()).write(value);
                },
                Err(error) => {
                    result = Err(error);
                    state.abandon();
                }
            }
        });
        result
    }
}

impl<B, T> Default for OnceLock<B, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B, T> From<T> for OnceLock<B, T> {
    /// A cell that already holds `value`.
    fn from(value: T) -> Self {
        OnceLock {
            once: Once::new_complete(),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            _owns: PhantomData,
        }
    }
}

impl<B, T: Clone> Clone for OnceLock<B, T> {
    fn clone(&self) -> Self {
        match self.get() {
            Some(value) => Self::from(value.clone()),
            None => Self::new(),
        }
    }
}

impl<B, T: core::fmt::Debug> core::fmt::Debug for OnceLock<B, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

impl<B, T: PartialEq> PartialEq for OnceLock<B, T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<B, T: Eq> Eq for OnceLock<B, T> {}

impl<B, T> Drop for OnceLock<B, T> {
    fn drop(&mut self) {
        if self.once.is_completed() {
            // SAFETY: complete, so the slot holds a value, and `&mut self` is the last access.
            unsafe { self.value.get_mut().assume_init_drop() }
        }
    }
}

const _: () = assert!(
    core::mem::size_of::<OnceLock<crate::NoDefaultBackend, u32>>() == 8
        && core::mem::size_of::<OnceLock<crate::NoDefaultBackend, ()>>() == 4
);
