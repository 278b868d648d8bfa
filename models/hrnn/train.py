"""Meta-training of the hierarchical RNN on a mixture of problem families.

Wichrowska et al. (2017), §4 and the authors' code, scaled down:
- training step k takes a fresh meta-batch from family `train_families[k % n]`;
- the tasks are optimized for a heavy-tailed number of unrolls,
  1 + min(floor(Exp(mean_extra_unrolls)), max_unrolls - 1), of `unroll_length` steps
  (drawn from the step index, so a resumed run draws the same);
- after each unroll the meta-parameters take a step on the log-loss-ratio objective,
  the mean over the unroll's steps of log(f(theta_t) / f(theta_0)), where theta_0 is
  the task's starting point and f the full, noise-free objective; the per-step ratio
  is clipped to [1e-5, 1e3] (see `_log_ratio`), non-finite meta-gradients are zeroed
  and the rest clipped by global norm;
- optimizee gradients are held constant (no second derivatives), except with the
  lookahead (§3.4): the gradient at the attended point theta + a is differentiated
  through the offset a (theta held constant), a Hessian-vector product, or the
  attention would get no meta-gradient.

The step is data-parallel over the meta-batch under `tf.distribute`, as for the LSTM
optimizer (`models.l2l_lstm.train`).
"""

import math

import keras
import numpy as np
import tensorflow as tf

from models import optimizees
from models.classic_optimizers import runner
from models.hrnn import optimizer as optimizer_lib
from zoo import distribute
from zoo import training

__all__ = ["make_optimize_fn", "make_train_step", "num_unrolls", "optimize",
           "smoke_loss", "train", "unroll"]

_MAX_LOG_RATIO = math.log(1e3)
_MIN_LOG_RATIO = math.log(1e-5)


def num_unrolls(config, seed: int, step: int) -> int:
  """The heavy-tailed number of unrolls of training step `step`."""
  rng = np.random.default_rng([seed, step, 7])
  extra = int(rng.exponential(config.mean_extra_unrolls))
  return 1 + min(extra, config.max_unrolls - 1)


def _log_ratio(f, f0):
  """log(f / f0), clipped to [log 1e-5, log 1e3]: a diverging task costs a bounded
  amount, and a task already 1e5 times below its start (a separable classification
  problem can approach 0 without end) stops pulling the meta-gradient its way."""
  return tf.clip_by_value(tf.math.log((f + 1e-12) / (f0 + 1e-12)), _MIN_LOG_RATIO,
                          _MAX_LOG_RATIO)


def _gradients(family, task, params, state, step):
  """Optimizee gradients for the update: at theta (held constant), or with the
  lookahead at theta + a, differentiable through a."""
  if "lookahead" not in state:
    _, grads = family.loss_and_grads(task, params, step)
    return [tf.stop_gradient(g) for g in grads]
  at = [tf.stop_gradient(p) + a for p, a in zip(params, state["lookahead"])]
  _, grads = family.loss_and_grads(task, at, step)
  return grads


def unroll(family, update, task, params, state, f0, start_step, length: int):
  """`length` steps of the learned optimizer; returns (per-task mean log-loss ratio
  over the steps `[B]`, final params, final state)."""
  total = tf.zeros_like(f0)
  for i in tf.range(length):
    grads = _gradients(family, task, params, state, start_step + i)
    updates, state = update(grads, state)
    params = [p + u for p, u in zip(params, updates)]
    total += _log_ratio(family.eval_loss(task, params), f0)
  return total / length, params, state


def _finite(grads):
  return [tf.where(tf.math.is_finite(g), g, tf.zeros_like(g)) for g in grads]


def make_train_step(net, meta_optimizer, family, config, strategy, seed: int = 0):
  """`step(global_step, num_unrolls) -> metrics` for one family: a fresh meta-batch
  optimized for `num_unrolls` unrolls, with a meta-update after each.

  Each unroll is one compiled call under `strategy.run`; the optimizee parameters and
  optimizer state pass from call to call as per-replica values. (A synchronising
  meta-update inside a `tf.while_loop` over a variable number of unrolls is not
  supported by `MirroredStrategy`.)
  """
  init, update = optimizer_lib.hrnn_update_fns(net, seed=(seed, 0))
  global_batch = config.meta_batch_size
  variables = net.trainable_variables

  def meta_update(task, params, state, f0, unroll_index):
    """One unroll and one meta-step. `state=None` starts the optimizer inside the
    tape, so its learned initial states get gradients from the first unroll."""
    with tf.GradientTape() as tape:
      if state is None:
        state = init(params)
      per_task, params, state = unroll(family, update, task, params, state, f0,
                                       unroll_index * config.unroll_length,
                                       config.unroll_length)
      loss = tf.nn.compute_average_loss(per_task, global_batch_size=global_batch)
    grads = tape.gradient(loss, variables)
    grads = _finite([tf.zeros_like(v) if g is None else g
                     for g, v in zip(grads, variables)])
    grads, _ = tf.clip_by_global_norm(grads, config.meta_grad_clip)
    meta_optimizer.apply_gradients(zip(grads, variables))
    final = tf.nn.compute_average_loss(_log_ratio(family.eval_loss(task, params), f0),
                                       global_batch_size=global_batch)
    carry = (task, [tf.stop_gradient(p) for p in params],
             tf.nest.map_structure(tf.stop_gradient, state), f0)
    return loss, final, carry

  def first_replica(global_step):
    seeds = family.seeds("train", tf.cast(global_step, tf.int32) * global_batch,
                         global_batch)
    task, params = family.sample(distribute.replica_slice(seeds, global_batch))
    return meta_update(task, params, None, family.eval_loss(task, params), 0)

  def next_replica(carry, unroll_index):
    task, params, state, f0 = carry
    return meta_update(task, params, state, f0, unroll_index)

  sum_ = tf.distribute.ReduceOp.SUM

  @tf.function
  def first(global_step):
    loss, final, carry = strategy.run(first_replica, args=(global_step,))
    return strategy.reduce(sum_, loss, None), strategy.reduce(sum_, final, None), carry

  @tf.function
  def following(carry, unroll_index):
    loss, final, carry = strategy.run(next_replica, args=(carry, unroll_index))
    return strategy.reduce(sum_, loss, None), strategy.reduce(sum_, final, None), carry

  def step(global_step, unrolls: int):
    total, final, carry = first(global_step)
    for u in range(1, int(unrolls)):
      loss, final, carry = following(carry, tf.constant(u))
      total += loss
    return {"meta_loss": total / int(unrolls), "final_log_ratio": final}

  step.traces = lambda: (first.experimental_get_tracing_count()
                         + following.experimental_get_tracing_count())
  return step


def make_optimize_fn(net, family, steps: int, record_every: int = 1, seed=(0, 0)):
  init, update = optimizer_lib.hrnn_update_fns(net, seed=seed)
  return runner.make_optimize_fn(init, update, family, steps, record_every,
                                 net.lookahead_point if net.use_lookahead else None)


def optimize(net, family, seeds, steps: int, record_every: int = 1):
  """Eval losses `[steps // record_every + 1, B]` of the HRNN on the tasks of `seeds`
  (the compiled function is cached on `net`)."""
  cache = net.__dict__.setdefault("_zoo_optimize_fns", {})
  key = (family, steps, record_every)
  if key not in cache:
    cache[key] = make_optimize_fn(net, family, steps, record_every)
  return cache[key](seeds)


def smoke_loss(net, config):
  """A 3-step log-loss-ratio on two tasks of the first training family."""
  family = optimizees.get_family(config.train_families[0])
  task, params = family.sample(family.seeds("train", 0, 2))
  init, update = optimizer_lib.hrnn_update_fns(net)
  per_task, _, _ = unroll(family, update, task, params, init(params),
                          family.eval_loss(task, params), 0, 3)
  return tf.reduce_mean(per_task)


def train(net, config, context: training.TrainContext) -> dict:
  """Meta-trains `net` (built in `context.strategy`'s scope) into `context.model_dir`,
  keeping the weights with the best validation objective: the mean over training
  families of the mean log(f(theta_T) / f(theta_0)) after `eval_steps` steps."""
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  families = [optimizees.get_family(n, horizon=config.max_train_horizon)
              for n in config.train_families]
  with strategy.scope():
    meta_optimizer = keras.optimizers.Adam(config.meta_learning_rate)
    meta_optimizer.build(net.trainable_variables)
  step_fns = [make_train_step(net, meta_optimizer, f, config, strategy, context.seed)
              for f in families]

  def step_fn(global_step):
    k = int(global_step)
    unrolls = num_unrolls(config, context.seed, k)
    metrics = step_fns[k % len(families)](global_step, unrolls)
    return dict(metrics, unrolls=float(unrolls))

  eval_families = [f.with_horizon(config.eval_steps) for f in families]
  runs = [make_optimize_fn(net, f, config.eval_steps, config.eval_steps)
          for f in eval_families]
  val_seeds = [f.seeds("validation", 0, config.num_validation_tasks)
               for f in eval_families]

  def validate(step):
    del step
    per_family = {}
    for name, run, seeds in zip(config.train_families, runs, val_seeds):
      losses = run(seeds)
      ratio = np.log((losses[-1] + 1e-12) / (losses[0] + 1e-12))
      per_family[f"log_ratio_{name}"] = float(np.mean(np.where(
          np.isfinite(ratio), np.clip(ratio, _MIN_LOG_RATIO, _MAX_LOG_RATIO),
          _MAX_LOG_RATIO)))
    return np.mean(list(per_family.values())), per_family


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"net": net, "meta_optimizer": meta_optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=net,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "best_validation_objective": result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
