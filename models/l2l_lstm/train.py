"""Meta-training of the LSTM optimizer: truncated BPTT over a meta-batch of tasks.

Andrychowicz et al. (2016), §2 and the authors' `train.py`: each training step takes a
fresh meta-batch of functions and optimizes them for `optimization_steps` steps with
the LSTM optimizer, in unrolls of `unroll_length` steps. After each unroll the
meta-loss

    L(phi) = mean over tasks of sum_{t=1..T} f(theta_t)       (weights w_t = 1)

is differentiated through the unroll (the optimizee gradients are held constant:
`second_derivatives=False`, as in the paper) and Adam updates phi; the optimizee
parameters and the LSTM state carry over to the next unroll.

The step is data-parallel over the meta-batch: each replica computes the same task
seeds and keeps its slice (`zoo.distribute.replica_slice`), the per-task losses are
scaled by the global batch size, and the meta-optimizer sums the gradients over
replicas.
"""


import keras
import tensorflow as tf

from models.classic_optimizers import runner
from models.l2l_lstm import optimizer as optimizer_lib
from zoo import distribute
from zoo import training

__all__ = [
    "make_optimize_fn", "make_train_step", "optimize", "smoke_loss", "train", "unroll",
]


def _meta_term(loss, log_weight: float):
  """f(theta_t), plus log_weight * log f(theta_t) (0: the paper's objective)."""
  if log_weight:
    return loss + log_weight * tf.math.log(loss + 1e-12)
  return loss


def unroll(family, init_update, task, params, state, start_step, length: int,
           second_derivatives: bool, log_weight: float = 0.0):
  """Runs the learned optimizer for `length` steps; returns (per-task sum over
  t = 1..length of f(theta_t) + log_weight * log f(theta_t) `[B]`, final params,
  final state)."""
  _, update = init_update
  total = tf.zeros_like(family.loss(task, params, start_step))
  for i in tf.range(length):
    step = start_step + i
    loss, grads = family.loss_and_grads(task, params, step)
    if i > 0:  # f(theta_0) of this unroll does not depend on phi.
      total += _meta_term(loss, log_weight)
    if not second_derivatives:
      grads = [tf.stop_gradient(g) for g in grads]
    updates, state = update(grads, state)
    params = [p + u for p, u in zip(params, updates)]
  total += _meta_term(family.loss(task, params, start_step + length), log_weight)
  return total, params, state


def make_train_step(net, meta_optimizer, family, config, strategy):
  """A compiled `step(global_step) -> {"meta_loss", "final_loss"}` under `strategy`."""
  init_update = optimizer_lib.lstm_update_fns(net)
  global_batch = config.meta_batch_size
  num_unrolls = config.optimization_steps // config.unroll_length
  variables = net.trainable_variables

  def replica_step(global_step):
    seeds = family.seeds("train", tf.cast(global_step, tf.int32) * global_batch,
                         global_batch)
    task, params = family.sample(distribute.replica_slice(seeds, global_batch))
    params = [tf.stop_gradient(p) for p in params]
    state = init_update[0](params)
    meta_losses = []
    for u in range(num_unrolls):
      with tf.GradientTape() as tape:
        per_task, params, state = unroll(
            family, init_update, task, params, state, u * config.unroll_length,
            config.unroll_length, config.second_derivatives, config.meta_loss_log_weight)
        # Scaled to the global batch: summed over replicas it is the global mean.
        loss = tf.nn.compute_average_loss(per_task, global_batch_size=global_batch)
      grads = tape.gradient(loss, variables)
      if config.meta_grad_clip:
        grads, _ = tf.clip_by_global_norm(grads, config.meta_grad_clip)
      meta_optimizer.apply_gradients(zip(grads, variables))
      params = [tf.stop_gradient(p) for p in params]
      state = tf.nest.map_structure(tf.stop_gradient, state)
      meta_losses.append(loss)
    final = tf.nn.compute_average_loss(family.eval_loss(task, params),
                                       global_batch_size=global_batch)
    return tf.add_n(meta_losses) / num_unrolls, final

  @tf.function
  def step(global_step):
    meta_loss, final = strategy.run(replica_step, args=(global_step,))
    sum_ = tf.distribute.ReduceOp.SUM
    return {"meta_loss": strategy.reduce(sum_, meta_loss, axis=None),
            "final_loss": strategy.reduce(sum_, final, axis=None)}

  return step


def smoke_loss(net, config):
  """A one-unroll meta-loss on two small tasks (for the registry-driven tests)."""
  family = config.family()
  task, params = family.sample(family.seeds("train", 0, 2))
  state = optimizer_lib.lstm_update_fns(net)[0](params)
  per_task, _, _ = unroll(family, optimizer_lib.lstm_update_fns(net), task, params,
                          state, 0, 3, second_derivatives=False)
  return tf.reduce_mean(per_task)


def make_optimize_fn(net, family, steps: int, record_every: int = 1):
  """A compiled `fn(seeds) -> eval losses [steps // record_every + 1, B]` of the
  learned optimizer on the tasks of `seeds`."""
  init, update = optimizer_lib.lstm_update_fns(net)
  return runner.make_optimize_fn(init, update, family, steps, record_every)


def optimize(net, family, seeds, steps: int, record_every: int = 1):
  """Eval losses `[steps // record_every + 1, B]` of the learned optimizer on tasks.

  The compiled function is kept on `net`, so repeated evaluations do not retrace.
  """
  cache = net.__dict__.setdefault("_zoo_optimize_fns", {})
  key = (family, steps, record_every)
  if key not in cache:
    cache[key] = make_optimize_fn(net, family, steps, record_every)
  return cache[key](seeds)





def train(net, config, context: training.TrainContext) -> dict:
  """Meta-trains `net` (built in `context.strategy`'s scope) into `context.model_dir`.

  Keeps the weights with the lowest mean final loss on `num_validation_tasks`
  validation functions and leaves them in `net` at the end.
  """
  strategy = context.strategy
  family = config.family()
  total = context.train_steps or config.train_steps
  learning_rate = config.meta_learning_rate
  if config.meta_lr_schedule == "cosine":
    updates = total * (config.optimization_steps // config.unroll_length)
    learning_rate = keras.optimizers.schedules.CosineDecay(
        config.meta_learning_rate, decay_steps=updates, alpha=0.01)
  with strategy.scope():
    meta_optimizer = keras.optimizers.Adam(learning_rate)
    # Built inside the scope, before strategy.run (see DESIGN.md, distribution).
    meta_optimizer.build(net.trainable_variables)
  step_fn = make_train_step(net, meta_optimizer, family, config, strategy)
  val_seeds = family.seeds("validation", 0, config.num_validation_tasks)

  run_validation = make_optimize_fn(net, family, config.optimization_steps,
                                    record_every=config.optimization_steps)

  def validate(step):
    del step
    final = run_validation(val_seeds)[-1]
    return final.mean(), {"final_loss_median": float(sorted(final)[len(final) // 2])}


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"net": net, "meta_optimizer": meta_optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=net,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "meta_updates": result.final_step * (config.optimization_steps //
                                           config.unroll_length),
      "best_validation_final_loss": result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
