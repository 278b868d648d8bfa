"""Li & Malik (2016)'s learned optimizer: a step policy trained by policy search.

Model: `PolicyNet`. Optimizer API: `PolicyOptimizer` (a Keras 3 optimizer).
Config: `PolicyConfig`.
"""

from models.l2o_policy.config import PolicyConfig
from models.l2o_policy.model import PolicyNet

__all__ = ["PolicyConfig", "PolicyNet"]
