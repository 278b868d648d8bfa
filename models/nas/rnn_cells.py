"""The recurrent-cell search space of Zoph & Le (2016), §3.4, and the NAS cell.

A cell is a full binary tree over `base` leaves. Leaf i combines x_t W_i and
h_{t-1} U_i (+ b_i); every other node combines its two children. Each node has a
combination method in {add, elem_mult} and an activation in {identity, tanh,
sigmoid, relu}. Two more choices wire the memory: "cell inject" (the node whose
output is combined with c_{t-1}, with its own combination and activation) and "cell
index" (the node whose output becomes c_t). The root's output is h_t.

Nodes are numbered leaves first, level by level: with base 8, leaves 0-7, then
8 = (0, 1), 9 = (2, 3), 10 = (4, 5), 11 = (6, 7), 12 = (8, 9), 13 = (10, 11) and the
root 14 = (12, 13). The cell found by the search in the paper (Appendix A, Figure 8;
TF 1's `NASCell`) is `NAS_CELL` below, built by the same generator.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

__all__ = ["ACTIVATIONS", "COMBINATIONS", "NAS_CELL", "NASCell", "TreeCell",
           "TreeCellSpec", "tree_cell_step"]

COMBINATIONS = ("add", "elem_mult")
ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu")
_ACT = {"identity": tf.identity, "tanh": tf.tanh, "sigmoid": tf.sigmoid,
        "relu": tf.nn.relu}


def _combine(method, a, b):
  return a + b if method == "add" else a * b


@dataclasses.dataclass(frozen=True)
class TreeCellSpec:
  """One point of the recurrent-cell search space.

  Attributes:
    nodes: (combination, activation) of every node, leaves first (2 * base - 1).
    inject_node: the node whose output is combined with c_{t-1}.
    inject: (combination, activation) of that injection.
    cell_index: the node whose output (after the injection, if it is that node) is c_t.
  """
  nodes: tuple
  inject_node: int
  inject: tuple
  cell_index: int

  def __post_init__(self):
    n = len(self.nodes)
    base = (n + 1) // 2
    if n < 7 or base & (base - 1):
      raise ValueError(f"nodes must hold 2 * base - 1 entries with base a power of 2 "
                       f">= 4; received {n}")
    for i, (comb, act) in enumerate(tuple(self.nodes) + (tuple(self.inject),)):
      if comb not in COMBINATIONS or act not in ACTIVATIONS:
        raise ValueError(f"node {i}: combination must be in {COMBINATIONS} and "
                         f"activation in {ACTIVATIONS}; received {(comb, act)}")
    for name in ("inject_node", "cell_index"):
      if not base <= getattr(self, name) < n - 1:
        raise ValueError(f"{name} must be an inner node other than the root, in "
                         f"[{base}, {n - 1}); received: {getattr(self, name)}")

  @property
  def base(self) -> int:
    return (len(self.nodes) + 1) // 2

  def children(self, node: int) -> tuple:
    """The two children of inner node `node` (levels are numbered leaves first)."""
    start, size = 0, self.base
    while node >= start + size:
      start, size = start + size, size // 2
    if start == 0:
      raise ValueError(f"node {node} is a leaf")
    first = start - 2 * size + 2 * (node - start)
    return (first, first + 1)

  def describe(self) -> str:
    """e.g. `leaves [add/sigmoid, ...] | 8=elem_mult/tanh(0,1) ... | inject c at 8
    (add/tanh) | c_t = node 12`."""
    base = self.base
    leaves = ", ".join(f"{c}/{a}" for c, a in self.nodes[:base])
    inner = " ".join(f"{i}={c}/{a}{self.children(i)}".replace(" ", "")
                     for i, (c, a) in enumerate(self.nodes) if i >= base)
    return (f"leaves [{leaves}] | {inner} | inject c at {self.inject_node} "
            f"({self.inject[0]}/{self.inject[1]}) | c_t = node {self.cell_index}")

  @classmethod
  def token_sizes(cls, base: int = 8) -> tuple:
    """Choices of each token of the flat encoding (see `from_actions`)."""
    n = 2 * base - 1
    return (2, 4) * n + (base - 2, 2, 4, base - 2)

  @classmethod
  def from_actions(cls, actions, base: int = 8) -> "TreeCellSpec":
    """Decodes (comb, act) per node, then inject node, its (comb, act), cell index;
    the two node choices index the base - 2 inner nodes below the root."""
    n = 2 * base - 1
    a = [int(x) for x in actions]
    if len(a) != 2 * n + 4:
      raise ValueError(f"a base-{base} cell takes {2 * n + 4} actions; received {len(a)}")
    nodes = tuple((COMBINATIONS[a[2 * i]], ACTIVATIONS[a[2 * i + 1]]) for i in range(n))
    return cls(nodes=nodes, inject_node=base + a[2 * n],
               inject=(COMBINATIONS[a[2 * n + 1]], ACTIVATIONS[a[2 * n + 2]]),
               cell_index=base + a[2 * n + 3])

  @classmethod
  def random(cls, rng: np.random.Generator, base: int = 8) -> "TreeCellSpec":
    return cls.from_actions([rng.integers(k) for k in cls.token_sizes(base)], base)


NAS_CELL = TreeCellSpec(
    nodes=(("add", "sigmoid"), ("add", "relu"), ("add", "sigmoid"),
           ("elem_mult", "relu"), ("add", "tanh"), ("add", "sigmoid"),
           ("add", "tanh"), ("add", "sigmoid"),
           ("elem_mult", "tanh"), ("add", "tanh"), ("elem_mult", "tanh"),
           ("add", "sigmoid"),
           ("elem_mult", "identity"), ("add", "tanh"),
           ("elem_mult", "tanh")),
    inject_node=8, inject=("add", "tanh"), cell_index=12)


def tree_cell_step(spec: TreeCellSpec, x, h, c, w_x, w_h, b):
  """One step of the cell `spec`: returns (h_t, c_t).

  Args:
    x: `[B, input]`; h, c: `[B, units]`.
    w_x: `[input, base * units]` (the leaves' W_i side by side); w_h:
      `[units, base * units]` (U_i); b: `[base * units]`, added on the h side.
  """
  base = spec.base
  xs = tf.split(tf.matmul(x, w_x), base, axis=-1)
  hs = tf.split(tf.matmul(h, w_h) + b, base, axis=-1)
  out = []
  for i, (comb, act) in enumerate(spec.nodes):
    if i < base:
      value = _ACT[act](_combine(comb, xs[i], hs[i]))
    else:
      left, right = spec.children(i)
      value = _ACT[act](_combine(comb, out[left], out[right]))
    if i == spec.inject_node:  # Cell inject: c_{t-1} joins this node's output.
      value = _ACT[spec.inject[1]](_combine(spec.inject[0], value, c))
    out.append(value)
  return out[-1], out[spec.cell_index]


@keras.saving.register_keras_serializable(package="metazoo")
class TreeCell(keras.layers.Layer):
  """A Keras 3 RNN cell generated from a `TreeCellSpec`; use it in `keras.layers.RNN`.

      cell = TreeCell(64, TreeCellSpec.random(np.random.default_rng(0)))
      layer = keras.layers.RNN(cell, return_sequences=True)

  States are [h, c]; the output is h. The math is `tree_cell_step`.
  """

  def __init__(self, units: int, spec: TreeCellSpec = NAS_CELL, **kwargs):
    super().__init__(**kwargs)
    self.units = int(units)
    self.spec = spec
    self.state_size = [self.units, self.units]
    self.output_size = self.units

  def build(self, input_shape):
    k = self.spec.base * self.units
    self.w_x = self.add_weight(name="kernel", shape=(int(input_shape[-1]), k),
                               initializer="glorot_uniform")
    self.w_h = self.add_weight(name="recurrent_kernel", shape=(self.units, k),
                               initializer="orthogonal")
    self.b = self.add_weight(name="bias", shape=(k,), initializer="zeros")

  def call(self, inputs, states):
    h, c = states
    h, c = tree_cell_step(self.spec, inputs, h, c, self.w_x, self.w_h, self.b)
    return h, [h, c]

  def get_config(self):
    spec = dataclasses.asdict(self.spec)
    return dict(super().get_config(), units=self.units,
                spec={k: [list(v) for v in spec[k]] if k == "nodes" else spec[k]
                      for k in spec})

  @classmethod
  def from_config(cls, config):
    spec = config.pop("spec")
    spec = TreeCellSpec(nodes=tuple(tuple(n) for n in spec["nodes"]),
                        inject_node=spec["inject_node"], inject=tuple(spec["inject"]),
                        cell_index=spec["cell_index"])
    return cls(spec=spec, **config)


@keras.saving.register_keras_serializable(package="metazoo")
class NASCell(TreeCell):
  """The recurrent cell the paper's search found (Zoph & Le 2016, Figure 8), as a
  Keras 3 RNN cell; TF 1's `NASCell` without the optional projection."""

  def __init__(self, units: int, **kwargs):
    kwargs.pop("spec", None)
    super().__init__(units, spec=NAS_CELL, **kwargs)

  @classmethod
  def from_config(cls, config):
    config.pop("spec", None)
    return cls(**config)
