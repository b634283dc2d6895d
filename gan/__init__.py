"""GAN Atelier's engine: data, models, training, run store and sampling, free of any UI."""

import os

# TensorFlow's C++ chatter (oneDNN, CPU features, grappler notes) drowns the CLI's output; real
# failures still arrive as Python exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
