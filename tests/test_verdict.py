"""The discriminator's verdict: a run's D rebuilt from its checkpoint tells real digits from its
generator's, and its score is read on the scale of the run's loss."""

import dataclasses
import math

import numpy as np
import pytest

from gan import data, runs, sampling, verdict
from tests.conftest import session_run, tiny_config


@pytest.fixture(scope="session")
def judged_run(tmp_path_factory):
    """A tiny conditional nonsat run trained two epochs on 256 digits (about 30 steps): long enough
    for D to tell real digits from its generator's."""
    return session_run(tmp_path_factory, "judged", tiny_config(n_images=256, epochs=2, loss="nonsat", conditional=True))


@pytest.fixture(scope="module")
def judge(judged_run):
    return verdict.load(judged_run)


def test_the_runs_discriminator_scores_real_digits_above_its_generators(judged_run, judge):
    digits = data.load("mnist")
    real, real_labels = digits.pixels[-200:], digits.labels[-200:]  # beyond the run's 256 (a seeded subset)
    generator = sampling.load_generator(judged_run / "generator.keras")
    labels = np.arange(200) % 10
    fake = sampling.generate(generator, sampling.latents(generator, 200, 0), labels)
    real_scores, fake_scores = verdict.scores(judge, real, real_labels), verdict.scores(judge, fake, labels)
    assert real_scores.shape == fake_scores.shape == (200,)
    assert np.isfinite(real_scores).all() and np.isfinite(fake_scores).all()
    assert real_scores.mean() > fake_scores.mean()
    said = [verdict.judge_digit(judge, digit, int(label)) for digit, label in zip(fake[:20], labels[:20], strict=True)]
    assert sum(not v.real for v in said) > 10  # most of its generator's digits are called fake
    one = said[0]
    assert one.scale == "probability" and one.label == 0
    assert one.score == pytest.approx(fake_scores[0], abs=1e-4)
    assert one.probability == pytest.approx(1 / (1 + math.exp(-one.score))) and one.real == (one.probability > 0.5)


def test_the_typical_scores_are_the_checkpoint_epochs_mean_scores(judged_run, judge):
    rows = [row for row in runs.read_metrics(judged_run) if row["epoch"] == 2]
    assert judge.epoch == 2 and rows
    assert judge.typical_real == pytest.approx(np.mean([r["d_real_score"] for r in rows]))
    assert judge.typical_fake == pytest.approx(np.mean([r["d_fake_score"] for r in rows]))


def test_a_conditional_discriminator_judges_the_digit_it_is_told_it_is(judge):
    seven = data.load("mnist").pixels[data.load("mnist").labels == 7][0]
    assert verdict.judge_digit(judge, seven, 7).score != verdict.judge_digit(judge, seven, 1).score


@pytest.mark.parametrize(("loss", "scale", "line"), [("nonsat", "probability", 0.0), ("minimax", "probability", 0.0),
                                                     ("hinge", "margin", 0.0), ("lsgan", "target", 0.5)])
def test_each_loss_reads_the_score_on_its_own_scale(judge, loss, scale, line):
    as_loss = dataclasses.replace(judge, cfg=dataclasses.replace(judge.cfg, loss=loss))
    digit = data.load("mnist").pixels[0]
    said = verdict.judge_digit(as_loss, digit, 5)
    assert said.scale == scale and said.real == (said.score > line)
    assert (said.probability is not None) == (scale == "probability")


def test_a_critic_is_read_against_the_scores_it_gives_real_digits_and_fakes(judge):
    digit = data.load("mnist").pixels[0]
    score = verdict.judge_digit(judge, digit, 5).score
    critic = dataclasses.replace(judge, cfg=dataclasses.replace(judge.cfg, loss="wgan_gp"))
    near_real = dataclasses.replace(critic, typical_real=score + 1.0, typical_fake=score - 5.0)
    near_fake = dataclasses.replace(critic, typical_real=score + 5.0, typical_fake=score - 1.0)
    assert verdict.judge_digit(near_real, digit, 5).real is True
    assert verdict.judge_digit(near_fake, digit, 5).real is False
    unknown = verdict.judge_digit(dataclasses.replace(critic, typical_real=None, typical_fake=None), digit, 5)
    assert unknown.scale == "critic" and unknown.real is None and unknown.probability is None


def test_a_run_without_a_saved_discriminator_or_with_a_damaged_one_says_so(judged_run, tmp_path):
    with pytest.raises(verdict.VerdictError) as missing:
        verdict.load(sampling.PRETRAINED)  # the bundled generator ships without its D
    assert missing.value.kind == "verdict_no_discriminator"
    damaged = runs.create(tmp_path, runs.read_config(judged_run))
    (damaged / runs.CHECKPOINT).write_bytes(b"not an npz")
    with pytest.raises(verdict.VerdictError) as unusable:
        verdict.load(damaged)
    assert unusable.value.kind == "verdict_unusable" and unusable.value.params["error"].kind == "checkpoint_damaged"


def test_a_run_on_other_pictures_is_refused_by_its_shape(colour_run):
    with pytest.raises(verdict.VerdictError) as refused:
        verdict.load(colour_run)
    assert refused.value.kind == "verdict_not_digits" and "(32, 32, 3)" in str(refused.value.params)
