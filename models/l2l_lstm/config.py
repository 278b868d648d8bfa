"""Config of the coordinatewise LSTM optimizer and its meta-training."""

import dataclasses
from typing import Optional

from models import optimizees

__all__ = ["L2LConfig"]


@dataclasses.dataclass(frozen=True)
class L2LConfig:
  """Andrychowicz et al. (2016) with the authors' code defaults unless noted.

  Architecture: `hidden_sizes`, `preprocess`, `preprocess_k`, `output_scale`.
  Problem: `problem` (a family of `models.optimizees`) and its size fields.
  Meta-training: truncated BPTT of `unroll_length` steps over an
  `optimization_steps`-step run (one training step = one such run of a fresh
  meta-batch, i.e. optimization_steps / unroll_length meta-updates).
  Evaluation: claims checked against the tuned baselines (None = report only).
  """
  # Architecture.
  hidden_sizes: tuple[int, ...] = (20, 20)
  preprocess: str = "log_and_sign"  # or "none"
  preprocess_k: float = 5.0
  output_scale: float = 0.1
  # Problem family.
  problem: str = "quadratic"  # A family preset of models.optimizees.FAMILIES.
  dim: int = 10  # quadratic
  mlp_hidden: int = 20  # digits_mlp
  mlp_activation: str = "sigmoid"  # digits_mlp
  mlp_batch_size: int = 128  # digits_mlp
  # Meta-training.
  optimization_steps: int = 100
  unroll_length: int = 20
  meta_batch_size: int = 128
  meta_learning_rate: float = 1e-3
  # "constant", or "cosine": decays to meta_learning_rate / 100 over train_steps.
  meta_lr_schedule: str = "constant"
  meta_grad_clip: Optional[float] = None
  second_derivatives: bool = False
  # The meta-objective is sum_t [f(theta_t) + meta_loss_log_weight * log f(theta_t)];
  # 0 is the paper's. The log term rewards relative progress on functions whose loss
  # is already small, which the plain sum ignores.
  meta_loss_log_weight: float = 0.0
  train_steps: int = 2000
  validate_every: int = 100
  num_validation_tasks: int = 100
  checkpoint_every: int = 50
  log_every: int = 10
  # Evaluation.
  num_test_tasks: int = 100
  claim_max_ratio_vs_adam: Optional[float] = None
  claim_min_win_rate_vs_adam: Optional[float] = None

  def validate(self):
    if self.preprocess not in ("log_and_sign", "none"):
      raise ValueError(f"preprocess must be 'log_and_sign' or 'none'; received: "
                       f"{self.preprocess!r}")
    if self.meta_lr_schedule not in ("constant", "cosine"):
      raise ValueError(f"meta_lr_schedule must be 'constant' or 'cosine'; received: "
                       f"{self.meta_lr_schedule!r}")
    if self.meta_loss_log_weight < 0:
      raise ValueError(f"meta_loss_log_weight must be >= 0; received: "
                       f"{self.meta_loss_log_weight}")
    if self.problem not in optimizees.FAMILIES:
      raise ValueError(f"problem must be one of {sorted(optimizees.FAMILIES)}; "
                       f"received: {self.problem!r}")
    if not self.hidden_sizes or any(h <= 0 for h in self.hidden_sizes):
      raise ValueError(f"hidden_sizes must be positive; received: {self.hidden_sizes}")
    if self.unroll_length <= 0 or self.optimization_steps % self.unroll_length:
      raise ValueError(
          f"optimization_steps ({self.optimization_steps}) must be a positive multiple "
          f"of unroll_length ({self.unroll_length})")
    for name in ("meta_batch_size", "train_steps", "validate_every",
                 "num_validation_tasks", "checkpoint_every", "log_every",
                 "num_test_tasks", "dim"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.meta_learning_rate <= 0:
      raise ValueError(f"meta_learning_rate must be positive; received: "
                       f"{self.meta_learning_rate}")

  def __post_init__(self):
    self.validate()

  def family(self):
    """The optimizee family this config trains and evaluates on."""
    if self.problem == "quadratic":
      return optimizees.Quadratic(dim=self.dim)
    if self.problem == "digits_mlp":
      return optimizees.DigitsMLP(hidden=self.mlp_hidden,
                                  activation=self.mlp_activation,
                                  batch_size=self.mlp_batch_size,
                                  horizon=self.optimization_steps)
    return optimizees.get_family(self.problem)
