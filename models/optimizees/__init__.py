"""Optimizee problem families shared by the zoo's learned optimizers.

A family samples batches of tasks from per-task seeds, so task i of a split is the
same whatever batch it is drawn in, and splits never share a task. Presets by name:
`get_family("rosenbrock")`, listed in `FAMILIES`.
"""

from models.optimizees.base import SPLITS
from models.optimizees.base import TaskFamily
from models.optimizees.base import task_seeds
from models.optimizees.mlp import DigitsMLP
from models.optimizees.mlp import MLPFamily
from models.optimizees.mlp import TFDSMLP
from models.optimizees.quadratic import Quadratic
from models.optimizees.regression import LogisticRegression
from models.optimizees.regression import RobustRegression
from models.optimizees.regression import SoftmaxRegression
from models.optimizees.registry import FAMILIES
from models.optimizees.registry import get_family
from models.optimizees.rosenbrock import Rosenbrock

__all__ = [
    "DigitsMLP",
    "FAMILIES",
    "LogisticRegression",
    "MLPFamily",
    "Quadratic",
    "RobustRegression",
    "Rosenbrock",
    "SPLITS",
    "SoftmaxRegression",
    "TFDSMLP",
    "TaskFamily",
    "get_family",
    "task_seeds",
]
