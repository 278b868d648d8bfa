"""Problem families by name, for configs and flags.

Each name is a preset: a family class and its default arguments. `get_family(name,
**kwargs)` overrides the defaults.
"""

from models.optimizees import mlp
from models.optimizees import quadratic
from models.optimizees import regression
from models.optimizees import rosenbrock

__all__ = ["FAMILIES", "get_family"]

FAMILIES = {
    "quadratic": (quadratic.Quadratic, {}),
    "quadratic_noisy": (quadratic.Quadratic, {"noise_std": 0.5}),
    "rosenbrock": (rosenbrock.Rosenbrock, {"dim": 2}),
    "rosenbrock_nd": (rosenbrock.Rosenbrock, {"dim": 10}),
    "rosenbrock_noisy": (rosenbrock.Rosenbrock, {"dim": 2, "noise_std": 1.0}),
    "logistic": (regression.LogisticRegression, {}),
    "robust_regression": (regression.RobustRegression, {}),
    "softmax2": (regression.SoftmaxRegression, {}),
    "digits_mlp": (mlp.DigitsMLP, {}),
    "mnist_mlp": (mlp.TFDSMLP, {"dataset": "mnist"}),
    "fashion_mnist_mlp": (mlp.TFDSMLP, {"dataset": "fashion_mnist"}),
}


def get_family(name: str, **kwargs):
  """The family preset `name` (see `FAMILIES`), its defaults overridden by `kwargs`."""
  if name not in FAMILIES:
    raise ValueError(f"Unknown problem family {name!r}; valid: {sorted(FAMILIES)}")
  cls, defaults = FAMILIES[name]
  return cls(**dict(defaults, **kwargs))
