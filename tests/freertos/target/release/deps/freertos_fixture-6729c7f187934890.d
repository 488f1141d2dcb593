/work/main/tests/freertos/target/release/deps/freertos_fixture-6729c7f187934890.d: src/main.rs src/bench.rs src/checks.rs src/sys.rs

/work/main/tests/freertos/target/release/deps/freertos_fixture-6729c7f187934890: src/main.rs src/bench.rs src/checks.rs src/sys.rs

src/main.rs:
src/bench.rs:
src/checks.rs:
src/sys.rs:
