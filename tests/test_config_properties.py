"""Properties of config validation over generated values: every bad value of every field is refused
with a message naming the field and its allowed values, and no valid config is refused."""

import json
import math
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gan import errors, train
from gan.config import CHOICES, DATASETS, FIELD_TYPES, RANGES, UPLOADED, ConfigError, RunConfig

# database=None: nothing is replayed from earlier runs; a failure prints its reproducing example
FAST = settings(max_examples=150, deadline=None, database=None)
NUMBER_FIELDS = [field for field in FIELD_TYPES if field in RANGES]
BOOL_WORDS = ("true", "false", "1", "0", "yes", "no")


def valid_value(field: str) -> st.SearchStrategy:
    if field == "dataset":  # a built-in one, or an upload by its content hash
        hashes = st.binary(min_size=32, max_size=32).map(lambda digest: f"sha256:{digest.hex()}")
        return st.one_of(st.sampled_from(DATASETS), hashes)
    if field in CHOICES:
        return st.sampled_from(CHOICES[field])
    if FIELD_TYPES[field] is bool:
        return st.booleans()
    low, high = RANGES[field]
    return st.integers(low, high) if FIELD_TYPES[field] is int else st.floats(low, high)


@st.composite
def valid_settings(draw) -> dict:
    """Every field, valid on its own and together: batch_size * d_steps images fit in n_images."""
    values = {field: draw(valid_value(field)) for field in FIELD_TYPES}
    values["batch_size"] = draw(st.integers(RANGES["batch_size"][0], min(RANGES["batch_size"][1], values["n_images"])))
    values["d_steps"] = draw(st.integers(1, min(RANGES["d_steps"][1], values["n_images"] // values["batch_size"])))
    return values


def fails_to_parse(kind: type):
    def check(text: str) -> bool:
        try:
            kind(text)
        except (ValueError, OverflowError):
            return True
        return False
    return check


def invalid_number(field: str) -> st.SearchStrategy:
    low, high = RANGES[field]
    whole = FIELD_TYPES[field] is int
    out_of_range = st.one_of(
        st.integers(max_value=math.floor(low) - 1) if whole else st.floats(max_value=low).filter(lambda v: v < low),
        st.integers(min_value=math.floor(high) + 1) if whole else st.floats(min_value=high).filter(lambda v: v > high),
        st.integers(min_value=2**1024),  # larger than any float
    ).filter(lambda v: not low <= v <= high)
    bad = [out_of_range, out_of_range.map(str), st.sampled_from([math.nan, math.inf, -math.inf, "nan", "-inf"]),
           st.booleans(), st.text().filter(fails_to_parse(int if whole else float)),
           st.none(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.integers(), max_size=1)]
    if whole:
        bad.append(st.floats(low, high).filter(lambda v: not v.is_integer()))
    return st.one_of(bad)


def invalid_value(field: str) -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.text(), max_size=1))
    if field in RANGES:
        return invalid_number(field)
    if field == "dataset":
        return st.one_of(st.text().filter(lambda v: v not in DATASETS and not UPLOADED.fullmatch(v)), scalars,
                         st.booleans())
    if field in CHOICES:
        return st.one_of(st.text().filter(lambda v: v not in CHOICES[field]), scalars, st.booleans())
    return st.one_of(st.text().filter(lambda v: v.lower() not in BOOL_WORDS), scalars)


def field_and_bad_value() -> st.SearchStrategy:
    return st.sampled_from(sorted(FIELD_TYPES)).flatmap(lambda f: st.tuples(st.just(f), invalid_value(f)))


def assert_states_allowed_values(error: ConfigError, field: str) -> None:
    message = str(error)
    assert error.field == field and message.startswith(f"{field}: "), message
    if field in RANGES:
        bounds = re.search(r"between (\S+) and (\S+?),", message)
        assert bounds, message
        # the bounds are printed exactly: 2147483647, not a rounded 2.14748e+09
        assert tuple(float(b) for b in bounds.groups()) == RANGES[field], message
    elif field in CHOICES:
        assert "one of " + ", ".join(CHOICES[field]) in message, message
    elif field == "dataset":
        assert "one of mnist, fashion_mnist, or sha256: followed by 64" in message or "must be text" in message, message
    else:
        assert "true or false" in message, message


@FAST
@given(valid_settings())
def test_no_valid_config_is_refused(values):
    cfg = RunConfig.from_dict(values)
    assert cfg.to_dict() == values
    assert RunConfig(**values) == cfg


@FAST
@given(valid_settings())
def test_to_dict_from_dict_round_trips_and_run_id_is_stable(values):
    cfg = RunConfig.from_dict(values)
    again = RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.run_id == cfg.run_id == RunConfig.from_dict(values).run_id
    assert re.fullmatch(r"[0-9a-f]{12}", cfg.run_id)


@FAST
@given(valid_settings(), valid_settings(), st.sampled_from(sorted(FIELD_TYPES)))
def test_equal_configs_and_only_equal_configs_share_a_run_id(values, other, field):
    changed = {**values, field: other[field]}  # often the same value: bools and choices repeat
    assume(changed["batch_size"] * changed["d_steps"] <= changed["n_images"])
    a, b = RunConfig.from_dict(values), RunConfig.from_dict(changed)
    assert (a == b) == (a.run_id == b.run_id) == (values[field] == other[field])


@pytest.mark.parametrize("field", [f for f in NUMBER_FIELDS if FIELD_TYPES[f] is float and RANGES[f][0] == 0])
def test_minus_zero_is_the_same_run_as_zero(field):
    assert RunConfig.from_dict({field: -0.0}).run_id == RunConfig.from_dict({field: 0.0}).run_id
    assert RunConfig.from_dict({field: "-0"}).run_id == RunConfig.from_dict({field: 0}).run_id


@FAST
@given(valid_settings())
def test_the_command_line_accepts_string_forms_of_valid_values(values):
    argv = ["--preset", "quick"]
    for key, value in values.items():
        argv += ["--set", f"{key}={value}"]
    cfg = train.config_from_args(train.parse_args(argv))
    assert cfg == RunConfig.from_dict(values) and cfg.run_id == RunConfig.from_dict(values).run_id


@pytest.mark.parametrize("field", [field for field, kind in FIELD_TYPES.items() if kind is bool])
@pytest.mark.parametrize(("spelled", "meaning"), [("yes", True), ("TRUE", True), ("1", True),
                                                  ("no", False), ("False", False), ("0", False)])
def test_true_and_false_may_be_spelled_out(field, spelled, meaning):
    assert RunConfig.from_dict({field: spelled}) == RunConfig(**{field: meaning})


@FAST
@given(valid_settings(), field_and_bad_value())
def test_every_invalid_value_names_its_field_and_the_allowed_values(values, bad):
    field, value = bad
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_dict({**values, field: value})
    assert_states_allowed_values(raised.value, field)


@FAST
@given(valid_settings(), field_and_bad_value())
def test_constructing_directly_refuses_the_same_values(values, bad):
    field, value = bad
    with pytest.raises(ConfigError) as raised:
        RunConfig(**{**values, field: value})
    assert_states_allowed_values(raised.value, field)


@FAST
@given(valid_settings(), st.text().filter(lambda key: key not in FIELD_TYPES))
def test_unknown_settings_are_named(values, key):
    with pytest.raises(ConfigError, match="unknown setting") as raised:
        RunConfig.from_dict({**values, key: 1})
    assert raised.value.field == errors.shorten(key, 60)  # named, but a hostile 1 MB key is not echoed whole


@st.composite
def batches_too_big(draw) -> tuple[int, int, int]:
    """(n_images, batch_size, d_steps), each in range, with batch_size * d_steps > n_images."""
    low = RANGES["n_images"][0]
    batch_size = draw(st.integers(*RANGES["batch_size"]))
    d_steps = draw(st.integers(max(1, -(-(low + 1) // batch_size)), RANGES["d_steps"][1]))
    return draw(st.integers(low, batch_size * d_steps - 1)), batch_size, d_steps


@FAST
@given(valid_settings(), batches_too_big())
def test_batches_that_do_not_fit_in_the_data_are_refused(values, sizes):
    n_images, batch_size, d_steps = sizes
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_dict({**values, "n_images": n_images, "batch_size": batch_size, "d_steps": d_steps})
    assert raised.value.field == ("batch_size" if batch_size > n_images else "d_steps")
    assert f"n_images ({n_images})" in str(raised.value)
