/work/main/tests/freertos/target/release/deps/mutex-3246778bac88c7c3.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/raw_impls.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/../README.md

/work/main/tests/freertos/target/release/deps/libmutex-3246778bac88c7c3.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/raw_impls.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/../README.md

/work/main/tests/freertos/target/release/deps/libmutex-3246778bac88c7c3.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/raw_impls.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/../README.md

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/raw_impls.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-1.0.2/src/../README.md:
