"""Adam whose update of each variable is one TensorFlow kernel."""

import keras
import tensorflow as tf


class FusedAdam(keras.optimizers.Adam):
    """Keras' Adam with the same variables (checkpoints name and order them as before) and the same
    update, made for each variable by TensorFlow's fused kernel, ResourceApplyAdam, instead of Keras'
    dozen or more small ops. Building Keras' ops took about a third of the time to trace a training
    step (cProfile, tiny runs), and the fewer ops also shorten the graph's optimisation on the first
    call (python -m bench.optimizer_speed). The variables agree to float32 rounding
    (tests/test_optimizer.py); the second moments differ by 1.3e-5 relative, as the kernel takes
    1 − β₂ in float32 (0.999's nearest float32 makes it 0.00099998713) where Keras takes 0.001.

    The scalars the kernel takes (β powers of the step count, learning rate, …) are made once per
    update of all variables, for each dtype and device, not once per variable: that cut the
    optimizer's operations in a traced tiny step from 278 to 96, and the trace's CPU from 0.51 and
    0.45 s to 0.37 and 0.39 s (two pairs in turn).

    Keras calls update_step per variable, inside tf.distribute's update of that variable: under a
    MirroredStrategy once per replica, where a mirrored moment's handle is the replica's own copy.
    It reads Keras' private _momentums, _velocities, _get_variable_index and
    _distributed_tf_update_step, pinned by the Keras version in requirements.txt and checked
    against Keras' own Adam by the tests."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"name": "adam", **kwargs})  # as Keras' Adam names its variables
        if self.amsgrad:
            raise ValueError("FusedAdam has no AMSGrad variant (ResourceApplyAdam keeps no maximum)")
        self._step_scalars = None

    def _distributed_tf_update_step(self, distribution, grads_and_vars, learning_rate):
        # One update of every variable: the step's scalars (β powers, learning rate, …) are the same
        # for all of them, so each dtype and device makes them once rather than once per variable.
        self._step_scalars = {}
        try:
            return super()._distributed_tf_update_step(distribution, grads_and_vars, learning_rate)
        finally:
            self._step_scalars = None

    def _scalars(self, dtype, learning_rate) -> dict:
        def const(value):
            return tf.cast(value, dtype)

        step = const(self.iterations + 1)
        return {"beta1_power": tf.pow(const(self.beta_1), step), "beta2_power": tf.pow(const(self.beta_2), step),
                "lr": const(learning_rate), "beta1": const(self.beta_1), "beta2": const(self.beta_2),
                "epsilon": const(self.epsilon)}

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        if self._step_scalars is None:  # not within one update of all variables
            scalars = self._scalars(dtype, learning_rate)
        else:
            key = (dtype, variable.device)  # under tf.distribute, each replica's update on its own device
            if key not in self._step_scalars:
                self._step_scalars[key] = self._scalars(dtype, learning_rate)
            scalars = self._step_scalars[key]
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].value.handle, v=self._velocities[index].value.handle,
            grad=tf.cast(gradient, dtype), **scalars)
