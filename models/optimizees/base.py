"""The task-family interface and the seeding that keeps splits disjoint.

A task family is a distribution over optimization problems. All methods are batched
over tasks: a task batch is a nest of tensors with a leading batch axis, and the
optimizee parameters are a list of tensors `[B, ...]`, one per parameter tensor of a
single problem.

Seeds: task i of split s gets the stateless seed `(SPLITS[s] * 1_000_003 + salt, i)`.
Different splits (and families, through `salt`) therefore never draw the same task,
and task i is the same in a batch of 10 as in a batch of 1,000.
"""

import dataclasses

import numpy as np
import tensorflow as tf

__all__ = ["SPLITS", "TaskFamily", "task_seeds"]

SPLITS = {"train": 1, "validation": 2, "test": 3}
# Evaluations with --seed=s draw test tasks s * TEST_BLOCK, s * TEST_BLOCK + 1, ...
TEST_BLOCK = 1_000_000
MAX_TASK_INDEX = 2**31 - 1


def task_seeds(split: str, start, count: int, salt: int) -> tf.Tensor:
  """Stateless seeds `[count, 2]` (int32) of tasks `start .. start+count-1` of `split`."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {sorted(SPLITS)}; received: {split!r}")
  if isinstance(start, int) and not 0 <= start <= MAX_TASK_INDEX - count + 1:
    # Task indices are int32: past the range they would wrap into other blocks.
    raise ValueError(
        f"tasks {start}..{start + count - 1} of split {split!r} are out of range (task "
        f"indices are 0..{MAX_TASK_INDEX}; test blocks of {TEST_BLOCK:,} tasks allow "
        f"--seed up to {MAX_TASK_INDEX // TEST_BLOCK - 1})")
  index = tf.cast(start, tf.int32) + tf.range(count, dtype=tf.int32)
  code = tf.fill([count], tf.constant(SPLITS[split] * 1_000_003 + salt, tf.int32))
  return tf.stack([code, index], axis=1)


class TaskFamily:
  """A distribution over optimization problems, batched over tasks.

  Subclasses (frozen dataclasses) implement `sample_one(seed) -> (task, params)` for
  one task and `objective(task, params) -> [B]` for a batch; stochastic families also
  `stochastic_objective(task, params, step)` (e.g. a minibatch loss).

  Families with a `noise_std` field get noisy gradients: the training loss at step t
  adds noise_std * <eps_t, theta> with eps_t ~ N(0, I) drawn per task (for
  `horizon` steps, then reused cyclically), so the gradient is the true one plus
  N(0, noise_std^2) noise and the loss stays unbiased. `eval_loss` is noise-free.
  """

  name = "base"
  salt = 0

  def sample_one(self, seed):
    raise NotImplementedError

  def objective(self, task, params):
    """The full, deterministic objective `[B]` (what evaluations report)."""
    raise NotImplementedError

  def stochastic_objective(self, task, params, step):
    """The objective seen at optimization step `step` (default: the full one)."""
    del step
    return self.objective(task, params)

  @property
  def noisy(self) -> bool:
    return bool(getattr(self, "noise_std", 0.0))

  def with_horizon(self, horizon: int):
    """This family with per-task randomness (minibatches, noise) drawn for `horizon`
    steps, for optimizations longer than the default."""
    if not hasattr(self, "horizon"):
      return self
    return dataclasses.replace(self, horizon=horizon)

  def _sample_one_with_noise(self, seed):
    task, params = self.sample_one(seed)
    if self.noisy:
      size = sum(int(np.prod(p.shape)) for p in params)
      noise_seed = tf.random.experimental.stateless_fold_in(seed, 1_000_003)
      task = dict(task, grad_noise=tf.random.stateless_normal(
          [self.horizon, size], noise_seed))
    return task, params

  def sample(self, seeds):
    """(task batch, initial parameters `[B, ...]`) for seeds `[B, 2]`."""
    # Stateless random ops have no vectorised form, so tasks are drawn by `map_fn`;
    # this runs once per batch of tasks, outside the optimization steps.
    outputs = tf.function(self._sample_one_with_noise, autograph=False
                          ).get_concrete_function(
                              tf.TensorSpec([2], tf.int32)).structured_outputs
    signature = tf.nest.map_structure(
        lambda t: tf.TensorSpec(t.shape, t.dtype), outputs)
    return tf.map_fn(self._sample_one_with_noise, seeds, fn_output_signature=signature,
                     parallel_iterations=32)

  def seeds(self, split: str, start, count: int) -> tf.Tensor:
    return task_seeds(split, start, count, self.salt)

  def loss(self, task, params, step):
    """Per-task training loss `[B]` at optimization step `step` (minibatch losses
    and gradient noise for stochastic families)."""
    loss = self.stochastic_objective(task, params, step)
    if self.noisy:
      flat = tf.concat([tf.reshape(p, [tf.shape(p)[0], -1]) for p in params], axis=1)
      eps = tf.gather(task["grad_noise"], tf.math.floormod(step, self.horizon), axis=1)
      loss += self.noise_std * tf.reduce_sum(eps * flat, axis=1)
    return loss

  def eval_loss(self, task, params):
    """Per-task loss `[B]` used for reporting: the full, noise-free objective."""
    return self.objective(task, params)

  def loss_and_grads(self, task, params, step):
    """(loss `[B]`, gradients of each task's loss w.r.t. its own parameters)."""
    with tf.GradientTape() as tape:
      tape.watch(params)
      loss = self.loss(task, params, step)
    # Tasks are independent, so d(sum of losses)/d(params) is each task's gradient.
    return loss, tape.gradient(loss, params)
