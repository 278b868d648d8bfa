"""Hand-designed optimizers as batched functional rules, and their tuning.

The zoo's learned optimizers are compared against these on the same tasks. Each rule
is a pair of pure functions over an explicit state, batched over tasks with a
per-task learning rate, so a whole learning-rate grid runs in one compiled loop.
"""

from models.classic_optimizers.rules import RULES
from models.classic_optimizers.rules import Rule
from models.classic_optimizers.rules import get_rule
from models.classic_optimizers.runner import run_rule
from models.classic_optimizers.tuning import TuningResult
from models.classic_optimizers.tuning import default_grid
from models.classic_optimizers.tuning import tune_learning_rate

__all__ = [
    "RULES",
    "Rule",
    "TuningResult",
    "default_grid",
    "get_rule",
    "run_rule",
    "tune_learning_rate",
]
