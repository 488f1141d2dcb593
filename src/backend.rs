//! The backends, one module each under `backends/`, each behind its Cargo feature and present
//! on the targets where it runs.
//!
//! | backend | targets | feature | default on |
//! |---|---|---|---|
//! | `Linux` | Linux, Android | `linux` (or `linux-raw`) | Linux, Android |
//! | `SingleThreaded` | all | `single-threaded` | wasm32 without `atomics` |
//! | `Queue` / `QueueWith<C>` | all (`Queue`: with std) | `queue` (on with `std`) | none yet |
//!
//! Any of them can be named explicitly: `Futex::<backend::SingleThreaded>::wait(&word, 0)`.

#[cfg(all(
    any(feature = "linux", feature = "linux-raw"),
    any(target_os = "linux", target_os = "android")
))]
#[path = "../backends/linux/mod.rs"]
mod linux;
#[cfg(all(
    any(feature = "linux", feature = "linux-raw"),
    any(target_os = "linux", target_os = "android")
))]
pub use linux::Linux;

#[cfg(feature = "single-threaded")]
#[path = "../backends/single_threaded.rs"]
mod single_threaded;
#[cfg(feature = "single-threaded")]
pub use single_threaded::SingleThreaded;

#[cfg(feature = "queue")]
#[path = "../backends/queue/mod.rs"]
pub mod queue;
#[cfg(all(feature = "std", not(all(loom, test))))]
pub use queue::Queue;
#[cfg(feature = "queue")]
pub use queue::QueueWith;
