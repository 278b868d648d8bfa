"""Configs of the static hyper-convnet and of the character language models."""

import dataclasses
from typing import Optional

__all__ = ["CharLMConfig", "HyperConvConfig"]

DATASETS = ("digits", "mnist")
CELLS = ("hyperlstm", "lstm")


def _positive(config, names):
  for name in names:
    value = getattr(config, name)
    if value <= 0:
      raise ValueError(f"{name} must be positive; received: {name}={value}")


@dataclasses.dataclass(frozen=True)
class HyperConvConfig:
  """A convnet whose later convolution kernels a static hypernetwork generates (§3.1).

  Architecture: `channels[j]` filters of `kernel_size` x `kernel_size` in layer j
  (ReLU, then 2x2 max-pooling where `pool_after[j]`), then a dense softmax layer. The
  first `plain_layers` convolutions are ordinary; with `hyper=True` the others get
  their kernels from one shared `KernelGenerator` with basic kernels of
  `basic_in` x `basic_out` channels, embeddings of `embedding_size` (N_z) and hidden
  size `hidden_size` (d; 0 = N_z, the paper's choice). `hyper=False` is the plain
  convnet of the same shape (the baseline).

  Training: Adam at `learning_rate` on minibatches of `batch_size` (an epoch is a
  seeded permutation of the train split), `train_steps` steps; the weights with the
  best validation accuracy are kept. `baseline_learning_rate` is the plain convnet's.

  Evaluation: both convnets are trained `num_seeds` times (seeds 3s..3s+2 for
  `--seed=s`) and compared on the test split. Learning rates come from
  `tuning_grid` on the validation split (see `evaluate_static.tune`).
  """
  dataset: str = "digits"
  # Architecture.
  channels: tuple[int, ...] = (16, 32, 32)
  kernel_size: int = 3
  pool_after: tuple[int, ...] = (0, 1, 1)
  plain_layers: int = 1
  batch_norm: bool = False
  hyper: bool = True
  basic_in: int = 16
  basic_out: int = 16
  embedding_size: int = 4
  hidden_size: int = 0
  # Training.
  batch_size: int = 64
  max_shift: int = 0  # Training images shifted by up to this many pixels.
  learning_rate: float = 3e-3
  train_steps: int = 1500
  validate_every: int = 100
  checkpoint_every: int = 500
  log_every: int = 100
  # Baseline and evaluation.
  baseline_learning_rate: float = 3e-3
  tuning_grid: tuple[float, ...] = (1e-3, 3e-3, 1e-2)
  num_seeds: int = 3
  claim_max_accuracy_drop: Optional[float] = None  # In points, vs the plain convnet.
  claim_min_kernel_param_ratio: Optional[float] = None

  def __post_init__(self):
    if self.dataset not in DATASETS:
      raise ValueError(f"dataset must be one of {DATASETS}; received: "
                       f"dataset={self.dataset!r}")
    if not self.channels or any(c <= 0 for c in self.channels):
      raise ValueError(f"channels must be positive; received: channels={self.channels}")
    if len(self.pool_after) != len(self.channels):
      raise ValueError(f"pool_after needs one entry per layer of channels "
                       f"({len(self.channels)}); received: pool_after={self.pool_after}")
    if any(p not in (0, 1) for p in self.pool_after):
      raise ValueError(f"pool_after entries must be 0 or 1; received: "
                       f"pool_after={self.pool_after}")
    if not 0 <= self.plain_layers <= len(self.channels):
      raise ValueError(f"plain_layers must be in [0, {len(self.channels)}]; received: "
                       f"plain_layers={self.plain_layers}")
    _positive(self, ("kernel_size", "basic_in", "basic_out", "embedding_size",
                     "batch_size", "learning_rate", "train_steps", "validate_every",
                     "checkpoint_every", "log_every", "baseline_learning_rate",
                     "num_seeds"))
    if self.max_shift < 0:
      raise ValueError(f"max_shift must be >= 0; received: max_shift={self.max_shift}")
    if self.hidden_size < 0:
      raise ValueError(f"hidden_size must be >= 0; received: "
                       f"hidden_size={self.hidden_size}")
    if self.hyper:
      previous = self.image_shape[-1] if self.plain_layers == 0 else \
          self.channels[self.plain_layers - 1]
      for j in range(self.plain_layers, len(self.channels)):
        if previous % self.basic_in or self.channels[j] % self.basic_out:
          raise ValueError(
              f"hyper layer {j} maps {previous} to {self.channels[j]} channels, not "
              f"multiples of the basic kernel's basic_in={self.basic_in} and "
              f"basic_out={self.basic_out}")
        previous = self.channels[j]
    if not self.tuning_grid or any(lr <= 0 for lr in self.tuning_grid):
      raise ValueError(f"tuning_grid must hold positive learning rates; received: "
                       f"tuning_grid={self.tuning_grid}")

  @property
  def image_shape(self) -> tuple:
    return (8, 8, 1) if self.dataset == "digits" else (28, 28, 1)

  @property
  def num_classes(self) -> int:
    return 10


@dataclasses.dataclass(frozen=True)
class CharLMConfig:
  """A character-level language model: embedding, one recurrent layer, softmax.

  Architecture: `cell` is "hyperlstm" (`HyperLSTMCell`: `units` = N, `hyper_units` =
  N_hat, `embedding_size` = N_z, `hyper_scale_init` = the initial d) or "lstm"
  (`LayerNormLSTMCell`); `layer_norm` normalises both; `recurrent_dropout` drops the
  candidate. Inputs are embedded in `embedding_dim` dimensions.

  Training (the paper's recipe, §4.4 and appendix A.2.1, at our scale): Adam at
  `learning_rate`, gradients clipped to global norm `grad_clip`, minibatches of
  `batch_size` windows of `seq_length` + 1 characters drawn at seeded random
  positions of the train split, zero initial state. `train_steps` is set per variant
  so that every model of a comparison trains for the same wall time
  (`train_budget_s` / the measured seconds per step, see `registration.py`).

  Evaluation: bits per character over the whole validation and test splits, read as
  `eval_streams` contiguous streams with the state carried across chunks of
  `eval_chunk` characters. `compare_with` names the registered models to compare
  against, `claim_below` those whose validation bits per character this model must
  beat.
  """
  cell: str = "hyperlstm"
  units: int = 256
  hyper_units: int = 64
  embedding_size: int = 4
  layer_norm: bool = False
  recurrent_dropout: float = 0.1
  hyper_scale_init: float = 0.1
  embedding_dim: int = 64
  # Training.
  batch_size: int = 128
  seq_length: int = 100
  learning_rate: float = 4e-3  # Picked on validation from {2e-3, 4e-3}, see LM_DEVIATIONS.
  grad_clip: float = 1.0
  train_steps: int = 1000
  train_budget_s: float = 0.0  # Documentation only: the budget train_steps came from.
  validate_every: int = 100
  checkpoint_every: int = 100
  log_every: int = 20
  # Evaluation and sampling.
  eval_streams: int = 32
  eval_chunk: int = 128
  compare_with: tuple[str, ...] = ()
  claim_below: tuple[str, ...] = ()
  sample_length: int = 300
  sample_temperature: float = 0.8
  sample_prime: str = "The "

  def __post_init__(self):
    if self.cell not in CELLS:
      raise ValueError(f"cell must be one of {CELLS}; received: cell={self.cell!r}")
    _positive(self, ("units", "hyper_units", "embedding_size", "embedding_dim",
                     "batch_size", "seq_length", "learning_rate", "grad_clip",
                     "train_steps", "validate_every", "checkpoint_every", "log_every",
                     "eval_streams", "eval_chunk", "sample_length",
                     "sample_temperature", "hyper_scale_init"))
    if not 0.0 <= self.recurrent_dropout < 1.0:
      raise ValueError(f"recurrent_dropout must be in [0, 1); received: "
                       f"recurrent_dropout={self.recurrent_dropout}")
    unknown = sorted(set(self.claim_below) - set(self.compare_with))
    if unknown:
      raise ValueError(f"claim_below names models missing from compare_with: {unknown}")
