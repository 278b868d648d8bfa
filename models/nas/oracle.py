"""The NAS controller as a KerasTuner `Oracle`.

KerasTuner splits a search into an oracle (proposes hyper-parameter values for each
trial, learns from their scores) and tuners that build and train the models. With
`ControllerOracle` the proposals are architectures sampled from the controller
(Zoph & Le 2016, §3.1) and the scores train it with REINFORCE (§3.2): every
`children_per_step` finished trials make one update. It runs wherever a KerasTuner
oracle runs, including the distributed chief / worker mode (`KERASTUNER_TUNER_ID`,
`KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`), where the chief holds the oracle
and the workers train children; `distributed_tuner` runs one chief and its workers.

    oracle = ControllerOracle(config, objective="val_accuracy", max_trials=40)
    tuner = keras_tuner.Tuner(oracle=oracle, hypermodel=make_hypermodel(config), ...)
    tuner.search(x, y, validation_data=(x_val, y_val), epochs=8)

Each trial's values are the flat action sequence (`a0`, `a1`, ...) and `num_layers`;
`architecture_of(values)` decodes them and `make_hypermodel` builds the child.
The reward is the objective's score raised to `config.reward_power` (the paper's
accuracy cubed); a trial that fails counts as reward 0.
"""

import os

import keras
import keras_tuner
import numpy as np
import tensorflow as tf

from models.nas import child as child_lib
from models.nas import model as model_lib
from models.nas import search as search_lib

__all__ = ["ControllerOracle", "architecture_of", "make_hypermodel"]


def architecture_of(config, values: dict):
  """The `Architecture` of a trial's hyper-parameter values."""
  depth = int(values["num_layers"])
  n = config.space().num_actions(depth)
  return config.space().decode([int(values[f"a{i}"]) for i in range(n)], depth)


def make_hypermodel(config, input_shape, num_classes: int = 10, learning_rate=None):
  """`build(hp) -> compiled keras.Model` of the trial's architecture."""

  def build(hp):
    arch = architecture_of(config, hp.values)
    model = child_lib.build_child(arch, input_shape, num_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate
                                                  or config.child_learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model

  return build


class ControllerOracle(keras_tuner.Oracle):
  """A KerasTuner oracle whose proposals come from the NAS controller.

  Args:
    config: a `NASConfig` (search space, depth schedule, REINFORCE settings).
    controller: a `Controller` (default: a fresh one for `config`).
    seed: seeds the sampling stream (trial k of the oracle uses (seed, k)).
    objective, max_trials, ...: as for `keras_tuner.Oracle`; the objective must be
      an accuracy-like score in [0, 1] to be maximised.
  """

  def __init__(self, config, controller=None, seed: int = 0,
               objective="val_accuracy", max_trials: int = 20, **kwargs):
    super().__init__(objective=objective, max_trials=max_trials, seed=seed, **kwargs)
    self.config = config
    self.controller = controller or model_lib.build_from_config(config)
    self.optimizer = keras.optimizers.Adam(config.learning_rate)
    self.optimizer.build(self.controller.trainable_variables)
    self._update = search_lib.make_reinforce_step(
        self.controller, self.optimizer, config, tf.distribute.get_strategy())
    self.baseline = None
    self.sampled = 0
    self.pending = {}  # trial_id -> actions, until the trial ends.
    self.finished = []  # (actions, reward) waiting for a full batch.
    self.updates = 0
    self._queue = []
    space = config.space()
    for i in range(space.num_actions(config.max_layers)):
      self.hyperparameters.Int(f"a{i}", 0, max(len(c) for _, c in space.tokens) - 1)
    self.hyperparameters.Int("num_layers", 1, config.max_layers)

  def populate_space(self, trial_id):
    """The next architecture: a fresh batch of `children_per_step` is sampled from
    the controller whenever the previous one is used up."""
    if self.max_trials and self.sampled >= self.max_trials:
      return {"status": keras_tuner.engine.trial.TrialStatus.STOPPED, "values": None}
    depth = self.config.depth_at(self.sampled)
    if not self._queue or self._queue[0][1] != depth:
      m = self.config.children_per_step
      actions, _, _ = self.controller.sample(
          m, depth, seed=[int(self.seed or 0), self.sampled])
      self._queue = [(list(map(int, row)), depth) for row in actions.numpy()]
    actions, depth = self._queue.pop(0)
    self.sampled += 1
    self.pending[trial_id] = actions
    values = {hp.name: hp.default for hp in self.hyperparameters.space}
    values.update({f"a{i}": a for i, a in enumerate(actions)}, num_layers=depth)
    return {"status": keras_tuner.engine.trial.TrialStatus.RUNNING, "values": values}

  @keras_tuner.synchronized
  def end_trial(self, trial):
    """Scores the trial (the base class), then feeds its reward to REINFORCE.

    A trial sent back for a retry (status INVALID) waits for its final result; a
    FAILED one counts as reward 0.
    """
    super().end_trial(trial)
    trial = self.trials[trial.trial_id]  # The oracle's copy, with its score.
    status = keras_tuner.engine.trial.TrialStatus
    if trial.status not in (status.COMPLETED, status.FAILED):
      return
    actions = self.pending.pop(trial.trial_id, None)
    if actions is None:
      return
    score = trial.score if trial.status == status.COMPLETED else 0.0
    reward = float(max(score or 0.0, 0.0)) ** self.config.reward_power
    self.finished.append((actions, reward))
    self._maybe_update()
    self.save()

  def _maybe_update(self):
    """One REINFORCE step per `children_per_step` finished children of one depth."""
    m = self.config.children_per_step
    while len(self.finished) >= m:
      batch, self.finished = self.finished[:m], self.finished[m:]
      by_len = {}
      for actions, reward in batch:
        by_len.setdefault(len(actions), []).append((actions, reward))
      for group in by_len.values():
        if len(group) != m:  # A batch spanning a depth change: pad by repeating.
          group = (group * m)[:m]
        rewards = np.array([r for _, r in group])
        if self.baseline is None:
          self.baseline = float(rewards.mean())
        self._update(tf.constant([a for a, _ in group], tf.int32),
                     tf.constant(rewards - self.baseline, tf.float32))
        self.baseline = (self.config.baseline_decay * self.baseline
                         + (1 - self.config.baseline_decay) * float(rewards.mean()))
        self.updates += 1

  def _controller_path(self):
    return os.path.join(self._project_dir, "controller.weights.h5")

  def save(self):
    """The oracle's state (base class) and the controller's weights beside it."""
    super().save()
    if (getattr(self, "controller", None) is not None
        and getattr(self, "_directory", None)):
      path = self._controller_path()
      self.controller.save_weights(path + ".tmp.weights.h5")
      os.replace(path + ".tmp.weights.h5", path)

  def reload(self):
    """Restores the oracle and, if saved, the controller's weights (the Adam moments
    of the controller start afresh)."""
    super().reload()
    if os.path.exists(self._controller_path()):
      self.controller.load_weights(self._controller_path())

  def get_state(self):
    state = super().get_state()
    state.update(sampled=self.sampled, baseline=self.baseline, updates=self.updates,
                 finished=self.finished, pending=self.pending)
    return state

  def set_state(self, state):
    super().set_state(state)
    self.sampled = state.get("sampled", 0)
    self.baseline = state.get("baseline")
    self.updates = state.get("updates", 0)
    self.finished = [tuple(x) for x in state.get("finished", [])]
    self.pending = dict(state.get("pending", {}))
