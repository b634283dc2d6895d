"""FusedAdam: Keras' Adam's variables and update, one kernel per variable."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan.optimizer import FusedAdam


def trained(adam_class, jit_compile: bool) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """A (3, 100) variable after 20 compiled steps of one Adam on gradients of magnitudes 1e-4 to 10:
    its values, the optimizer's variables' values and their paths."""
    rng = np.random.default_rng(0)
    variable = keras.Variable(rng.normal(size=(3, 100)).astype("float32"))
    adam = adam_class(1e-3, beta_1=0.5)
    adam.build([variable])
    step = tf.function(lambda gradient: adam.apply([gradient], [variable]), jit_compile=jit_compile)
    for _ in range(20):
        step(tf.constant(rng.normal(size=(3, 100)).astype("float32") * 10 ** rng.uniform(-4, 1)))
    return variable.numpy(), [v.numpy() for v in adam.variables], [v.path for v in adam.variables]


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fused_adam_updates_as_keras_adam_does_to_rounding(jit_compile):
    start = np.random.default_rng(0).normal(size=(3, 100)).astype("float32")
    want, want_state, want_paths = trained(keras.optimizers.Adam, jit_compile)
    got, got_state, got_paths = trained(FusedAdam, jit_compile)
    assert np.abs(want - start).max() > 1e-2  # the steps moved it far beyond rounding
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # The same variables in the same order, so checkpoints read and write as before: the step count,
    # the learning rate, then each variable's first and second moments.
    def named(paths):  # without the numbers Keras appends to keep names unique in a process
        return [re.sub(r"_\d+", "", path) for path in paths]

    assert named(got_paths) == named(want_paths) == ["adam/iteration", "adam/learning_rate", "adam/variable_momentum",
                                                     "adam/variable_velocity"]
    assert len(got_state) == 4 and got_state[0] == want_state[0] == 20
    # The kernel takes 1 - beta_2 in float32, 0.001 - 1.3e-8, where Keras takes 0.001: the second
    # moments differ by that 1.3e-5 relative, too little to move the variable beyond rounding.
    for have, expected, rtol in zip(got_state[1:], want_state[1:], (0, 1e-6, 2e-5), strict=True):
        np.testing.assert_allclose(have, expected, rtol=rtol, atol=1e-9)


def twice_a_step(adam_class) -> list[np.ndarray]:
    """Two variables after 5 compiled steps that each update them twice, as D's d_steps do: the
    variables' and the optimizer's values."""
    rng = np.random.default_rng(1)
    variables = [keras.Variable(rng.normal(size=shape).astype("float32")) for shape in ((4, 5), (7,))]
    adam = adam_class(1e-2, beta_1=0.5)
    adam.build(variables)

    @tf.function
    def step(first, second):
        adam.apply(first, variables)
        adam.apply(second, variables)

    for _ in range(5):
        step(*([tf.constant(rng.normal(size=v.shape).astype("float32")) for v in variables] for _ in range(2)))
    return [v.numpy() for v in variables + list(adam.variables)]


def test_each_update_in_a_step_uses_its_own_step_count_for_every_variable():
    # The β powers are made once per update and shared by its variables: a second update in the
    # same traced step must make its own, from the step count the first left.
    want, got = twice_a_step(keras.optimizers.Adam), twice_a_step(FusedAdam)
    assert got[2] == want[2] == 10  # the step count
    for have, expected in zip(got[:2], want[:2], strict=True):
        np.testing.assert_allclose(have, expected, rtol=0, atol=1e-6)


def test_amsgrad_is_refused():
    with pytest.raises(ValueError, match="AMSGrad"):
        FusedAdam(1e-3, amsgrad=True)
