"""The CNN search space of Zoph & Le (2016), §3.1 and §3.3, and its token encoding.

Per layer the controller emits one token per hyper-parameter (filter height, filter
width, number of filters, optionally the stride) and then, at the layer's anchor
point, one Bernoulli decision per earlier layer: does layer j feed layer i?

An architecture is stored as a flat sequence of integer actions: for each layer i
(0-based) its token choices (indices into the token's choices) followed by i skip
bits (j = 0 .. i-1). The same sequence is what the controller scores, what the search
log records, and what KerasTuner's hyper-parameters hold.
"""

import dataclasses
from typing import Sequence

import numpy as np

__all__ = ["Architecture", "LayerSpec", "SearchSpace"]


@dataclasses.dataclass(frozen=True)
class LayerSpec:
  """One convolution: kernel (height, width), filters, stride, and its inputs.

  `inputs` lists the earlier layers (0-based) whose outputs are concatenated in
  depth to form this layer's input; empty means the image (the paper's repair of a
  layer with no input).
  """
  filter_height: int
  filter_width: int
  num_filters: int
  stride: int = 1
  inputs: tuple = ()


@dataclasses.dataclass(frozen=True)
class Architecture:
  """A child network: its layers, in order."""
  layers: tuple

  def describe(self, rank: int = 2) -> str:
    """A one-line readable description, e.g.
    `L0 conv5x3/16 <- image | L1 conv1x7/32 <- L0 | L2 conv3x3/8 <- image,L1`."""
    parts = []
    for i, layer in enumerate(self.layers):
      kernel = (f"{layer.filter_width}" if rank == 1
                else f"{layer.filter_height}x{layer.filter_width}")
      stride = f" s{layer.stride}" if layer.stride != 1 else ""
      src = ",".join(f"L{j}" for j in layer.inputs) or "image"
      parts.append(f"L{i} conv{kernel}/{layer.num_filters}{stride} <- {src}")
    return " | ".join(parts)


@dataclasses.dataclass(frozen=True)
class SearchSpace:
  """The choices of each per-layer token.

  Args:
    filter_heights, filter_widths, num_filters, strides: the choices (paper:
      {1,3,5,7}, {1,3,5,7}, {24,36,48,64}, {1,2,3}). An empty tuple drops the token:
      1-D inputs have no height, and the paper's first CNN space fixes the stride at 1.
  """
  filter_heights: tuple = (1, 3, 5, 7)
  filter_widths: tuple = (1, 3, 5, 7)
  num_filters: tuple = (24, 36, 48, 64)
  strides: tuple = ()

  def __post_init__(self):
    if not self.filter_widths or not self.num_filters:
      raise ValueError("filter_widths and num_filters need at least one choice; "
                       f"received: {self.filter_widths}, {self.num_filters}")
    for name in ("filter_heights", "filter_widths", "num_filters", "strides"):
      values = getattr(self, name)
      if any(int(v) <= 0 for v in values):
        raise ValueError(f"{name} must be positive; received: {values}")

  @property
  def tokens(self) -> tuple:
    """(name, choices) of each per-layer token, in the order they are emitted."""
    out = []
    if self.filter_heights:
      out.append(("filter_height", tuple(self.filter_heights)))
    out.append(("filter_width", tuple(self.filter_widths)))
    out.append(("num_filters", tuple(self.num_filters)))
    if self.strides:
      out.append(("stride", tuple(self.strides)))
    return tuple(out)

  def num_actions(self, num_layers: int) -> int:
    """Length of the action sequence of a `num_layers`-layer architecture."""
    return num_layers * len(self.tokens) + num_layers * (num_layers - 1) // 2

  def decode(self, actions: Sequence[int], num_layers: int) -> Architecture:
    """The architecture of a flat action sequence (see the module docstring)."""
    actions = [int(a) for a in actions]
    if len(actions) < self.num_actions(num_layers):
      raise ValueError(f"A {num_layers}-layer architecture needs "
                       f"{self.num_actions(num_layers)} actions; received {len(actions)}")
    layers, pos = [], 0
    for i in range(num_layers):
      values = {}
      for name, choices in self.tokens:
        if not 0 <= actions[pos] < len(choices):
          raise ValueError(f"action {pos} ({name} of layer {i}) must be in "
                           f"[0, {len(choices)}); received: {actions[pos]}")
        values[name] = choices[actions[pos]]
        pos += 1
      inputs = tuple(j for j in range(i) if actions[pos + j])
      pos += i
      layers.append(LayerSpec(filter_height=values.get("filter_height", 1),
                              filter_width=values["filter_width"],
                              num_filters=values["num_filters"],
                              stride=values.get("stride", 1), inputs=inputs))
    return Architecture(tuple(layers))

  def encode(self, arch: Architecture) -> list:
    """The action sequence of `arch` (inverse of `decode`)."""
    actions = []
    for i, layer in enumerate(arch.layers):
      values = {"filter_height": layer.filter_height, "filter_width": layer.filter_width,
                "num_filters": layer.num_filters, "stride": layer.stride}
      for name, choices in self.tokens:
        if values[name] not in choices:
          raise ValueError(f"layer {i}: {name}={values[name]} is not one of {choices}")
        actions.append(choices.index(values[name]))
      actions.extend(int(j in layer.inputs) for j in range(i))
    return actions

  def sample_random(self, rng: np.random.Generator, num_layers: int,
                    skip_probability: float = 0.5) -> list:
    """Random search's proposal: every token uniform, every skip bit Bernoulli."""
    actions = []
    for i in range(num_layers):
      actions.extend(int(rng.integers(len(c))) for _, c in self.tokens)
      actions.extend(int(rng.random() < skip_probability) for _ in range(i))
    return actions
