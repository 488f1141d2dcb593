//! Which backend serves the root functions on this target. All cfg logic of the choice lives
//! here, in one `cfg_if!`: the first arm that matches wins.

// One of these two becomes `with_default_backend!`, which wraps the root functions: it keeps
// them where a default backend exists and drops them where none does. Each target uses one.
#[allow(unused_macros)]
macro_rules! keep_items { ($($item:item)*) => { $($item)* } }
#[allow(unused_macros)]
macro_rules! drop_items {
    ($($item:item)*) => {};
}
#[allow(unused_imports)]
pub(crate) use {drop_items, keep_items};

// Whether std's clock and sleep work here: `std::time::Instant::now` and `std::thread::sleep`
// exist wherever std does, but on wasm32-unknown-unknown both panic, so there they count as
// absent. `with_std_time! { ... }` keeps what it wraps only where they work (`StdClock`, the
// timed functions that read it, `SingleThreaded`'s sleep); `without_std_time!` only where they
// do not. Token passthroughs, so that they wrap items and associated items alike.
#[allow(unused_macros)]
macro_rules! keep_tokens { ($($tokens:tt)*) => { $($tokens)* } }
#[allow(unused_macros)]
macro_rules! drop_tokens {
    ($($tokens:tt)*) => {};
}

cfg_if::cfg_if! {
    if #[cfg(all(feature = "std", not(all(target_family = "wasm", target_os = "unknown"))))] {
        pub(crate) use {drop_tokens as without_std_time, keep_tokens as with_std_time};
    } else {
        pub(crate) use {drop_tokens as with_std_time, keep_tokens as without_std_time};
    }
}

#[allow(unused_macros)] // unused only where no default exists
macro_rules! default_backend {
    ($backend:ty, $doc:literal) => {
        #[doc = concat!("The backend behind the root functions on this target: ", $doc, ".")]
        ///
        /// It depends on the target and the enabled features: see the table in the crate docs.
        pub type DefaultBackend = $backend;
        pub(crate) use keep_items as with_default_backend;
    };
}

cfg_if::cfg_if! {
    if #[cfg(feature = "custom-backend")] {
        // The binary chooses, with `set_backend!`, over any built-in default.
        default_backend!(crate::backend::Installed, "`backend::Installed`, what the binary installed with `set_backend!`");
    } else if #[cfg(all(
        any(feature = "linux", feature = "linux-raw"),
        any(target_os = "linux", target_os = "android")
    ))] {
        default_backend!(crate::backend::Linux, "`backend::Linux`");
    } else if #[cfg(all(feature = "darwin", target_vendor = "apple"))] {
        default_backend!(crate::backend::Darwin, "`backend::Darwin`");
    } else if #[cfg(all(feature = "windows", windows))] {
        default_backend!(crate::backend::Windows, "`backend::Windows`");
    } else if #[cfg(all(feature = "freebsd", target_os = "freebsd"))] {
        default_backend!(crate::backend::FreeBsd, "`backend::FreeBsd`");
    } else if #[cfg(all(feature = "openbsd", target_os = "openbsd"))] {
        default_backend!(crate::backend::OpenBsd, "`backend::OpenBsd`");
    } else if #[cfg(all(feature = "dragonfly", target_os = "dragonfly"))] {
        default_backend!(crate::backend::DragonFly, "`backend::DragonFly`");
    } else if #[cfg(all(feature = "wasm", target_arch = "wasm32", target_feature = "atomics"))] {
        default_backend!(crate::backend::Wasm, "`backend::Wasm`");
    } else if #[cfg(all(
        feature = "single-threaded",
        target_family = "wasm",
        not(target_feature = "atomics")
    ))] {
        // wasm32 without the `atomics` target feature has no threads.
        default_backend!(crate::backend::SingleThreaded, "`backend::SingleThreaded` (no threads here)");
    } else if #[cfg(feature = "std")] {
        // Any other target with std, and no futex of its own: NetBSD (whose futex exists only
        // from NetBSD 10 and not on every architecture), illumos, Haiku, ESP-IDF...
        default_backend!(crate::backend::Queue, "`backend::Queue`, the user-space wait queue");
    } else {
        /// This target has no built-in backend (or its feature is off), so `DefaultBackend` is
        /// [`NoDefaultBackend`] and the root functions are absent. Use
        /// [`Futex<YourBackend>`](crate::Futex).
        pub type DefaultBackend = NoDefaultBackend;
        pub(crate) use drop_items as with_default_backend;
    }
}

/// What [`DefaultBackend`] names on a target without a built-in backend.
///
/// It implements nothing, so that any use of the default there fails to compile with a message
/// that says what to do: enable a backend feature that runs on the target, or implement
/// [`FutexBackend`](crate::FutexBackend) for it and name it in [`Futex<B>`](crate::Futex).
#[derive(Debug)]
pub struct NoDefaultBackend(());

// The process-shared default: the target's kernel futex in its shared scope. Chosen apart from
// `DefaultBackend`: a binary-installed backend (`custom-backend`) or the queue serves one
// process only, so neither stands in for it.
cfg_if::cfg_if! {
    if #[cfg(all(
        any(feature = "linux", feature = "linux-raw"),
        any(target_os = "linux", target_os = "android")
    ))] {
        /// The process-shared backend of this target: `Shared<backend::Linux>`.
        ///
        /// It depends on the target and the enabled features: see [`backend::Shared`].
        ///
        /// [`backend::Shared`]: crate::backend::Shared
        pub type DefaultSharedBackend = crate::backend::Shared<crate::backend::Linux>;
    } else if #[cfg(all(feature = "darwin", target_vendor = "apple"))] {
        /// The process-shared backend of this target: `Shared<backend::Darwin>`.
        ///
        /// It depends on the target and the enabled features: see [`backend::Shared`].
        ///
        /// [`backend::Shared`]: crate::backend::Shared
        pub type DefaultSharedBackend = crate::backend::Shared<crate::backend::Darwin>;
    } else if #[cfg(all(feature = "freebsd", target_os = "freebsd"))] {
        /// The process-shared backend of this target: `Shared<backend::FreeBsd>`.
        ///
        /// It depends on the target and the enabled features: see [`backend::Shared`].
        ///
        /// [`backend::Shared`]: crate::backend::Shared
        pub type DefaultSharedBackend = crate::backend::Shared<crate::backend::FreeBsd>;
    } else if #[cfg(all(feature = "openbsd", target_os = "openbsd"))] {
        /// The process-shared backend of this target: `Shared<backend::OpenBsd>`.
        ///
        /// It depends on the target and the enabled features: see [`backend::Shared`].
        ///
        /// [`backend::Shared`]: crate::backend::Shared
        pub type DefaultSharedBackend = crate::backend::Shared<crate::backend::OpenBsd>;
    } else if #[cfg(all(feature = "dragonfly", target_os = "dragonfly"))] {
        /// The process-shared backend of this target: `Shared<backend::DragonFly>`.
        ///
        /// It depends on the target and the enabled features: see [`backend::Shared`].
        ///
        /// [`backend::Shared`]: crate::backend::Shared
        pub type DefaultSharedBackend = crate::backend::Shared<crate::backend::DragonFly>;
    } else {
        /// This target has no process-shared futex (or its backend's feature is off), so
        /// `DefaultSharedBackend` is `Shared<NoDefaultSharedBackend>`, which is no backend:
        /// using it fails to compile with [`SharedScope`]'s message, which says why.
        ///
        /// [`SharedScope`]: crate::backend::SharedScope
        pub type DefaultSharedBackend = crate::backend::Shared<NoDefaultSharedBackend>;
    }
}

/// What [`DefaultSharedBackend`] wraps on a target without a process-shared futex (Windows,
/// wasm, NetBSD, bare metal...), or where the feature of the target's backend is off.
///
/// It implements nothing, so that `Shared<NoDefaultSharedBackend>` is no backend and any use
/// of the shared default there fails to compile with a message that says why: no kernel call
/// on this target wakes a waiter in another process.
#[derive(Debug)]
pub struct NoDefaultSharedBackend(());

// The lock of the async waiters' buckets (`tasks.rs`): `std`'s mutex where there is one (a
// waker that is preempted holding it does not keep others spinning); else FreeRTOS's critical
// section or the `critical-section` crate's, which make wakes from interrupt handlers safe
// (a handler cannot interrupt a holder); else a spin lock (not from interrupt handlers).
cfg_if::cfg_if! {
    if #[cfg(not(feature = "async"))] {
    } else if #[cfg(all(loom, test))] {
        // The table's loom models: loom's mutex, built at run time.
        pub(crate) type TaskLock = crate::tasks::loom_tests::Lock;
    } else if #[cfg(feature = "std")] {
        pub(crate) type TaskLock = crate::backend::queue::StdLock;
    } else if #[cfg(feature = "freertos")] {
        pub(crate) type TaskLock = crate::backend::freertos::CriticalLock;
    } else if #[cfg(feature = "critical-section")] {
        pub(crate) type TaskLock = crate::backend::queue::CriticalSectionLock;
    } else if #[cfg(target_has_atomic = "8")] {
        pub(crate) type TaskLock = crate::backend::queue::SpinLock;
    } else {
        compile_error!(
            "feature `async` needs a lock for its table: `std`, `critical-section`, or a target \
             with compare-and-swap"
        );
    }
}
