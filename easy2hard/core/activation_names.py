"""The one list of activation names and their plot labels (docs/science.md §4.2).

Kept free of torch so that figure scripts (the plot environment) can label curves;
core/activations.py evaluates them, and the config schema's ``$defs/activation`` enum lists
the same names (a test checks that they agree).
"""

NAMES = ("sigma_star", "tanh", "sigmoid", "relu", "relu2", "square", "tanh2",
         "scaled_tanh", "linear")
LABELS = {"sigma_star": "σ*", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU",
          "relu2": "ReLU²", "square": "x²", "tanh2": "tanh²", "scaled_tanh": "0.1 tanh(10x)",
          "linear": "linear"}
