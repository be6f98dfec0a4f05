//! Sets the SONAME of the shared library, `libfapi.so.0.1` for version
//! 0.1.x (for 0.x versions the minor version is the ABI version, as
//! cargo-c names them): a program linked with `-lfapi` then records
//! `libfapi.so.0.1` and keeps working when a compatible 0.1.y replaces the
//! library. `bindings/c/install.sh` installs the library under that name,
//! with the `libfapi.so` link for the linker.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" && os != "android" && !os.ends_with("bsd") {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libfapi.so.{abi}");
}
