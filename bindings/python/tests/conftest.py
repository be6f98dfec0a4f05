"""Shared fixtures: the `fapi` binary for the round trip against `fapi serve`."""

import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def skip_or_fail(why: str):
    """Skips loudly on a developer's machine; under CI=true it is a failure."""
    if in_ci():
        pytest.fail(f"{why} (CI=true: required)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def fapi_bin() -> str:
    """The `fapi` binary: $FAPI_BIN, else $CARGO_TARGET_DIR/debug/fapi or
    target/debug/fapi (what `cargo test --workspace` built), else PATH."""
    candidates = []
    if os.environ.get("FAPI_BIN"):
        candidates.append(pathlib.Path(os.environ["FAPI_BIN"]))
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    candidates.append(target / "debug" / "fapi")
    on_path = shutil.which("fapi")
    if on_path:
        candidates.append(pathlib.Path(on_path))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    skip_or_fail(f"no fapi binary (looked at {', '.join(map(str, candidates))}; build it with `cargo build -p fapi-cli` or set FAPI_BIN)")
