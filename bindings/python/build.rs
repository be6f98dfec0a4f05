//! On macOS, the linker arguments an extension module needs when built by
//! plain `cargo build` (undefined Python symbols resolved at load time);
//! maturin passes them itself. Nothing elsewhere.
fn main() {
    pyo3_build_config::add_extension_module_link_args();
}
