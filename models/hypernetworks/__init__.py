"""HyperNetworks (Ha, Dai & Le 2016): static hyper-convolutions and the HyperLSTM.

Layers: `KernelGenerator` and `HyperConv2D` (static hypernetwork, §3.1),
`HyperLSTMCell` and `LayerNormLSTMCell` (for `keras.layers.RNN`, §3.2).
Models: `ConvNet` (plain or hyper), `CharLM` (character language model).
Configs: `HyperConvConfig`, `CharLMConfig`; the registered variants are in
`registration.py`.
"""

from models.hypernetworks.cells import HyperLSTMCell
from models.hypernetworks.cells import LayerNormLSTMCell
from models.hypernetworks.config import CharLMConfig
from models.hypernetworks.config import HyperConvConfig
from models.hypernetworks.convnet import ConvNet
from models.hypernetworks.hyperconv import HyperConv2D
from models.hypernetworks.hyperconv import KernelGenerator
from models.hypernetworks.lm import CharLM

__all__ = [
    "CharLM",
    "CharLMConfig",
    "ConvNet",
    "HyperConv2D",
    "HyperConvConfig",
    "HyperLSTMCell",
    "KernelGenerator",
    "LayerNormLSTMCell",
]
