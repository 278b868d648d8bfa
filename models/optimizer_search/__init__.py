"""Neural Optimizer Search (Bello et al. 2017).

Language: `parse`, `to_text`, `canonical` (the update-rule language, `language.py`).
Optimizers: `RuleOptimizer` (any rule as a Keras 3 optimizer), `PowerSign`, `AddSign`
and their decay schedules.
Controller / search: `RuleController`, `SearchConfig`; variants in `registration.py`.
"""

from models.optimizer_search.compiler import RuleOptimizer
from models.optimizer_search.config import SearchConfig
from models.optimizer_search.controller import RuleController
from models.optimizer_search.language import RuleSyntaxError
from models.optimizer_search.language import canonical
from models.optimizer_search.language import parse
from models.optimizer_search.language import to_text
from models.optimizer_search.sign_optimizers import AddSign
from models.optimizer_search.sign_optimizers import PowerSign
from models.optimizer_search.sign_optimizers import cosine_sign_decay
from models.optimizer_search.sign_optimizers import linear_cosine_decay
from models.optimizer_search.sign_optimizers import linear_sign_decay
from models.optimizer_search.sign_optimizers import restart_sign_decay

__all__ = [
    "AddSign",
    "PowerSign",
    "RuleController",
    "RuleOptimizer",
    "RuleSyntaxError",
    "SearchConfig",
    "canonical",
    "cosine_sign_decay",
    "linear_cosine_decay",
    "linear_sign_decay",
    "parse",
    "restart_sign_decay",
    "to_text",
]
