"""Every error a person reads has a kind worded in both catalogues: the code's kinds and the
catalogues' [error] table match one to one, with the same parameters, and 中文 says them in Chinese."""

import ast
import re
from pathlib import Path

import pytest

from gan import (
    archive,
    classdata,
    data,
    devices,
    errors,
    images,
    quota,
    runs,
    sampling,
    toy,
    training,
    uploads,
    verdict,
)
from gan.errors import UserError
from tests.test_i18n import EN, ZH, key_pattern, placeholders
from ui import i18n

REPO = Path(__file__).resolve().parents[1]
ERROR_CLASSES = {"UserError", "ArchiveError", "RunError", "CheckpointError", "GeneratorError", "DataUnavailable",
                 "QualityUnavailable", "PointsError", "NoSteps", "QuotaError", "DeviceError", "UploadError",
                 "DatasetError", "DataUnfit", "VerdictError", "ClassDataError"}
KINDS = {key.removeprefix("error."): text for key, text in EN.items()
         if key.startswith("error.") and not key.startswith("error.os.")}


def raised_kinds() -> list[tuple[ast.expr, set[str]]]:
    """(kind expression, keyword names) of every construction of a UserError class in gan/."""
    found = []
    for path in sorted((REPO / "gan").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ERROR_CLASSES and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                    found.append((node.args[0], {k.arg for k in node.keywords if k.arg}))
    return found


def test_the_scan_sees_every_error_class_and_they_all_are_user_errors():
    classes = [archive.ArchiveError, runs.RunError, runs.CheckpointError, sampling.GeneratorError,
               data.DataUnavailable, data.DataUnfit, toy.PointsError, training.NoSteps, quota.QuotaError,
               devices.DeviceError, images.UploadError, uploads.DatasetError, verdict.VerdictError,
               classdata.ClassDataError, UserError]
    assert {c.__name__ for c in classes} | {"QualityUnavailable"} == ERROR_CLASSES
    assert all(issubclass(c, UserError) for c in classes)
    assert len(raised_kinds()) > 70


def test_every_kind_raised_has_a_text_with_exactly_its_parameters_and_every_text_is_raised():
    used = set()
    for kind, given in raised_kinds():
        if isinstance(kind, ast.Constant):
            matches = [kind.value] if kind.value in KINDS else []
        else:
            matches = [k for k in KINDS if key_pattern(kind).fullmatch(k)]
        assert matches, f"no error text for {ast.unparse(kind)}"
        for match in matches:
            used.add(match)
            for catalogue in (EN, ZH):
                assert placeholders(catalogue[f"error.{match}"]) == given, (match, given)
    assert set(KINDS) == used, set(KINDS) - used


ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){2,}\b")  # three English words in a row


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_reads_in_chinese_without_an_english_sentence(kind):
    text = ZH[f"error.{kind}"]
    assert re.search(r"[\u4e00-\u9fff]", text) or kind == "recorded", text
    assert not ENGLISH_WORDS.search(text), text


def test_the_interface_words_an_error_and_its_reason_in_the_visitors_language(monkeypatch):
    inner = sampling.GeneratorError("generator_not_keras", path="generator.keras")
    error = archive.ArchiveError("archive_inner_refused", name="generator.keras", reason=inner)
    assert str(error) == "The archive's generator.keras is refused: generator.keras is not a Keras model file " \
                         "(damaged or truncated)."
    monkeypatch.setattr(i18n, "language", lambda: "zh")
    worded = i18n.error_text(error)
    assert worded == ZH["error.archive_inner_refused"].format(
        name="generator.keras", reason=ZH["error.generator_not_keras"].format(path="generator.keras"))
    assert not ENGLISH_WORDS.search(worded)


def test_library_details_go_to_the_command_line_only_and_long_values_are_cut(monkeypatch):
    error = runs.CheckpointError("checkpoint_damaged", "File is not a zip file", path="x" * 10_000)
    assert str(error).endswith("(File is not a zip file)") and len(str(error)) < 600
    monkeypatch.setattr(i18n, "language", lambda: "zh")
    assert "zip file" not in i18n.error_text(error) and len(error.params["path"]) == errors.MAX_PARAM_CHARS


def test_an_error_survives_a_round_trip_through_status_json():
    inner = runs.RunError("run_not_found", path="/x")
    error = archive.ArchiveError("archive_bad_config", "detail", reason=inner)
    again = UserError.from_dict(error.to_dict())
    assert (again.kind, str(again), again.params["reason"].kind) == (error.kind, str(error), "run_not_found")
    with pytest.raises(ValueError):
        UserError.from_dict({"params": {}})
