"""How long a run takes here: the wall-clock pace of its epochs, its ETA, and when a per-epoch
quality evaluation is worth its cost. Pure arithmetic, no TensorFlow."""

from dataclasses import dataclass, field

EVAL_SHARE = 0.05  # quality evaluations may take at most this share of the wall time between them
RECENT_EPOCHS = 3  # the ETA follows the pace of this many latest complete epochs


@dataclass
class Pace:
    """Wall-clock seconds of each complete epoch this process trained, saves and evaluation included.

    The first epoch after a (re)start also pays for tracing the train step, so once a later epoch
    is known it no longer speaks for the pace.
    """

    epoch_seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.epoch_seconds.append(seconds)

    def seconds_per_epoch(self) -> float | None:
        known = self.epoch_seconds[1:] or self.epoch_seconds
        if not known:
            return None
        recent = known[-RECENT_EPOCHS:]
        return sum(recent) / len(recent)

    def eta(self, epochs_left: float, step_seconds: float | None = None, steps_per_epoch: int = 0,
            overhead_seconds: float = 0.0) -> float | None:
        """Seconds until the run ends, `epochs_left` (fractional) complete epochs from now.

        From the measured epochs when there are some; before the first one ends, from the mean
        seconds per training step so far plus a guess of each epoch's saves and evaluation.
        """
        per_epoch = self.seconds_per_epoch()
        if per_epoch is None:
            if step_seconds is None or not steps_per_epoch:
                return None
            per_epoch = step_seconds * steps_per_epoch + overhead_seconds
        return max(epochs_left, 0.0) * per_epoch


@dataclass
class EvalSchedule:
    """Evaluate after an epoch when it is the last, or when the wall time since the last evaluation
    is at least 1/EVAL_SHARE times what the last one cost: bounded overhead on slow machines,
    every epoch where evaluation is cheap."""

    last_cost: float = 0.0
    since_last: float = 0.0

    def due(self, epoch_seconds: float, last_epoch: bool) -> bool:
        self.since_last += epoch_seconds
        return last_epoch or self.since_last * EVAL_SHARE >= self.last_cost

    def done(self, cost: float) -> None:
        self.last_cost, self.since_last = cost, 0.0
