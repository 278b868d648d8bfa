"""Config of the hierarchical RNN optimizer and its meta-training."""

import dataclasses

from models import optimizees

__all__ = ["HRNNConfig"]


@dataclasses.dataclass(frozen=True)
class HRNNConfig:
  """Wichrowska et al. (2017), §3, with the authors' code defaults unless noted.

  Architecture: GRU sizes per level, `num_scales` gradient timescales, the initial
  log learning rate range, and the optional Nesterov-like lookahead.
  Meta-training: every training step takes a fresh meta-batch of one family of
  `train_families` (in turn) and optimizes it for a heavy-tailed number of unrolls
  (1 + Exp(mean_extra_unrolls), at most `max_unrolls`) of `unroll_length` steps,
  with a meta-update after each unroll on the log-loss-ratio objective.
  Evaluation: `eval_steps` steps on held-out tasks of every family in
  `eval_families`; the long-horizon check runs `long_horizon_factor` times the
  longest training horizon (max_unrolls * unroll_length).
  """
  # Architecture.
  param_units: int = 10
  tensor_units: int = 20
  global_units: int = 20
  num_scales: int = 4
  init_lr_min: float = 1e-6
  init_lr_max: float = 1e-2
  max_log_lr: float = 33.0
  use_lookahead: bool = False
  # Meta-training.
  train_families: tuple[str, ...] = ("quadratic", "rosenbrock", "logistic", "softmax2")
  unroll_length: int = 20
  max_unrolls: int = 10
  mean_extra_unrolls: float = 2.0
  meta_batch_size: int = 32
  meta_learning_rate: float = 3e-4
  meta_grad_clip: float = 1.0
  train_steps: int = 3000
  validate_every: int = 250
  num_validation_tasks: int = 64
  checkpoint_every: int = 50
  log_every: int = 20
  # Evaluation.
  eval_families: tuple[str, ...] = ("quadratic", "rosenbrock", "logistic", "softmax2",
                                    "robust_regression", "digits_mlp")
  eval_steps: int = 200
  num_test_tasks: int = 100
  long_horizon_factor: int = 10
  claim_min_families: int = 3

  def __post_init__(self):
    for name in ("param_units", "tensor_units", "global_units", "num_scales",
                 "unroll_length", "max_unrolls", "meta_batch_size", "train_steps",
                 "validate_every", "num_validation_tasks", "checkpoint_every",
                 "log_every", "eval_steps", "num_test_tasks", "long_horizon_factor"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if not 0 < self.init_lr_min <= self.init_lr_max:
      raise ValueError(f"need 0 < init_lr_min <= init_lr_max; received: "
                       f"{self.init_lr_min}, {self.init_lr_max}")
    for name in self.train_families + self.eval_families:
      if name not in optimizees.FAMILIES:
        raise ValueError(f"unknown problem family {name!r}; valid: "
                         f"{sorted(optimizees.FAMILIES)}")
    if not self.train_families:
      raise ValueError("train_families must not be empty")

  @property
  def max_train_horizon(self) -> int:
    return self.max_unrolls * self.unroll_length
