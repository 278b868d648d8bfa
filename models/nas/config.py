"""Config of the NAS controller, its search and its evaluation."""

import dataclasses

from models.nas import child as child_lib
from models.nas import search_space as space_lib

__all__ = ["DATASETS", "NASConfig"]

DATASETS = ("mnist1d", "digits", "cifar10")


@dataclasses.dataclass(frozen=True)
class NASConfig:
  """Zoph & Le (2016) at CPU scale; paper values in the comments.

  Search space: the token choices (`filter_heights` empty for 1-D signals; `strides`
  empty fixes the stride at 1, the paper's first CNN space).
  Controller: `controller_units`, `controller_layers` (paper: 2 x 35).
  Depth schedule (§4.1): `initial_layers`, then `layers_increment` more every
  `grow_every` children of an arm, up to `max_layers` (paper: 6, +2 every 1,600).
  Search: one training step samples `children_per_step` architectures from the
  controller and as many at random, trains all of them, and applies one REINFORCE
  update; `train_steps` steps give train_steps * children_per_step children per arm.
  """
  dataset: str = "mnist1d"
  # Search space (paper: {1,3,5,7}, {1,3,5,7}, {24,36,48,64}, stride {1,2,3}).
  filter_heights: tuple[int, ...] = ()
  filter_widths: tuple[int, ...] = (1, 3, 5, 7)
  num_filters: tuple[int, ...] = (4, 8, 16, 32)
  strides: tuple[int, ...] = ()
  # Controller.
  controller_units: int = 35
  controller_layers: int = 2
  # Depth schedule.
  initial_layers: int = 3
  layers_increment: int = 1
  grow_every: int = 60
  max_layers: int = 4
  # REINFORCE (§3.2).
  children_per_step: int = 4
  train_steps: int = 30
  learning_rate: float = 0.05  # Paper: 0.0006 over 12,800 children.
  baseline_decay: float = 0.8
  entropy_weight: float = 1e-3
  random_skip_probability: float = 0.5
  # Children.
  child_epochs: int = 8
  child_batch_size: int = 64
  child_learning_rate: float = 5e-3
  reward_epochs: int = 3
  reward_power: float = 3.0
  parallel_children: int = 1
  record_capacity: int = 256
  # Evaluation: the top architectures of each arm retrained on train, scored on test.
  retrain_top_k: int = 3
  retrain_seeds: int = 3
  retrain_epochs: int = 20
  claim_min_improvement: float = 0.05  # Reward points (reward in [0, 1]).

  def __post_init__(self):
    if self.dataset not in DATASETS:
      raise ValueError(f"dataset must be one of {DATASETS}; received: {self.dataset!r}")
    for name in ("controller_units", "controller_layers", "initial_layers",
                 "grow_every", "max_layers", "children_per_step", "train_steps",
                 "parallel_children", "record_capacity", "retrain_top_k",
                 "retrain_seeds", "retrain_epochs"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.layers_increment < 0:
      raise ValueError(f"layers_increment must be >= 0; received: {self.layers_increment}")
    if self.initial_layers > self.max_layers:
      raise ValueError(f"initial_layers ({self.initial_layers}) must be <= max_layers "
                       f"({self.max_layers})")
    if not 0.0 <= self.baseline_decay < 1.0:
      raise ValueError(f"baseline_decay must be in [0, 1); received: {self.baseline_decay}")
    if self.learning_rate <= 0 or self.entropy_weight < 0:
      raise ValueError(f"learning_rate must be positive and entropy_weight >= 0; "
                       f"received: {self.learning_rate}, {self.entropy_weight}")
    if not 0.0 < self.random_skip_probability < 1.0:
      raise ValueError(f"random_skip_probability must be in (0, 1); received: "
                       f"{self.random_skip_probability}")
    if self.dataset == "mnist1d" and self.filter_heights:
      raise ValueError(f"mnist1d signals are 1-D: filter_heights must be empty; "
                       f"received: {self.filter_heights}")
    self.space()  # Checks the choices.
    self.child_training()

  def space(self) -> space_lib.SearchSpace:
    return space_lib.SearchSpace(filter_heights=self.filter_heights,
                                 filter_widths=self.filter_widths,
                                 num_filters=self.num_filters, strides=self.strides)

  def child_training(self, epochs=None) -> child_lib.ChildTraining:
    return child_lib.ChildTraining(
        epochs=epochs or self.child_epochs, batch_size=self.child_batch_size,
        learning_rate=self.child_learning_rate, reward_epochs=self.reward_epochs,
        reward_power=self.reward_power)

  def depth_at(self, child_index: int) -> int:
    """Layers of an arm's `child_index`-th child under the growing-depth schedule."""
    grown = self.initial_layers + self.layers_increment * (child_index // self.grow_every)
    return min(self.max_layers, grown)
