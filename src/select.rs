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
