"""Shared fixtures. Service tests read the stack's settings from the environment
(`make test` exports .stack/env); a missing setting is an error, never a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_DIR / "tests" / "samples"  # real files, byte for byte, provenance in SOURCES.md


def stack_setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the tests with `make test` (it starts the stack)")
    return value


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
