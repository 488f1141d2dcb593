//! origin is the program's entry point (`_start`): the C runtime's start files must not be
//! linked.
fn main() {
    println!("cargo:rustc-link-arg=-nostartfiles");
}
