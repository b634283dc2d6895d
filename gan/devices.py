"""Which devices a run trains on: one (TensorFlow's own choice, the first GPU when there is one,
else the CPU) or several replicas of the run through tf.distribute.MirroredStrategy, and the name
the run's status gives them."""

import functools
import os

from gan.errors import UserError

ENV = "GAN_DEVICES"  # the device count of trainers the dashboard starts (they inherit its environment)
MAX_DEVICES = 16


class DeviceError(UserError, ValueError):
    """A device count this machine, this run's batch or this way of training cannot use."""


def requested(value: object = None) -> int:
    """The device count: `value` (the command line's --devices) or else $GAN_DEVICES or else 1."""
    if value is None:
        value = os.environ.get(ENV) or 1
    try:
        count = int(str(value).strip())
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_DEVICES:
        raise DeviceError("devices_range", value=value, high=MAX_DEVICES)
    return count


def check(count: int, batch_size: int, jit_compile: bool = False) -> None:
    """Raise DeviceError unless a run of batch_size can train on `count` devices. Each replica takes
    an equal share of every batch (so its losses are the batch's); XLA is not used across replicas."""
    if batch_size % count:
        raise DeviceError("devices_batch", devices=count, batch_size=batch_size)
    if jit_compile and count > 1:
        raise DeviceError("devices_jit", devices=count)


def prepare(count: int) -> None:
    """On a machine without a GPU, split the CPU into `count` logical devices for MirroredStrategy.
    TensorFlow allows this only before it runs its first operation, so trainers call it first.

    The replicas then share the same cores: nothing gets faster (one CPU device already uses them
    all), but the run takes the same code path as on several GPUs, which is what tests need.
    """
    import tensorflow as tf  # here, not at the top: the command line checks counts before importing it

    if count == 1 or tf.config.list_physical_devices("GPU"):
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or ()) == count:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:  # TensorFlow is already running in this process
        raise DeviceError("devices_cpu_started", devices=count) from None


@functools.cache
def strategy(count: int):
    """(the tf.distribute strategy to build the run's model under, the devices as status.json names
    them: "CPU", "GPU:0 (NVIDIA …)", "2× CPU (MirroredStrategy)"). With count > 1: the first `count`
    GPUs, or `count` logical CPUs (see prepare) on a machine without any.

    One strategy per count and process: a second MirroredStrategy on the same devices numbers its
    collective operations from where the first began, and TensorFlow aborts on the clash.
    """
    import tensorflow as tf

    prepare(count)
    gpus = tf.config.list_physical_devices("GPU")
    if count == 1:
        if not gpus:
            return tf.distribute.get_strategy(), "CPU"
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name")
        return tf.distribute.get_strategy(), f"GPU:0 ({name})" if name else "GPU:0"
    if gpus and len(gpus) < count:
        raise DeviceError("devices_gpus", devices=count, gpus=len(gpus))
    kind = "GPU" if gpus else "CPU"
    names = [f"/{kind.lower()}:{index}" for index in range(count)]
    return tf.distribute.MirroredStrategy(names), f"{count}× {kind} (MirroredStrategy)"
