"""GAN Atelier's engine: data, models, training, run store and sampling, free of any UI."""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features, grappler notes) drowns the CLI's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
