"""Every curated public name exists, and nothing private leaks into ``__all__``."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["rtvi_actors", "supervisors", "actors", "rtvi_actors.testing"])
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} is in __all__ but missing"
        assert not name.startswith("_") or name == "__version__"


def test_lazy_core_names_are_public() -> None:
    import rtvi_actors

    lazy = set(rtvi_actors._LAZY)
    assert lazy <= set(rtvi_actors.__all__)
    assert {"Pacer", "PacerStatistics", "current_pacer"} <= lazy
