"""Config of the RNN black-box optimizer, its GP training functions and evaluation."""

import dataclasses
from typing import Optional

from models.blackbox_rnn import gp

__all__ = ["BlackboxConfig", "LOSSES"]

# Chen et al. (2016), §2.1: the summed loss, observed improvement and expected
# improvement.
LOSSES = ("sum", "oi", "ei")


@dataclasses.dataclass(frozen=True)
class BlackboxConfig:
  """Chen et al. (2016) at CPU scale (see `registration.py` for the variants).

  Problem: minimise a function on the box [0, 1]^dim in `horizon` queries (a user's
  box is mapped onto it). Training functions are Gaussian-process samples with a
  kernel drawn from `kernels` and per-dimension length scales drawn log-uniformly
  from [length_scale_min, length_scale_max] (unit signal variance, zero mean).

  Architecture: an LSTM of `hidden_sizes` reading (x_{t-1}, y_{t-1}) and proposing
  x_t, with `memory_heads` content-based read heads over the query history
  (`model.py`).

  Meta-training: every training step samples `meta_batch_size` fresh GP functions,
  runs the RNN for `horizon` queries on each (the exact GP sample conditioned on the
  queries so far, `gp.ExactGPSampler`) and takes one Adam step on `loss`, by
  backpropagation through time over the whole horizon.

  Evaluation: `num_test_tasks` held-out GP functions (random Fourier features with
  `rff_features` features, so that every method queries the same function), against
  random search, Sobol and GP-EI tuned on `num_gp_ei_tuning_tasks` validation
  functions; `num_transfer_instances` instances of each test function.
  """
  # Problem.
  dim: int = 2
  horizon: int = 20
  kernels: tuple[str, ...] = ("rbf", "matern52")
  length_scale_min: float = 0.1
  length_scale_max: float = 0.4
  # Variance of the jitter added to the training GP's kernel matrix (a tiny
  # observation noise that keeps the sampler's Cholesky factor well conditioned).
  jitter: float = 1e-6
  rff_features: int = 1024
  # Architecture: LSTM layers, and read heads over the query history (0: none).
  hidden_sizes: tuple[int, ...] = (64, 64)
  memory_heads: int = 0
  memory_key_size: int = 16
  pointer: bool = False
  # Meta-training.
  loss: str = "oi"
  meta_batch_size: int = 128
  meta_learning_rate: float = 1e-3
  meta_lr_schedule: str = "cosine"  # or "constant"; cosine decays to 1/100.
  meta_grad_clip: Optional[float] = 1.0
  train_steps: int = 3000
  validate_every: int = 250
  num_validation_tasks: int = 100
  checkpoint_every: int = 100
  log_every: int = 25
  # Evaluation.
  num_test_tasks: int = 100
  num_gp_ei_tuning_tasks: int = 30
  num_transfer_instances: int = 20
  num_timing_functions: int = 5
  # GP-EI tuning grid: kernels and numbers of initial Sobol points (0: dim + 1).
  gp_ei_kernels: tuple[str, ...] = ("matern52", "rbf")
  gp_ei_initial_points: tuple[int, ...] = (1, 0)
  # Claims (None: reported without a claim).
  claim_max_regret_ratio_vs_gp_ei: Optional[float] = None
  claim_min_speedup_vs_gp_ei: Optional[float] = None

  def validate(self):
    if not 1 <= self.dim <= 6:
      raise ValueError(f"dim must be in 1..6; received: dim={self.dim}")
    if self.horizon < 2:
      raise ValueError(f"horizon must be >= 2; received: horizon={self.horizon}")
    if not self.kernels or any(k not in gp.KERNELS for k in self.kernels):
      raise ValueError(f"kernels must be a non-empty tuple of {sorted(gp.KERNELS)}; "
                       f"received: kernels={self.kernels}")
    if any(k not in gp.KERNELS for k in self.gp_ei_kernels) or not self.gp_ei_kernels:
      raise ValueError(f"gp_ei_kernels must be a non-empty tuple of "
                       f"{sorted(gp.KERNELS)}; received: {self.gp_ei_kernels}")
    if not 0 < self.length_scale_min <= self.length_scale_max:
      raise ValueError(
          f"need 0 < length_scale_min <= length_scale_max; received: "
          f"length_scale_min={self.length_scale_min}, "
          f"length_scale_max={self.length_scale_max}")
    if not 0 < self.jitter < 1:
      raise ValueError(f"jitter must be in (0, 1); received: jitter={self.jitter}")
    if self.loss not in LOSSES:
      raise ValueError(f"loss must be one of {LOSSES}; received: loss={self.loss!r}")
    if self.meta_lr_schedule not in ("constant", "cosine"):
      raise ValueError(f"meta_lr_schedule must be 'constant' or 'cosine'; received: "
                       f"{self.meta_lr_schedule!r}")
    if not self.hidden_sizes or any(h <= 0 for h in self.hidden_sizes):
      raise ValueError(f"hidden_sizes must be positive; received: {self.hidden_sizes}")
    if any(n < 0 or n >= self.horizon for n in self.gp_ei_initial_points) or (
        not self.gp_ei_initial_points):
      raise ValueError(
          f"gp_ei_initial_points must lie in 0..horizon-1 (0: dim + 1); received: "
          f"{self.gp_ei_initial_points}")
    if self.memory_heads < 0:
      raise ValueError(f"memory_heads must be >= 0; received: {self.memory_heads}")
    if self.pointer and not self.memory_heads:
      raise ValueError(f"pointer=True needs memory_heads > 0; received: "
                       f"memory_heads={self.memory_heads}")
    for name in ("memory_key_size", "rff_features", "meta_batch_size", "train_steps", "validate_every",
                 "num_validation_tasks", "checkpoint_every", "log_every",
                 "num_test_tasks", "num_gp_ei_tuning_tasks",
                 "num_transfer_instances", "num_timing_functions"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.meta_learning_rate <= 0:
      raise ValueError(f"meta_learning_rate must be positive; received: "
                       f"{self.meta_learning_rate}")
    if self.meta_grad_clip is not None and self.meta_grad_clip <= 0:
      raise ValueError(f"meta_grad_clip must be positive or None; received: "
                       f"{self.meta_grad_clip}")

  def __post_init__(self):
    self.validate()

  def family(self) -> "gp.GPFamily":
    """The distribution of GP functions this config trains and evaluates on."""
    return gp.GPFamily(dim=self.dim, kernels=self.kernels,
                       length_scale_min=self.length_scale_min,
                       length_scale_max=self.length_scale_max, jitter=self.jitter,
                       rff_features=self.rff_features)

  def initial_points(self, n: int) -> int:
    """GP-EI's initial design size for grid value `n` (0 means dim + 1)."""
    return n if n > 0 else min(self.dim + 1, self.horizon - 1)
