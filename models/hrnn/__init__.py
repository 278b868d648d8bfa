"""The hierarchical RNN optimizer of Wichrowska et al. (2017).

Model: `HierarchicalRNN`. Optimizer API: `hrnn_update_fns` (pure init / update over
task batches), `HRNNOptimizer` (a Keras 3 optimizer). Config: `HRNNConfig`.
"""

from models.hrnn.config import HRNNConfig
from models.hrnn.model import HierarchicalRNN
from models.hrnn.optimizer import HRNNOptimizer
from models.hrnn.optimizer import hrnn_update_fns

__all__ = ["HRNNConfig", "HRNNOptimizer", "HierarchicalRNN", "hrnn_update_fns"]
