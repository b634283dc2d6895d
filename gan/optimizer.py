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

    Keras calls update_step per variable, inside tf.distribute's update of that variable: under a
    MirroredStrategy once per replica, where a mirrored moment's handle is the replica's own copy.
    It reads Keras' private _momentums, _velocities and _get_variable_index, pinned by the Keras
    version in requirements.txt and checked against Keras' own Adam by the tests."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"name": "adam", **kwargs})  # as Keras' Adam names its variables
        if self.amsgrad:
            raise ValueError("FusedAdam has no AMSGrad variant (ResourceApplyAdam keeps no maximum)")

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        dtype = variable.dtype

        def const(value):
            return tf.cast(value, dtype)

        step = const(self.iterations + 1)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].value.handle, v=self._velocities[index].value.handle,
            beta1_power=tf.pow(const(self.beta_1), step), beta2_power=tf.pow(const(self.beta_2), step),
            lr=const(learning_rate), beta1=const(self.beta_1), beta2=const(self.beta_2),
            epsilon=const(self.epsilon), grad=const(gradient))
