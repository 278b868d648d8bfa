"""The coordinatewise LSTM optimizer of Andrychowicz et al. (2016).

Layers / model: `CoordinatewiseLSTM` (the optimizer network), `log_and_sign`.
Optimizer API: `lstm_update_fns` (pure init / update), `LearnedOptimizer` (a Keras 3
optimizer for `model.compile`).
Config: `L2LConfig` and the registered variants in `registration.py`.
"""

from models.l2l_lstm.config import L2LConfig
from models.l2l_lstm.model import CoordinatewiseLSTM
from models.l2l_lstm.model import log_and_sign
from models.l2l_lstm.optimizer import LearnedOptimizer
from models.l2l_lstm.optimizer import lstm_update_fns

__all__ = [
    "CoordinatewiseLSTM",
    "L2LConfig",
    "LearnedOptimizer",
    "log_and_sign",
    "lstm_update_fns",
]
