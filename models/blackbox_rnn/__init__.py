"""The RNN black-box optimizer of Chen et al. (2016), trained on GP samples.

Model: `BlackboxRNN` (an LSTM, optionally with content-based memory reads, proposing
the next query from the last one and its value), with `minimize` for any Python
callable.
Functions: `GPFamily` (GP samples on the unit box), `test_functions.FUNCTIONS`
(Branin, Goldstein-Price, Hartmann3, Hartmann6).
Baselines: `random_search`, `sobol_search`, `gp_ei`.
Config: `BlackboxConfig` and the registered variants in `registration.py`.
"""

from models.blackbox_rnn.baselines import GPEISettings
from models.blackbox_rnn.baselines import gp_ei
from models.blackbox_rnn.baselines import random_search
from models.blackbox_rnn.baselines import sobol_search
from models.blackbox_rnn.config import BlackboxConfig
from models.blackbox_rnn.gp import GPFamily
from models.blackbox_rnn.minimize import MinimizeResult
from models.blackbox_rnn.model import BlackboxRNN

__all__ = [
    "BlackboxConfig",
    "BlackboxRNN",
    "GPEISettings",
    "GPFamily",
    "MinimizeResult",
    "gp_ei",
    "random_search",
    "sobol_search",
]
