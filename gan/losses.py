"""GAN losses on discriminator logits: each takes logits (batch, 1) and returns a scalar.

The discriminator loss is minimised by D, the generator loss by G. WGAN-GP's gradient
penalty needs D itself, so it lives in training.py; here is its Wasserstein part.
"""

from keras import ops


def _bce(logits, target):
    """Mean binary cross-entropy of sigmoid(logits) against a constant target, from logits."""
    # max(x, 0) - x*t + log(1 + exp(-|x|)) is the overflow-free form of BCE on logits.
    return ops.mean(ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))


def d_bce(real_logits, fake_logits, label_smoothing=0.0):
    """Standard D loss: real -> 1 (or 1 - smoothing, one-sided), fake -> 0."""
    return _bce(real_logits, 1.0 - label_smoothing) + _bce(fake_logits, 0.0)


def g_nonsaturating(fake_logits):
    """-log D(G(z)): strong gradients while D still rejects the fakes (Goodfellow 2014)."""
    return _bce(fake_logits, 1.0)


def g_minimax(fake_logits):
    """log(1 - D(G(z))), the literal minimax objective: its gradient vanishes when D wins early."""
    return -_bce(fake_logits, 0.0)


def d_least_squares(real_logits, fake_logits, label_smoothing=0.0):
    """LSGAN D loss: (D(x) - 1)^2 / 2 + D(G(z))^2 / 2 on raw outputs (Mao 2017)."""
    target = 1.0 - label_smoothing
    return 0.5 * ops.mean(ops.square(real_logits - target)) + 0.5 * ops.mean(ops.square(fake_logits))


def g_least_squares(fake_logits):
    """LSGAN G loss: (D(G(z)) - 1)^2 / 2."""
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


def d_hinge(real_logits, fake_logits, label_smoothing=0.0):
    """Hinge D loss: relu(1 - D(x)) + relu(1 + D(G(z))) (Lim & Ye 2017; used by SAGAN, BigGAN)."""
    del label_smoothing  # the margin already keeps D from overconfidence
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def g_wasserstein(fake_logits):
    """-D(G(z)): the generator loss of both hinge GANs and WGANs."""
    return -ops.mean(fake_logits)


def d_wasserstein(real_logits, fake_logits, label_smoothing=0.0):
    """Critic loss D(G(z)) - D(x); WGAN-GP adds the gradient penalty on top."""
    del label_smoothing
    return ops.mean(fake_logits) - ops.mean(real_logits)


def top_k(fake_logits, share: float):
    """The round(share·n) (at least 1) highest of n fake logits, shape (k, 1): G learns only from the
    fakes D rates most real (Sinha et al. 2020, "Top-k training of GANs"). share 1 returns all."""
    if share >= 1.0:
        return fake_logits
    k = max(1, round(share * fake_logits.shape[0]))
    return ops.expand_dims(ops.top_k(ops.reshape(fake_logits, (-1,)), k, sorted=False)[0], 1)


# loss name -> (discriminator loss, generator loss)
LOSSES = {
    "nonsat": (d_bce, g_nonsaturating),
    "minimax": (d_bce, g_minimax),
    "lsgan": (d_least_squares, g_least_squares),
    "hinge": (d_hinge, g_wasserstein),
    "wgan_gp": (d_wasserstein, g_wasserstein),
}
