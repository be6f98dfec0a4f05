//! Puts `memory.x` where `cortex-m-rt`'s `link.x` looks for it.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let _ = std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x is copied to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
