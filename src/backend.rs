//! The backends, one module each under `backends/`, each behind its Cargo feature and present
//! on the targets where it runs. Which one is the default is decided in `select.rs`.
//!
//! | backend | targets | feature |
//! |---|---|---|
//! | `Linux` | Linux, Android | `linux` (or `linux-raw`) |
//! | `Darwin` | Apple (`target_vendor = "apple"`) | `darwin` (`darwin-ulock`) |
//! | `Windows` | Windows | `windows` |
//! | `FreeBsd` | FreeBSD | `freebsd` |
//! | `OpenBsd` | OpenBSD | `openbsd` |
//! | `DragonFly` | DragonFly BSD | `dragonfly` |
//! | `Wasm` | wasm32 with the `atomics` target feature | `wasm` |
//! | `SingleThreaded` | all | `single-threaded` |
//! | `Queue` / `QueueWith<C>` | all (`Queue`: with std) | `queue` (on with `std`) |
//! | `FreeRtos` | FreeRTOS (any port; `glue.c` compiled with the kernel) | `freertos` |
//! | `Installed` | all: whatever the binary installs with `set_backend!` | `custom-backend` |
//! | `Counted<B>` | all with atomic read-modify-write: `B` plus a waiter count | – |
//! | `Shared<B>` | where `B: SharedScope` (Linux, Apple, FreeBSD, OpenBSD, DragonFly): `B` across processes | – |
//!
//! Any of them can be named explicitly: `Futex::<backend::SingleThreaded>::wait(&word, 0)`.

// Each backend: its module and its type, under the same condition.
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

#[cfg(all(feature = "darwin", target_vendor = "apple"))]
#[path = "../backends/darwin/mod.rs"]
mod darwin;
#[cfg(all(feature = "darwin", target_vendor = "apple"))]
pub use darwin::Darwin;

#[cfg(all(feature = "windows", windows))]
#[path = "../backends/windows/mod.rs"]
mod windows;
#[cfg(all(feature = "windows", windows))]
pub use windows::Windows;

#[cfg(all(feature = "freebsd", target_os = "freebsd"))]
#[path = "../backends/freebsd/mod.rs"]
mod freebsd;
#[cfg(all(feature = "freebsd", target_os = "freebsd"))]
pub use freebsd::FreeBsd;

#[cfg(all(feature = "openbsd", target_os = "openbsd"))]
#[path = "../backends/openbsd/mod.rs"]
mod openbsd;
#[cfg(all(feature = "openbsd", target_os = "openbsd"))]
pub use openbsd::OpenBsd;

#[cfg(all(feature = "dragonfly", target_os = "dragonfly"))]
#[path = "../backends/dragonfly/mod.rs"]
mod dragonfly;
#[cfg(all(feature = "dragonfly", target_os = "dragonfly"))]
pub use dragonfly::DragonFly;

#[cfg(all(feature = "wasm", target_arch = "wasm32", target_feature = "atomics"))]
#[path = "../backends/wasm/mod.rs"]
mod wasm;
#[cfg(all(feature = "wasm", target_arch = "wasm32", target_feature = "atomics"))]
pub use wasm::Wasm;

#[cfg(feature = "custom-backend")]
pub use crate::installed::Installed;

#[cfg(any(feature = "queue", target_has_atomic = "ptr"))]
#[path = "../backends/address_hash.rs"]
pub(crate) mod address_hash;

#[cfg(target_has_atomic = "ptr")]
#[path = "../backends/counted.rs"]
mod counted;
#[cfg(target_has_atomic = "ptr")]
pub use counted::Counted;

// The process-shared scope: the wrapper and its trait exist on every target, so that naming
// it where no shared futex exists fails with `SharedScope`'s message, not "no such type".
#[path = "../backends/shared.rs"]
mod shared;
pub use shared::{Shared, SharedScope};

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

#[cfg(all(feature = "freertos", not(all(loom, test))))]
#[path = "../backends/freertos/mod.rs"]
pub mod freertos;
#[cfg(all(feature = "freertos", not(all(loom, test))))]
pub use freertos::FreeRtos;
#[cfg(feature = "queue")]
pub use queue::QueueWith;

// The relative timespec of the futex-style calls of Linux, FreeBSD and OpenBSD: one
// conversion, compiled where one of them is, and for the tests on every host.
#[cfg(any(
    test,
    all(
        any(feature = "linux", feature = "linux-raw"),
        any(target_os = "linux", target_os = "android")
    ),
    all(feature = "freebsd", target_os = "freebsd"),
    all(feature = "openbsd", target_os = "openbsd")
))]
#[path = "../backends/timespec.rs"]
mod timespec;

// Each other OS backend keeps its timeout conversion in a pure `timeout.rs`; the unit tests compile
// all of them on the host, whatever the host, so that every conversion is tested everywhere.
#[cfg(test)]
#[path = "../backends/wasm/timeout.rs"]
mod wasm_timeout_on_host;
#[cfg(test)]
#[path = "../backends/windows/timeout.rs"]
mod windows_timeout_on_host;
// On its own target the backend module already compiles (and tests) this file.
#[cfg(all(test, not(all(feature = "darwin", target_vendor = "apple"))))]
#[path = "../backends/darwin/timeout.rs"]
mod darwin_timeout_on_host;
// On its own target the backend module already compiles (and tests) this file.
#[cfg(all(test, not(all(feature = "darwin", target_vendor = "apple"))))]
#[path = "../backends/darwin/poll.rs"]
mod darwin_poll_on_host;
// With its feature the backend module already compiles (and tests) this file.
#[cfg(all(test, not(feature = "freertos")))]
#[path = "../backends/freertos/timeout.rs"]
mod freertos_timeout_on_host;
// On its own target the backend module already compiles (and tests) this file.
#[cfg(all(test, not(all(feature = "dragonfly", target_os = "dragonfly"))))]
#[path = "../backends/dragonfly/timeout.rs"]
mod dragonfly_timeout_on_host;
