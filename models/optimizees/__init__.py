"""Optimizee problem families shared by the zoo's learned optimizers.

A family samples batches of tasks from per-task seeds, so task i of a split is the
same whatever batch it is drawn in, and splits never share a task.
"""

from models.optimizees.base import SPLITS
from models.optimizees.base import TaskFamily
from models.optimizees.base import task_seeds
from models.optimizees.digits_mlp import DigitsMLP
from models.optimizees.quadratic import Quadratic
from models.optimizees.registry import FAMILIES
from models.optimizees.registry import get_family

__all__ = [
    "DigitsMLP",
    "FAMILIES",
    "Quadratic",
    "SPLITS",
    "TaskFamily",
    "get_family",
    "task_seeds",
]
