"""Configs of SNAIL / TCML few-shot classifiers (Mishra et al. 2017, §5.1)."""

import dataclasses
import re
from typing import Optional

__all__ = ["FewShotConfig", "parse_block"]

_BLOCK_RE = re.compile(r"^(a(\d+)x(\d+)|t(\d+))$")


def parse_block(text: str) -> tuple:
  """`"a64x32"` -> ("attention", 64, 32); `"t128"` -> ("tc", 128)."""
  m = _BLOCK_RE.match(text)
  if not m:
    raise ValueError(f"blocks items are 'a<K>x<V>' (attention) or 't<D>' (TC block); "
                     f"received: {text!r}")
  if m.group(2):
    return ("attention", int(m.group(2)), int(m.group(3)))
  return ("tc", int(m.group(4)))


@dataclasses.dataclass(frozen=True)
class FewShotConfig:
  """N-way K-shot classification with SNAIL over a conv embedding (§5.1).

  Architecture: `embedding_filters` per conv block of the four-block Omniglot
  embedding; `blocks`, the SNAIL stack after it (the paper's Omniglot stack is
  a64x32, t128, a256x128, t128, a512x256, then a 1x1 convolution to N);
  `attention=False` drops the attention blocks (TCML, the paper's first version).
  Data: `dataset` is "hershey_glyphs" (built offline) or any TFDS image
  classification data set with a `label` (e.g. "omniglot").
  Training: episodes with K drawn uniformly from `min_shots..max_shots` at each step;
  `queries_per_class` query images per class, each read at the last step of the
  sequence after the shuffled support set (one sequence per query).
  """
  way: int = 5
  min_shots: int = 1
  max_shots: int = 5
  image_size: int = 28
  embedding_filters: int = 64
  embedding_blocks: int = 4
  blocks: tuple[str, ...] = ("a64x32", "t128", "a256x128", "t128", "a512x256")
  attention: bool = True
  dilation_start: int = 1
  tie_key_query_init: bool = True
  # Data.
  dataset: str = "hershey_glyphs"
  train_split: str = "train"
  validation_split: str = "validation"
  test_split: str = "test"
  train_rotations: bool = True
  # Training.
  batch_episodes: int = 16
  queries_per_class: int = 1
  learning_rate: float = 5e-4
  # Not in the paper: an auxiliary prototypical loss on SNAIL's own embedding,
  # weight aux_protonet_weight * (1 - step / aux_protonet_steps) while positive.
  aux_protonet_weight: float = 0.0
  aux_protonet_steps: int = 0
  baseline_learning_rate: float = 1e-3
  # Both models' learning rates: "constant", or "cosine" (each decays to a tenth of
  # its value over the run's steps).
  lr_schedule: str = "constant"
  train_steps: int = 3000
  validate_every: int = 250
  num_validation_episodes: int = 300
  checkpoint_every: int = 100
  log_every: int = 25
  # Evaluation.
  num_test_episodes: int = 1000
  claim_min_margin: Optional[float] = None  # accuracy points above the baseline.

  def __post_init__(self):
    for name in ("way", "min_shots", "max_shots", "image_size", "embedding_filters",
                 "embedding_blocks", "batch_episodes", "queries_per_class",
                 "train_steps", "validate_every", "num_validation_episodes",
                 "checkpoint_every", "log_every", "num_test_episodes"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {name}="
                         f"{getattr(self, name)}")
    if self.way < 2:
      raise ValueError(f"way must be >= 2; received: way={self.way}")
    if self.num_validation_episodes < 2:
      # Half are 1-shot and half K-shot episodes.
      raise ValueError("num_validation_episodes must be >= 2; received: "
                       f"num_validation_episodes={self.num_validation_episodes}")
    if self.min_shots > self.max_shots:
      raise ValueError(f"min_shots ({self.min_shots}) must be <= max_shots "
                       f"({self.max_shots})")
    if not self.blocks:
      raise ValueError("blocks must name at least one block; received: ()")
    for b in self.blocks:
      parse_block(b)
    if self.image_size < 2 ** self.embedding_blocks:
      raise ValueError(f"image_size={self.image_size} is too small for "
                       f"{self.embedding_blocks} 2x2 max-pools")
    if self.dilation_start < 0:
      raise ValueError(f"dilation_start must be >= 0; received: {self.dilation_start}")
    if self.aux_protonet_weight < 0 or self.aux_protonet_steps < 0:
      raise ValueError(f"aux_protonet_weight and aux_protonet_steps must be >= 0; "
                       f"received: {self.aux_protonet_weight}, {self.aux_protonet_steps}")
    if self.lr_schedule not in ("constant", "cosine"):
      raise ValueError(f"lr_schedule must be 'constant' or 'cosine'; received: "
                       f"{self.lr_schedule!r}")
    for name in ("learning_rate", "baseline_learning_rate"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")

  @property
  def seq_len(self) -> int:
    """T = N * K_max + 1: the longest support set and the query (§5.1)."""
    return self.way * self.max_shots + 1

  def stack(self) -> list:
    """The parsed SNAIL stack (attention blocks left out when `attention` is off)."""
    parsed = [parse_block(b) for b in self.blocks]
    return [b for b in parsed if self.attention or b[0] == "tc"]
