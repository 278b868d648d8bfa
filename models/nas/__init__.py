"""Neural Architecture Search with reinforcement learning (Zoph & Le 2016).

Layers / models: `Controller` (the controller RNN with anchor points),
`build_child` (a sampled architecture as a Keras model).
Search: `search.train` (REINFORCE against random search, resumable),
`ControllerOracle` (the controller as a KerasTuner oracle).
Config: `NASConfig` and the registered variants in `registration.py`.
"""

from models.nas.child import build_child
from models.nas.config import NASConfig
from models.nas.controller import Controller
from models.nas.search_space import Architecture
from models.nas.search_space import LayerSpec
from models.nas.search_space import SearchSpace

__all__ = ["Architecture", "Controller", "LayerSpec", "NASConfig", "SearchSpace",
           "build_child"]
