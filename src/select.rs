//! Which backend serves the root functions on this target. All cfg logic of the choice lives
//! here, in one `cfg_if!`, first match wins.

cfg_if::cfg_if! {
    if #[cfg(all(any(feature = "linux", feature = "linux-raw"), any(target_os = "linux", target_os = "android")))] {
        /// The backend behind the root functions on this target: [`backend::Linux`].
        ///
        /// It depends on the target and the enabled features: see the table in the crate docs.
        ///
        /// [`backend::Linux`]: crate::backend::Linux
        pub type DefaultBackend = crate::backend::Linux;
        macro_rules! with_default_backend { ($($item:item)*) => { $($item)* } }
    } else if #[cfg(all(
        feature = "single-threaded",
        target_family = "wasm",
        not(target_feature = "atomics")
    ))] {
        /// The backend behind the root functions on this target: [`backend::SingleThreaded`],
        /// since wasm32 without the `atomics` feature has no threads.
        ///
        /// It depends on the target and the enabled features: see the table in the crate docs.
        ///
        /// [`backend::SingleThreaded`]: crate::backend::SingleThreaded
        pub type DefaultBackend = crate::backend::SingleThreaded;
        macro_rules! with_default_backend { ($($item:item)*) => { $($item)* } }
    } else {
        /// This target has no built-in backend (or its feature is off), so `DefaultBackend` is
        /// [`NoDefaultBackend`] and the root functions are absent. Use
        /// [`Futex<YourBackend>`](crate::Futex).
        pub type DefaultBackend = NoDefaultBackend;
        macro_rules! with_default_backend { ($($item:item)*) => {} }
    }
}

pub(crate) use with_default_backend;

/// What [`DefaultBackend`] names on a target without a built-in backend.
///
/// It implements nothing, so that any use of the default there fails to compile with a message
/// that says what to do: enable a backend feature that runs on the target, or implement
/// [`FutexBackend`](crate::FutexBackend) for it and name it in [`Futex<B>`](crate::Futex).
#[derive(Debug)]
pub struct NoDefaultBackend(());
