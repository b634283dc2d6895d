"""Train gan/assets/classifier.keras, the small MNIST CNN that scores generated digits, then write
real_stats.npz (its feature statistics on real digits) and classifier.json (setup, held-out
accuracy, the real floor, sha256s).

Run from the repository root: python -m scripts.train_classifier   (CPU, about a minute)
"""

import argparse
import hashlib
import json
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan import data, quality

SEED = 0
EPOCHS = 20
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
SHIFT_PIXELS = 2
N_FEATURES = 64


def build_classifier() -> keras.Model:
    """images (n, 28, 28, 1) in [-1, 1] -> probabilities (n, 10); its penultimate layer is "features"."""
    images = keras.Input((28, 28, 1), name="images")
    h = layers.Conv2D(32, 3, padding="same", activation="relu")(images)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu")(h)
    h = layers.Dropout(0.3)(layers.Flatten()(h))
    features = layers.Dense(N_FEATURES, activation="relu", name="features")(h)
    logits = layers.Dense(data.N_CLASSES, name="logits")(layers.Dropout(0.3)(features))
    probabilities = layers.Softmax(name="probabilities")(logits)
    return keras.Model(images, probabilities, name="digit_classifier")


def train(classifier: keras.Model, fit: data.Dataset) -> None:
    """Fit on logits (from_logits=True), with digits shifted up to SHIFT_PIXELS in each direction:
    generated digits are rarely centred as precisely as MNIST's."""
    shift = SHIFT_PIXELS / 28
    trainer = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.RandomTranslation(shift, shift, fill_mode="constant", fill_value=-1.0, seed=SEED),
        keras.Model(classifier.inputs, classifier.get_layer("logits").output),
    ])
    steps = EPOCHS * int(np.ceil(len(fit.pixels) / BATCH_SIZE))
    trainer.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    trainer.fit(data.to_images(fit.pixels), fit.labels.astype(np.int32), batch_size=BATCH_SIZE,
                epochs=EPOCHS, shuffle=True, verbose=2)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    keras.utils.set_random_seed(SEED)
    fit, held_out = quality.reference_split()
    classifier = build_classifier()
    train(classifier, fit)
    classifier.save(quality.CLASSIFIER)

    # Everything below is measured on the file as shipped, reloaded the way the product loads it.
    model = quality.two_headed(keras.models.load_model(quality.CLASSIFIER, safe_mode=True, compile=False))
    features, _ = quality.predict(fit.pixels, model)
    mu, cov = quality.gaussian_stats(features)
    np.savez_compressed(quality.REAL_STATS, mu=mu, cov=cov)
    _, probabilities = quality.predict(held_out.pixels, model)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == held_out.labels))
    started = time.perf_counter()
    floor = quality.score(held_out.pixels, model, (mu, cov))
    scoring_seconds = time.perf_counter() - started

    info = {
        "classifier_sha256": sha256(quality.CLASSIFIER),
        "real_stats_sha256": sha256(quality.REAL_STATS),
        "digits_sha256": sha256(data.BUNDLED),
        "held_out_accuracy": round(accuracy, 4),
        "held_out_errors": int(np.sum(probabilities.argmax(axis=1) != held_out.labels)),
        "parameters": classifier.count_params(),
        "training": {
            "data": data.SOURCE_LABELS["bundled"],
            "split": f"permutation of the 10,000 bundled digits by numpy default_rng({quality.SPLIT_SEED}): "
                     f"the last {quality.N_HELD_OUT:,} held out, the other {len(fit.pixels):,} fitted",
            "fit_digits": len(fit.pixels),
            "held_out_digits": len(held_out.pixels),
            "seed": SEED,
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "optimizer": f"Adam, learning rate {LEARNING_RATE:g} with cosine decay to 0",
            "loss": "sparse categorical cross-entropy on logits",
            "augmentation": f"random shifts of up to {SHIFT_PIXELS} pixels in x and y, background filled",
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
        "real_stats": f"mean and covariance of the {N_FEATURES} 'features' activations "
                      f"of the {len(fit.pixels):,} fitted digits",
        "real_floor": {"n": len(held_out.pixels),
                       "about": "score() of the held-out real digits against real_stats",
                       **{key: round(value, 6) if isinstance(value, float) else value
                          for key, value in floor.items()}},
    }
    quality.CLASSIFIER_INFO.write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps({key: info[key] for key in ("held_out_accuracy", "parameters", "real_floor")}, indent=2))
    print(f"classifier.keras {quality.CLASSIFIER.stat().st_size / 1e3:.0f} kB; "
          f"scoring {len(held_out.pixels):,} digits took {scoring_seconds:.2f} s")


if __name__ == "__main__":
    main()
