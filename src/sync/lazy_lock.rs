//! `LazyLock<B, T, F>`: a value computed on first use, by a [`OnceLock`] and its initialiser.
//!
//! No state machine of its own: the `OnceLock`'s (and so the `Once`'s, see `once.rs`) decides
//! who runs the initialiser and when the value may be read. The one choice made here is that
//! the initialiser is kept, not consumed (`F: Fn`), so that a panicking initialiser leaves the
//! `LazyLock` empty and the next access runs it again, rather than poisoning it for good.

use core::ops::Deref;

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
pub struct LazyLock<B, T, F = fn() -> T> {
    cell: OnceLock<B, T>,
    init: F,
}

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
        this.cell.get_or_init(&this.init)
    }

    /// The value, mutably, computing it first if needed.
    pub fn force_mut(this: &mut Self) -> &mut T {
        if this.cell.get().is_none() {
            let value = (this.init)();
            // `&mut` excludes every other access: the cell is still empty.
            let _ = this.cell.set(value);
        }
        match this.cell.get_mut() {
            Some(value) => value,
            // Set just above, and nothing can empty it through `&mut this` in between.
            None => unreachable!("a LazyLock is set after its initialiser returns"),
        }
    }
}

impl<B: FutexBackend, T, F: Fn() -> T> Deref for LazyLock<B, T, F> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        Self::force(self)
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
