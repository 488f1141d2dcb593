/work/main/tests/freertos/target/release/deps/gcd-ff885da62be8119f.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gcd-2.3.0/src/lib.rs

/work/main/tests/freertos/target/release/deps/libgcd-ff885da62be8119f.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gcd-2.3.0/src/lib.rs

/work/main/tests/freertos/target/release/deps/libgcd-ff885da62be8119f.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gcd-2.3.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gcd-2.3.0/src/lib.rs:
