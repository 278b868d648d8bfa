"""Configuration of Li & Malik's policy optimizer and its policy-search training."""

import dataclasses

from models import optimizees

__all__ = ["PolicyConfig"]


@dataclasses.dataclass(frozen=True)
class PolicyConfig:
  """Policy (§3.3), training (PPO after an imitation warm start) and evaluation.

  Training: `imitation_steps` steps of regression onto a teacher's steps (heavy-ball
  momentum, mu in `imitation_momenta` and the learning rate tuned on training tasks)
  along the teacher's own trajectories (the
  supervised half of guided policy search, with a hand-designed controller as the
  teacher), then `train_steps` PPO iterations, each on `batch_tasks` fresh training
  tasks of `family` run for `horizon` steps with Gaussian exploration. The cost of a
  step is the objective after it divided by the task's initial objective (capped at
  `cost_cap`); the advantage of a step is its cost-to-go relative to that of the
  noise-free policy on the same task, normalised.
  """
  family: str = "logistic"
  # Policy.
  history: int = 25
  hidden_units: int = 50
  init_log_std: float = -2.0
  min_log_std: float = -5.0
  # Imitation warm start.
  imitation_steps: int = 200
  imitation_tasks: int = 256
  imitation_batch: int = 32
  imitation_momenta: tuple[float, ...] = (0.5, 0.7, 0.9, 0.95, 0.99)
  imitation_learning_rate: float = 3e-3
  # PPO.
  horizon: int = 100
  batch_tasks: int = 64
  train_steps: int = 100
  learning_rate: float = 2e-4
  ppo_epochs: int = 4
  num_minibatches: int = 2
  clip_ratio: float = 0.2
  discount: float = 1.0
  cost: str = "objective"
  reference_steps: int = 500
  cost_cap: float = 10.0
  validate_every: int = 20
  num_validation_tasks: int = 128
  checkpoint_every: int = 20
  log_every: int = 5
  # Evaluation.
  eval_steps: int = 100
  num_test_tasks: int = 100

  def __post_init__(self):
    for name in ("history", "hidden_units", "horizon", "batch_tasks", "train_steps",
                 "ppo_epochs", "num_minibatches", "imitation_tasks", "imitation_batch", "validate_every", "num_validation_tasks",
                 "checkpoint_every", "log_every", "eval_steps", "num_test_tasks",
                 "reference_steps"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    for name in ("imitation_steps",):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0; received: {getattr(self, name)}")
    for name in ("learning_rate", "imitation_learning_rate", "clip_ratio",
                 "cost_cap"):
      if not getattr(self, name) > 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if not 0 < self.discount <= 1:
      raise ValueError(f"discount must be in (0, 1]; received: {self.discount}")
    if not self.imitation_momenta or not all(0 <= m < 1 for m in self.imitation_momenta):
      raise ValueError(f"imitation_momenta must be a non-empty tuple of values in [0, 1); "
                       f"received: {self.imitation_momenta}")
    if self.batch_tasks % self.num_minibatches:
      raise ValueError(f"batch_tasks ({self.batch_tasks}) must be a multiple of "
                       f"num_minibatches ({self.num_minibatches})")
    if self.imitation_tasks % self.imitation_batch:
      raise ValueError(f"imitation_tasks ({self.imitation_tasks}) must be a multiple of "
                       f"imitation_batch ({self.imitation_batch})")
    if self.cost not in ("objective", "log_suboptimality"):
      raise ValueError(f"cost must be 'objective' or 'log_suboptimality'; received: "
                       f"{self.cost!r}")
    if self.cost == "log_suboptimality" and not self.imitation_steps:
      raise ValueError("cost='log_suboptimality' needs the imitation teacher "
                       "(imitation_steps > 0) for its reference minimum")
    if self.family not in optimizees.FAMILIES:
      raise ValueError(f"unknown problem family {self.family!r}; valid: "
                       f"{sorted(optimizees.FAMILIES)}")
