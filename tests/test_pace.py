from gan import pace


def test_the_pace_leaves_out_the_first_epoch_once_a_later_one_is_known():
    measured = pace.Pace()
    assert measured.seconds_per_epoch() is None
    measured.add(30.0)  # pays for tracing
    assert measured.seconds_per_epoch() == 30.0
    measured.add(10.0)
    measured.add(12.0)
    assert measured.seconds_per_epoch() == 11.0
    for seconds in (20.0, 20.0, 20.0):
        measured.add(seconds)
    assert measured.seconds_per_epoch() == 20.0  # the latest RECENT_EPOCHS only


def test_eta_from_epochs_or_before_the_first_from_steps_plus_the_saves():
    measured = pace.Pace()
    assert measured.eta(3.0) is None
    assert measured.eta(2.5, step_seconds=0.1, steps_per_epoch=100, overhead_seconds=1.0) == 2.5 * 11.0
    measured.add(40.0)
    measured.add(11.0)
    assert measured.eta(2.5, step_seconds=0.1, steps_per_epoch=100) == 2.5 * 11.0
    assert measured.eta(-1.0) == 0.0


def test_evaluations_keep_to_their_share_of_the_time_and_the_last_epoch_always_counts():
    schedule = pace.EvalSchedule()
    assert schedule.due(10.0, last_epoch=False)  # nothing measured yet: evaluate
    schedule.done(1.0)  # 1 s: worth it again after 1 / EVAL_SHARE = 20 s of training
    assert not schedule.due(10.0, last_epoch=False)
    assert schedule.due(10.0, last_epoch=False)
    schedule.done(1.0)
    assert schedule.due(1.0, last_epoch=True)
    schedule.done(0.01)
    assert schedule.due(1.0, last_epoch=False)  # cheap: every epoch
