//! `LazyLock<B, T, F>`: a value computed on first use, by a [`OnceLock`] and its initialiser.
//!
//! No state machine of its own: the `OnceLock`'s (and so the `Once`'s, see `once.rs`) decides
//! who runs the initialiser and when the value may be read. The one choice made here is that
//! the initialiser is kept, not consumed (`F: Fn`), so that a panicking initialiser leaves the
//! `LazyLock` empty and the next access runs it again, rather than poisoning it for good.
//!
//! The initialiser is touched only inside the closure that the `Once` runs, so by one thread
//! at a time, each run ordered after the one before by the `Once`'s word: that is why `F: Send`
//! is enough for a shared `LazyLock` (see the `Sync` implementation).

use core::ops::{Deref, DerefMut};

use super::once_lock::OnceLock;
use crate::FutexBackend;

/// A value computed on first access, then shared: std's `LazyLock`, on backend `B`.
/// [`sync::LazyLock<T>`](crate::sync::LazyLock) is this on the default backend.
///
/// ```
/// use portable_futex::sync::LazyLock;
///
/// static SQUARES: LazyLock<[u32; 8]> = LazyLock::new(|| core::array::from_fn(|i| (i * i) as u32));
///
/// assert_eq!(SQUARES[3], 9); // the first access computes the table
/// assert_eq!(LazyLock::get(&SQUARES), Some(&[0, 1, 4, 9, 16, 25, 36, 49]));
/// ```
///
/// Threads that access it while another one runs the initialiser sleep until the value is
/// there.
///
/// Two differences from std, both about a failing initialiser:
///
/// - The initialiser is an `F: Fn() -> T` (std takes `FnOnce`), kept for as long as the value
///   is missing: if it panics, the panic goes to the thread that accessed the value, the
///   `LazyLock` stays empty, and the next access runs the initialiser again (std's is
///   poisoned for good). `fn` items and closures that capture nothing by value are `Fn`.
/// - Accessing the value from inside its own initialiser deadlocks (the inner access waits
///   for the outer one to finish); std's may deadlock or panic.
///
/// `Send` and `Sync` as std's: `Send` when `T` and `F` are; `Sync` when `T` is `Send + Sync`
/// and `F` is `Send` (the initialiser need not be `Sync`: only one thread at a time runs it).
pub struct LazyLock<B, T, F = fn() -> T> {
    cell: OnceLock<B, T>,
    init: F,
}

// SAFETY: a shared `LazyLock` hands `&T` to every thread and may have its `T` written by one
// thread and dropped by another: `T: Send + Sync`, as for `OnceLock`. `F` is reached through a
// shared `LazyLock` only in `force`, inside the closure that the cell's `Once` runs: by one
// thread at a time (the one whose start moved the `Once` to RUNNING), and each such run
// happens before the next (the runner's finish is a Release that the next start reads with
// Acquire). That is exclusive access handed from thread to thread, as a `Mutex<F>` gives, for
// which `F: Send` suffices; no two threads ever hold `&F` at once, so `F` need not be `Sync`.
// Everything else that touches `F` (`into_inner`, `force_mut`, drop) has the `LazyLock` by
// value or by `&mut`.
unsafe impl<B, T: Send + Sync, F: Send> Sync for LazyLock<B, T, F> {}

impl<B, T, F> LazyLock<B, T, F> {
    /// A `LazyLock` that will compute its value with `init` on first access.
    pub const fn new(init: F) -> Self {
        LazyLock { cell: OnceLock::new(), init }
    }

    /// The value if it has been computed, without computing it. Never blocks.
    #[inline]
    pub fn get(this: &Self) -> Option<&T> {
        this.cell.get()
    }

    /// The value if it has been computed, else the initialiser back.
    pub fn into_inner(this: Self) -> Result<T, F> {
        let LazyLock { cell, init } = this;
        cell.into_inner().ok_or(init)
    }
}

impl<B: FutexBackend, T, F: Fn() -> T> LazyLock<B, T, F> {
    /// The value, computing it first if this is the first access (what `*lazy` does).
    ///
    /// # Panics
    ///
    /// With the initialiser's panic, which leaves the value uncomputed for the next access to
    /// try again. Called from inside the initialiser, it deadlocks.
    #[inline]
    pub fn force(this: &Self) -> &T {
        // `this.init` is named inside the closure, so that only the thread that runs it (the
        // `Once`'s one runner) touches the initialiser: what the `Sync` implementation rests on.
        this.cell.get_or_init(|| (this.init)())
    }

    /// The value, mutably, computing it first if this is the first access (what
    /// `&mut *lazy` does). `&mut` excludes every other thread, so nothing is waited for.
    ///
    /// ```
    /// use portable_futex::sync::LazyLock;
    ///
    /// let mut names = LazyLock::new(|| vec!["ada"]);
    /// LazyLock::force_mut(&mut names).push("grace");
    /// names.push("barbara"); // `DerefMut`: the same
    /// assert_eq!(*names, ["ada", "grace", "barbara"]);
    /// ```
    ///
    /// # Panics
    ///
    /// With the initialiser's panic, which leaves the value uncomputed for the next access to
    /// try again.
    pub fn force_mut(this: &mut Self) -> &mut T {
        this.cell.get_mut_or_init(&this.init)
    }
}

impl<B: FutexBackend, T, F: Fn() -> T> Deref for LazyLock<B, T, F> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        Self::force(self)
    }
}

impl<B: FutexBackend, T, F: Fn() -> T> DerefMut for LazyLock<B, T, F> {
    /// The value, mutably, computing it first if needed: [`LazyLock::force_mut`].
    ///
    /// ```
    /// use portable_futex::sync::LazyLock;
    ///
    /// let mut total = LazyLock::new(|| 40);
    /// *total += 2; // computes 40 first
    /// assert_eq!(*total, 42);
    /// ```
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        Self::force_mut(self)
    }
}

impl<B: FutexBackend, T: Default> Default for LazyLock<B, T> {
    /// A `LazyLock` whose value is `T::default()`.
    fn default() -> Self {
        LazyLock::new(T::default)
    }
}

impl<B, T: core::fmt::Debug, F> core::fmt::Debug for LazyLock<B, T, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_tuple("LazyLock");
        match self.cell.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
