"""Config of Neural Optimizer Search: controller, PPO, child runs, held-out test."""

import dataclasses
from typing import Optional

from models.optimizer_search import children

__all__ = ["SearchConfig"]


@dataclasses.dataclass(frozen=True)
class SearchConfig:
  """Bello et al. (2017) at CPU scale (see the registration's deviations).

  Controller: S = `num_controllers` GRU controllers (one per search seed) writing
  rules of `num_units` units. Search: each training step samples `samples_per_step`
  rules per controller (and as many uniformly random rules for the random-search
  baseline), scores them with child runs and takes `ppo_epochs` PPO steps (§3.2).
  Child: an MLP `child_sizes` on the digits trained `child_steps` steps with each of
  `child_learning_rates`; reward = best validation accuracy. Held-out: the best
  rules, PowerSign and AddSign against tuned baselines on `heldout_sizes`.
  """
  # Controller.
  num_controllers: int = 3
  num_units: int = 2
  hidden: int = 32
  embedding: int = 16
  # Search (PPO, §3.2).
  samples_per_step: int = 10
  train_steps: int = 50
  learning_rate: float = 0.005
  ppo_epochs: int = 4
  ppo_clip: float = 0.2
  entropy_weight: float = 0.01
  baseline_decay: float = 0.8
  num_workers: int = 2
  # Child runs (the reward).
  child_sizes: tuple[int, ...] = (64, 32, 10)
  child_activation: str = "relu"
  child_batch_size: int = 32
  child_steps: int = 100
  child_learning_rates: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0)
  child_tasks: int = 1
  # Loop.
  validate_every: int = 10
  checkpoint_every: int = 5
  log_every: int = 1
  # Evaluation: held-out problem and claims.
  heldout_sizes: tuple[int, ...] = (64, 64, 64, 10)
  heldout_activation: str = "tanh"
  heldout_batch_size: int = 32
  heldout_steps: int = 300
  num_top_rules: int = 3
  num_rescore_tasks: int = 4
  num_test_tasks: int = 20
  num_validation_tasks: int = 5
  # Claims: in how many of the S seeds each must hold (None: not asserted).
  claim_min_seeds_improved: Optional[int] = None
  claim_min_seeds_beat_random: Optional[int] = None

  def __post_init__(self):
    for name in ("num_controllers", "num_units", "hidden", "embedding",
                 "samples_per_step", "train_steps", "ppo_epochs", "num_workers",
                 "child_batch_size", "child_steps", "child_tasks", "validate_every",
                 "checkpoint_every", "log_every", "heldout_batch_size", "heldout_steps",
                 "num_top_rules", "num_rescore_tasks", "num_test_tasks",
                 "num_validation_tasks"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be positive; received: {self.learning_rate}")
    if not 0 < self.ppo_clip < 1:
      raise ValueError(f"ppo_clip must be in (0, 1); received: {self.ppo_clip}")
    if not 0 <= self.baseline_decay < 1:
      raise ValueError(f"baseline_decay must be in [0, 1); received: "
                       f"{self.baseline_decay}")
    if self.entropy_weight < 0:
      raise ValueError(f"entropy_weight must be >= 0; received: {self.entropy_weight}")
    if not self.child_learning_rates or any(lr <= 0 for lr in self.child_learning_rates):
      raise ValueError(f"child_learning_rates must be positive; received: "
                       f"{self.child_learning_rates}")
    for name in ("claim_min_seeds_improved", "claim_min_seeds_beat_random"):
      value = getattr(self, name)
      if value is not None and not 0 < value <= self.num_controllers:
        raise ValueError(f"{name} must be in [1, num_controllers={self.num_controllers}]"
                         f"; received: {value}")
    self.child_family()  # Checks sizes and activations.
    self.heldout_family("validation")

  def child_family(self):
    """The child problem of the reward (validation split accuracy)."""
    return children.DigitsClassifier(
        sizes=tuple(self.child_sizes), activation=self.child_activation,
        batch_size=self.child_batch_size, horizon=self.child_steps,
        eval_split="validation")

  def heldout_family(self, split: str):
    """The held-out problem, scored on the digits' `split` ("validation" / "test")."""
    return children.DigitsClassifier(
        sizes=tuple(self.heldout_sizes), activation=self.heldout_activation,
        batch_size=self.heldout_batch_size, horizon=self.heldout_steps,
        eval_split=split)
