"""Runs an optimizer over a batch of tasks in one compiled loop."""

import functools

import tensorflow as tf

__all__ = ["make_optimize_fn", "run_rule", "run_updates"]


def run_updates(family, task, params, init_fn, update_fn, steps: int,
                record_every: int = 1, point_fn=None):
  """Optimizes a task batch for `steps` steps; returns eval losses `[R, B]`.

  Args:
    family: the task family (gives `loss_and_grads` and `eval_loss`).
    task, params: a task batch and its initial parameters (`[B, ...]` each).
    init_fn: `init(params) -> state`.
    update_fn: `update(grads, state) -> (updates, state)`.
    steps: optimization steps.
    record_every: record the eval loss every this many steps (and at step 0).
    point_fn: `point_fn(params, state) -> params` where the gradient is taken (an
      optimizer's lookahead); None: at the parameters.

  Returns:
    Eval losses at steps 0, record_every, ..., steps: `[steps // record_every + 1, B]`.
    Non-finite losses stay as they are (the caller decides what divergence means).
  """
  if steps % record_every:
    raise ValueError(f"steps ({steps}) must be a multiple of record_every "
                     f"({record_every})")
  state = init_fn(params)
  record = tf.TensorArray(tf.float32, size=steps // record_every + 1)
  record = record.write(0, family.eval_loss(task, params))
  for step in tf.range(steps):
    at = params if point_fn is None else point_fn(params, state)
    _, grads = family.loss_and_grads(task, at, step)
    updates, state = update_fn(grads, state)
    params = [p + u for p, u in zip(params, updates)]
    if (step + 1) % record_every == 0:
      record = record.write((step + 1) // record_every, family.eval_loss(task, params))
  return record.stack()


def make_optimize_fn(init_fn, update_fn, family, steps: int, record_every: int = 1,
                     point_fn=None):
  """A compiled `fn(seeds) -> eval losses [steps // record_every + 1, B]` (NumPy) of
  the optimizer `(init_fn, update_fn)` on the tasks of `seeds` (e.g. a learned
  optimizer's pure functions)."""

  @tf.function(reduce_retracing=True)
  def run(seeds):
    task, params = family.sample(seeds)
    return run_updates(family, task, params, init_fn, update_fn, steps, record_every,
                       point_fn)

  return lambda seeds: run(tf.convert_to_tensor(seeds, tf.int32)).numpy()


@functools.lru_cache(maxsize=64)
def _compiled_run(family, rule, steps: int, record_every: int):
  """One compiled function per (family, rule, steps): grids and task counts of any
  size reuse it without retracing."""

  @tf.function(reduce_retracing=True)
  def run(seeds, lrs):
    num_tasks = tf.shape(seeds)[0]
    num_lr = tf.shape(lrs)[0]
    task, params = family.sample(seeds)
    tile = lambda t: tf.repeat(t, num_lr, axis=0)  # [B*L], task-major.
    task_l = tf.nest.map_structure(tile, task)
    params_l = [tile(p) for p in params]
    lr_l = tf.tile(lrs, [num_tasks])
    losses = run_updates(family, task_l, params_l, rule.init,
                         lambda g, s: rule.update(g, s, lr_l), steps, record_every)
    return tf.transpose(tf.reshape(losses, [-1, num_tasks, num_lr]), [0, 2, 1])

  return run


def run_rule(family, rule, seeds, learning_rates, steps: int, record_every: int = 1):
  """Runs `rule` with every learning rate on every task of `seeds`.

  Args:
    family: task family.
    rule: a `Rule`.
    seeds: task seeds `[B, 2]`.
    learning_rates: `[L]` learning rates.
    steps, record_every: as in `run_updates`.

  Returns:
    Eval losses `[R, L, B]` (R recorded steps, L learning rates, B tasks).
  """
  run = _compiled_run(family, rule, steps, record_every)
  return run(tf.convert_to_tensor(seeds, tf.int32),
             tf.constant(learning_rates, tf.float32)).numpy()
