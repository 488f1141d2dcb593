/work/main/tests/freertos/target/release/deps/mutex_traits-a8c3a3f31bf7448a.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/../README.md

/work/main/tests/freertos/target/release/deps/libmutex_traits-a8c3a3f31bf7448a.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/../README.md

/work/main/tests/freertos/target/release/deps/libmutex_traits-a8c3a3f31bf7448a.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/../README.md

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mutex-traits-1.0.1/src/../README.md:
