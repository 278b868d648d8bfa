"""The search: PPO on the controllers, random search beside it, resumable.

Bello et al. (2017), §3.2: each step the controller samples rules, each rule's reward
is a child's validation accuracy after a short training run, and the controller is
updated with PPO (Schulman et al. 2017), the clipped surrogate

    L(theta) = -E[min(rho A, clip(rho, 1 - eps, 1 + eps) A)] - beta_H H(pi_theta),
    rho = pi_theta(rule) / pi_theta_old(rule),  A = R - b,

with b an exponential moving average of the rewards. The same number of uniformly
random rules is scored every step (the random-search baseline at an equal number of
child runs). The PPO update is data-parallel over the samples (`strategy.run`, the
loss scaled to the global batch). The step, the controllers, their optimizer, the
baselines and the record of every sample are in the `run_loop` checkpoint; the
reward cache is `search_cache.json` in the model folder.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import children
from models.optimizer_search import search
from zoo import distribute
from zoo import training

__all__ = ["child_runner", "make_ppo_step", "ppo_loss", "smoke_loss", "train"]

CACHE_FILE = "search_cache.json"


def ppo_loss(logp, entropy, old_logp, advantage, clip: float, entropy_weight: float):
  """Per-sample PPO loss `[...]`: -min(rho A, clip(rho) A) - entropy_weight * H."""
  ratio = tf.exp(logp - old_logp)
  surrogate = tf.minimum(ratio * advantage,
                         tf.clip_by_value(ratio, 1.0 - clip, 1.0 + clip) * advantage)
  return -surrogate - entropy_weight * entropy


def make_ppo_step(model, optimizer, config, strategy):
  """A compiled `step(tokens [S, K, T], advantage [S, K], old_logp [S, K]) -> loss`
  that takes `config.ppo_epochs` PPO steps, data-parallel over the K samples."""
  global_batch = config.num_controllers * config.samples_per_step
  variables = model.trainable_variables

  def replica_step(tokens, advantage, old_logp):
    # Samples first for the replica's slice, then back to controllers first.
    tokens, advantage, old_logp = [
        tf.transpose(x, [1, 0] + list(range(2, len(x.shape))))
        for x in distribute.replica_slice((tokens, advantage, old_logp),
                                          config.samples_per_step)]
    losses = []
    for _ in range(config.ppo_epochs):
      with tf.GradientTape() as tape:
        logp, entropy = model(tokens)
        per_sample = ppo_loss(logp, entropy, old_logp, advantage, config.ppo_clip,
                              config.entropy_weight)
        loss = tf.nn.compute_average_loss(tf.reshape(per_sample, [-1]),
                                          global_batch_size=global_batch)
      grads = tape.gradient(loss, variables)
      optimizer.apply_gradients(zip(grads, variables))
      losses.append(loss)
    return tf.add_n(losses) / config.ppo_epochs

  @tf.function
  def step(tokens, advantage, old_logp):
    args = [tf.transpose(x, [1, 0] + list(range(2, len(x.shape))))
            for x in (tokens, advantage, old_logp)]
    loss = strategy.run(replica_step, args=tuple(args))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)

  return step


def child_runner(config, split: str = "train", num_tasks=None):
  """The vectorised child runs of the reward (child tasks of `split`)."""
  family = config.child_family()
  seeds = family.seeds(split, 0, num_tasks or config.child_tasks)
  return children.ChildRunner(family, config.num_units, config.child_steps,
                              config.child_learning_rates, seeds)


def smoke_loss(model, config):
  """The PPO loss of a few sampled rules with made-up advantages (registry tests)."""
  tokens, old_logp = model.sample(2, tf.constant([0, 0]))
  logp, entropy = model(tokens)
  advantage = tf.constant([[1.0, -1.0]] * config.num_controllers)
  return tf.reduce_mean(ppo_loss(logp, entropy, tf.stop_gradient(old_logp), advantage,
                                 config.ppo_clip, config.entropy_weight))


def train(model, config, context: training.TrainContext) -> dict:
  """Runs the searches (controllers and random search) into `context.model_dir`."""
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  if total * config.samples_per_step > model.log_capacity:
    raise ValueError(f"train_steps={total} needs a record of {total} x "
                     f"{config.samples_per_step} samples; the model holds "
                     f"{model.log_capacity} (train_steps={config.train_steps} in its config)")
  k = config.samples_per_step
  with strategy.scope():
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
  ppo_step = make_ppo_step(model, optimizer, config, strategy)
  sample = tf.function(lambda seed: model.sample(k, seed))
  os.makedirs(context.model_dir, exist_ok=True)
  cache = search.RewardCache(os.path.join(context.model_dir, CACHE_FILE))
  scorer = search.Scorer(child_runner(config), config.num_units, cache, config.num_workers)
  validation = child_runner(config, "validation")

  def step_fn(step):
    step = int(step)
    seed = tf.constant([context.seed, step], tf.int32)
    tokens, old_logp = (x.numpy() for x in sample(seed))
    rng = np.random.default_rng([context.seed, step, 7])
    rand = search.random_tokens(rng, tokens.shape[:2], config.num_units)
    rewards, hits = scorer.score(np.concatenate([tokens, rand], axis=1))
    ours, theirs = rewards[:, :k], rewards[:, k:]
    if step == 0:
      model.baseline.assign(ours.mean(axis=1))
    baseline = model.baseline.numpy()
    loss = ppo_step(tf.constant(tokens), tf.constant(ours - baseline[:, None]),
                    tf.constant(old_logp))
    model.baseline.assign(config.baseline_decay * baseline
                          + (1 - config.baseline_decay) * ours.mean(axis=1))
    for var, values in ((model.log_tokens, tokens), (model.log_rewards, ours),
                        (model.random_tokens, rand), (model.random_rewards, theirs)):
      record = var.numpy()
      record[:, step * k:(step + 1) * k] = values
      var.assign(record)
    model.num_logged.assign(float((step + 1) * k))
    cache.save()
    return {"ppo_loss": float(loss), "reward": float(ours.mean()),
            "random_reward": float(theirs.mean()), "best_reward": float(ours.max()),
            "cache_hits": float(hits), "child_runs": float(scorer.child_runs)}

  def validate(step):
    del step
    rewards = validation.rewards(model.greedy().numpy())
    return -float(rewards.mean()), {"greedy_reward": float(rewards.mean())}

  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"controller": model, "optimizer": optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, strategy=strategy,
      log=context.log)
  scorer.close()
  return {
      "train_steps": result.final_step,
      "samples_per_controller": result.final_step * k,
      "distinct_rules_trained": len(cache.rewards),
      "best_validation_greedy_reward": (None if result.best_objective is None
                                        else -result.best_objective),
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
