"""Meta-training of the RNN optimizer by backpropagation through time on GP samples.

Chen et al. (2016), §2.2: every training step draws a meta-batch of functions from
the GP prior, runs the RNN for the whole horizon on each (the samples conditioned on
the queries so far, `gp.ExactGPSampler`), and takes one Adam step on the mean
meta-loss (`rollout.meta_loss`: L_sum, L_OI or L_EI), differentiated through every
query, observation and state of the unroll.

The step is data-parallel over the meta-batch: every replica computes the same task
seeds and keeps its slice (`zoo.distribute.replica_slice`), the per-function losses
are scaled by the global batch size, and the meta-optimizer sums the gradients over
replicas (the sum is what gets clipped by its global norm). Validation runs the RNN
on held-out fixed functions (`tasks.gp_tasks`) and keeps the weights with the lowest
median regret after the horizon.
"""


import keras
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import rollout
from models.blackbox_rnn import tasks as tasks_lib
from zoo import distribute
from zoo import training

__all__ = ["BEST_WEIGHTS", "make_train_step", "propose_on_rff", "smoke_loss", "train"]

BEST_WEIGHTS = training.BEST_WEIGHTS


def _replica_loss(net, family, config, seeds):
  """Mean-scaled meta-loss and the mean best value of this replica's functions."""
  params = family.sample_params(seeds)
  eps = family.sample_eps(seeds, config.horizon)
  _, ys, mus, sigmas = rollout.rollout_exact_gp(net, family, params, eps,
                                                config.horizon)
  per_task = tf.cast(rollout.meta_loss(config.loss, ys, mus, sigmas), tf.float32)
  best = tf.cast(tf.reduce_min(ys, axis=1), tf.float32)
  return per_task, best


def make_train_step(net, meta_optimizer, family, config, strategy):
  """A compiled `step(global_step) -> {"meta_loss", "best_value"}` under `strategy`."""
  global_batch = config.meta_batch_size
  variables = net.trainable_variables

  def replica_step(global_step):
    seeds = family.seeds("train", tf.cast(global_step, tf.int32) * global_batch,
                         global_batch)
    local = distribute.replica_slice(seeds, global_batch)
    with tf.GradientTape() as tape:
      per_task, best = _replica_loss(net, family, config, local)
      # Scaled to the global batch: summed over replicas it is the global mean.
      loss = tf.nn.compute_average_loss(per_task, global_batch_size=global_batch)
    grads = tape.gradient(loss, variables)
    if config.meta_grad_clip:
      # Clip the global meta-gradient (the sum over replicas), not each replica's
      # part; each replica then passes 1/n of it, which the optimizer sums back.
      ctx = tf.distribute.get_replica_context()
      grads = ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)
      grads, _ = tf.clip_by_global_norm(grads, config.meta_grad_clip)
      grads = [g / float(ctx.num_replicas_in_sync) for g in grads]
    meta_optimizer.apply_gradients(zip(grads, variables))
    return loss, tf.nn.compute_average_loss(best, global_batch_size=global_batch)

  @tf.function
  def step(global_step):
    loss, best = strategy.run(replica_step, args=(global_step,))
    sum_ = tf.distribute.ReduceOp.SUM
    return {"meta_loss": strategy.reduce(sum_, loss, axis=None),
            "best_value": strategy.reduce(sum_, best, axis=None)}

  return step


def smoke_loss(net, config):
  """The meta-loss on two short GP rollouts (for the registry-driven tests)."""
  family = config.family()
  seeds = family.seeds("train", 0, 2)
  horizon = min(config.horizon, 4)
  _, ys, mus, sigmas = rollout.rollout_exact_gp(
      net, family, family.sample_params(seeds), family.sample_eps(seeds, horizon),
      horizon)
  return tf.reduce_mean(tf.cast(rollout.meta_loss(config.loss, ys, mus, sigmas),
                                tf.float32))


def propose_on_rff(net, rff, horizon: int):
  """(xs `[B, T, d]`, ys `[B, T]`) of the RNN on fixed RFF functions, compiled once
  per network and horizon."""
  cache = net.__dict__.setdefault("_zoo_rff_fns", {})
  if horizon not in cache:
    cache[horizon] = tf.function(lambda r: rollout.rollout_rff(net, r, horizon),
                                 reduce_retracing=True)
  xs, ys = cache[horizon](rff)
  return xs.numpy(), ys.numpy()



def train(net, config, context: training.TrainContext) -> dict:
  """Meta-trains `net` (built in `context.strategy`'s scope) into `context.model_dir`.

  Keeps the weights with the lowest median regret after `horizon` queries on
  `num_validation_tasks` validation functions and leaves them in `net` at the end.
  """
  strategy = context.strategy
  family = config.family()
  total = context.train_steps or config.train_steps
  learning_rate = config.meta_learning_rate
  if config.meta_lr_schedule == "cosine":
    learning_rate = keras.optimizers.schedules.CosineDecay(
        config.meta_learning_rate, decay_steps=total, alpha=0.01)
  with strategy.scope():
    meta_optimizer = keras.optimizers.Adam(learning_rate)
    # Built inside the scope, before strategy.run (see DESIGN.md, distribution).
    meta_optimizer.build(net.trainable_variables)
  step_fn = make_train_step(net, meta_optimizer, family, config, strategy)
  context.log(f"Preparing {config.num_validation_tasks} validation functions ...")
  val = tasks_lib.gp_tasks(family, "validation", 0, config.num_validation_tasks)

  def validate(step):
    del step
    _, ys = propose_on_rff(net, val.rff, config.horizon)
    regret = val.regret(ys)[:, -1]
    return float(np.median(regret)), {"regret_mean": float(regret.mean())}


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"net": net, "meta_optimizer": meta_optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=net,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "best_validation_median_regret": result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
