"""gan.cli: modules kept out of an import (pandas, while a command line imports TensorFlow)."""

import importlib
import json
import sys

import pytest

from gan import cli


@pytest.fixture
def probe(tmp_path, monkeypatch) -> str:
    """The name of a module on the path that no one has imported."""
    (tmp_path / "kept_out_probe.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "kept_out_probe", raising=False)
    return "kept_out_probe"


def test_a_module_kept_out_fails_to_import_inside_and_imports_after(probe):
    with cli.kept_out(probe), pytest.raises(ImportError):
        importlib.import_module(probe)
    assert importlib.import_module(probe).VALUE == 7


def test_a_module_already_imported_is_left_alone_and_an_error_inside_still_lets_the_other_back(probe):
    with pytest.raises(RuntimeError), cli.kept_out("json", probe):
        assert importlib.import_module("json") is json
        raise RuntimeError("the import inside failed")
    assert sys.modules["json"] is json
    assert importlib.import_module(probe).VALUE == 7
