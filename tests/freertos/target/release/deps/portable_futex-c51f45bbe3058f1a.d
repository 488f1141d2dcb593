/work/main/tests/freertos/target/release/deps/portable_futex-c51f45bbe3058f1a.d: /work/main/src/lib.rs /work/main/src/backend.rs /work/main/src/../backends/address_hash.rs /work/main/src/../backends/counted.rs /work/main/src/../backends/shared.rs /work/main/src/../backends/queue/mod.rs /work/main/src/../backends/queue/bucket.rs /work/main/src/../backends/queue/event.rs /work/main/src/../backends/queue/lock.rs /work/main/src/../backends/queue/treap.rs /work/main/src/../backends/queue/wait_queue.rs /work/main/src/../backends/freertos/mod.rs /work/main/src/../backends/freertos/timeout.rs /work/main/src/deadline.rs /work/main/src/futex.rs /work/main/src/futex_backend.rs /work/main/src/installed.rs /work/main/src/select.rs /work/main/src/timeout.rs /work/main/src/../README.md /work/main/src/../backends/freertos/glue.c

/work/main/tests/freertos/target/release/deps/libportable_futex-c51f45bbe3058f1a.rlib: /work/main/src/lib.rs /work/main/src/backend.rs /work/main/src/../backends/address_hash.rs /work/main/src/../backends/counted.rs /work/main/src/../backends/shared.rs /work/main/src/../backends/queue/mod.rs /work/main/src/../backends/queue/bucket.rs /work/main/src/../backends/queue/event.rs /work/main/src/../backends/queue/lock.rs /work/main/src/../backends/queue/treap.rs /work/main/src/../backends/queue/wait_queue.rs /work/main/src/../backends/freertos/mod.rs /work/main/src/../backends/freertos/timeout.rs /work/main/src/deadline.rs /work/main/src/futex.rs /work/main/src/futex_backend.rs /work/main/src/installed.rs /work/main/src/select.rs /work/main/src/timeout.rs /work/main/src/../README.md /work/main/src/../backends/freertos/glue.c

/work/main/tests/freertos/target/release/deps/libportable_futex-c51f45bbe3058f1a.rmeta: /work/main/src/lib.rs /work/main/src/backend.rs /work/main/src/../backends/address_hash.rs /work/main/src/../backends/counted.rs /work/main/src/../backends/shared.rs /work/main/src/../backends/queue/mod.rs /work/main/src/../backends/queue/bucket.rs /work/main/src/../backends/queue/event.rs /work/main/src/../backends/queue/lock.rs /work/main/src/../backends/queue/treap.rs /work/main/src/../backends/queue/wait_queue.rs /work/main/src/../backends/freertos/mod.rs /work/main/src/../backends/freertos/timeout.rs /work/main/src/deadline.rs /work/main/src/futex.rs /work/main/src/futex_backend.rs /work/main/src/installed.rs /work/main/src/select.rs /work/main/src/timeout.rs /work/main/src/../README.md /work/main/src/../backends/freertos/glue.c

/work/main/src/lib.rs:
/work/main/src/backend.rs:
/work/main/src/../backends/address_hash.rs:
/work/main/src/../backends/counted.rs:
/work/main/src/../backends/shared.rs:
/work/main/src/../backends/queue/mod.rs:
/work/main/src/../backends/queue/bucket.rs:
/work/main/src/../backends/queue/event.rs:
/work/main/src/../backends/queue/lock.rs:
/work/main/src/../backends/queue/treap.rs:
/work/main/src/../backends/queue/wait_queue.rs:
/work/main/src/../backends/freertos/mod.rs:
/work/main/src/../backends/freertos/timeout.rs:
/work/main/src/deadline.rs:
/work/main/src/futex.rs:
/work/main/src/futex_backend.rs:
/work/main/src/installed.rs:
/work/main/src/select.rs:
/work/main/src/timeout.rs:
/work/main/src/../README.md:
/work/main/src/../backends/freertos/glue.c:

# env-dep:CARGO_PKG_VERSION_MAJOR=0
# env-dep:CARGO_PKG_VERSION_MINOR=1
# env-dep:CARGO_PKG_VERSION_PATCH=0
