"""A TensorFlow 2 / Keras 3 zoo of meta-learners ("learning to learn").

    import zoo
    zoo.list_models("l2l_lstm.*")
    opt_net = zoo.create("l2l_lstm.quadratic10")      # pretrained, verified weights
    print(zoo.model_card("l2l_lstm.quadratic10"))

Importing `zoo` is cheap: the method packages are imported (and so registered) the
first time a name is looked up.
"""

from zoo.api import ModelCard
from zoo.api import create
from zoo.api import get_config
from zoo.api import model_card
from zoo.checkpoints import CheckpointError
from zoo.checkpoints import CheckpointStore
from zoo.configs import ConfigError
from zoo.registry import ModelSpec
from zoo.registry import UnknownModelError
from zoo.registry import get_spec
from zoo.registry import list_models
from zoo.registry import register

__all__ = [
    "CheckpointError",
    "CheckpointStore",
    "ConfigError",
    "ModelCard",
    "ModelSpec",
    "UnknownModelError",
    "create",
    "get_config",
    "get_spec",
    "list_models",
    "model_card",
    "register",
]
