"""Meta-training of the recurrent agents: PPO (RL^2) and A2C (Wang et al.) over trials.

One training step (Duan et al. §2.2-2.3; Wang et al. §2):
1. Draw `batch_size` training tasks and run one whole trial on each with the current
   policy, in one compiled `tf.while_loop` (`rollout.rollout`); the hidden state
   starts at zero for each trial and is kept across its episodes.
2. Advantages by GAE (Schulman et al. 2016) over the whole trial, which RL^2 treats
   as one long episode (no cut at episode boundaries):
       delta_t = r_t + gamma V(h_{t+1}) - V(h_t),  A_t = sum_l (gamma lambda)^l delta_{t+l},
   normalised over the global batch; value targets R_t = A_t + V(h_t).
3. `ppo_epochs` gradient steps on the clipped surrogate (Schulman et al. 2017)
       L = -E[min(rho A, clip(rho, 1 - eps, 1 + eps) A)] + c_v E[(V - R)^2] / 2 - c_H H[pi],
   rho = pi(a|h) / pi_old(a|h), recomputing the whole trial through the recurrent
   network (`RecurrentActorCritic.unroll`). With one epoch rho = 1 and this is exactly
   the A2C gradient of Wang et al.; the entropy weight c_H decays linearly.

The step is data-parallel over tasks: every replica draws the same global batch from
the step's seed and keeps its slice (`zoo.distribute.replica_slice`); losses are scaled
to the global batch and advantage statistics are all-reduced, so a mirrored run takes
the same step as a single device.
"""

import keras
import tensorflow as tf

from models.meta_rl import baselines
from models.meta_rl import model as model_lib
from models.meta_rl import rollout as rollout_lib
from models.optimizees import base as optimizees_base
from zoo import distribute
from zoo import training

__all__ = ["gae", "make_train_step", "ppo_loss", "smoke_loss", "train",
           "validation_tasks"]


def gae(rewards, values, gamma: float, lam: float):
  """(advantages, returns) `[B, T]` by GAE over whole trials; V after the trial is 0."""
  next_values = tf.concat([values[:, 1:], tf.zeros_like(values[:, :1])], axis=1)
  deltas = rewards + gamma * next_values - values
  advantages = tf.transpose(tf.scan(
      lambda acc, d: d + gamma * lam * acc, tf.transpose(deltas),
      initializer=tf.zeros_like(deltas[:, 0]), reverse=True))
  return advantages, advantages + values


def ppo_loss(net, features, record, advantages, returns, config, entropy_coef,
             critic=None, policy_weight=None, net_returns=None):
  """Per-task loss `[B]` (mean over the trial's steps) and its parts.

  With a separate `critic` (`config.critic="counts"`) the value loss trains it on
  `returns` and, as before, the recurrent net's value head (whose estimates the
  advantages no longer use) on `net_returns`, the discounted rewards to go: dropping
  that term would change the shared recurrent layer's updates, and with them the
  policy's, and targets built from the critic's values would carry its errors into
  the recurrent layer. A `policy_weight` (0 or 1) scales the policy's terms (0 trains
  the value estimates alone).
  """
  logits, values = net.unroll(features)
  logp_all = tf.nn.log_softmax(logits)
  logp = tf.gather(logp_all, record["action"], batch_dims=2)
  ratio = tf.exp(logp - record["logp"])
  clipped = tf.clip_by_value(ratio, 1.0 - config.ppo_clip, 1.0 + config.ppo_clip)
  surrogate = tf.minimum(ratio * advantages, clipped * advantages)
  entropy = -tf.reduce_sum(tf.exp(logp_all) * logp_all, axis=-1)
  if critic is None:
    value_loss = 0.5 * tf.square(values - returns)
  else:
    value_loss = 0.5 * (tf.square(values - net_returns)
                        + tf.square(critic.values(record) - returns))
  per_step = -surrogate + config.value_coef * value_loss - entropy_coef * entropy
  if policy_weight is not None:
    per_step = (policy_weight * (-surrogate - entropy_coef * entropy)
                + config.value_coef * value_loss)
  return tf.reduce_mean(per_step, axis=1), {
      "entropy": tf.reduce_mean(entropy, axis=1),
      "value_loss": tf.reduce_mean(value_loss, axis=1)}


def _train_seed(env, seed: int, step):
  """The stateless seed of training step `step`: from the train split's block, so
  training tasks never coincide with validation or test tasks."""
  base = optimizees_base.task_seeds("train", tf.cast(step, tf.int32), 1, env.salt)[0]
  return tf.random.experimental.stateless_fold_in(base, seed)


def train_rewards(record, config, task=None):
  """The per-step rewards the returns are built from (`config.train_reward`); `task`
  (the batch the record was rolled out on) is needed for "task_advantage"."""
  if config.train_reward == "task_advantage":
    # Q*_h(s_t, a_t) - V*_h(s_t) of the task's own optimum (h the step in the
    # episode): by the performance-difference identity the trial's sum is its total
    # expected reward less the optimum's, whatever the (history-dependent) policy, so
    # the objective is unchanged up to a per-task constant that no action affects.
    # The prior's mean reward (1 per step) keeps the returns on the rewards' scale.
    horizon = config.env().episode_length
    q = baselines.value_iteration(task["mu"], task["P"], horizon)  # [B, H, S, A]
    steps = tf.shape(record["action"])[1]
    q = tf.gather(q, tf.math.floormod(tf.range(steps), horizon), axis=1)  # [B, T, S, A]
    q = tf.gather(q, tf.cast(record["state"], tf.int32), axis=2, batch_dims=2)
    taken = tf.gather(q, tf.cast(record["action"], tf.int32), axis=2, batch_dims=2)
    return 1.0 + taken - tf.reduce_max(q, axis=-1)
  if config.train_reward == "bayes_advantage":
    # Q*(b_t, a_t) - max_a Q*(b_t, a): by the performance-difference identity its sum
    # is the trial's total reward less V*(b_0) in expectation over tasks from the
    # prior, whatever the policy, so the objective is unchanged up to a constant;
    # each pull's credit is exact instead of carried by the noisy later rewards.
    # V*(b_0) / T per pull puts that constant back, so the returns keep the scale of
    # the total reward (and a critic trained on rewards stays close).
    horizon = config.num_pulls
    per_pull = baselines.BayesOptimal.expected_total_reward(horizon) / horizon
    return per_pull - baselines.pull_excess(record["action"], record["reward"],
                                            horizon)
  # E[r_t | a_t, task] in place of r_t leaves the policy gradient's expectation
  # unchanged (the score terms up to t depend on the history only) and removes the
  # reward noise from the returns.
  return record["mean_reward" if config.train_reward == "expected" else "reward"]


def make_train_step(net, optimizer, config, strategy, seed: int = 0, critic=None):
  """A compiled `step(global_step) -> {"reward", "loss", "entropy", "value_loss"}`;
  `critic`: the separate critic of `config.critic="counts"` (`model.build_critic`)."""
  env = config.env()
  global_batch = config.batch_size
  total = config.train_steps
  policy = model_lib.AgentPolicy(net)
  variables = net.trainable_variables + (critic.trainable_variables if critic else [])

  def replica_step(global_step):
    step_seed = _train_seed(env, seed, global_step)
    task = distribute.replica_slice(env.sample_batch(step_seed, global_batch),
                                    global_batch)
    record = rollout_lib.rollout(env, policy, task, step_seed)
    features = net.trial_features(record)
    rewards = train_rewards(record, config, task)
    values = record["value"] if critic is None else critic.values(record)
    advantages, returns = gae(config.reward_scale * rewards, values,
                              config.gamma, config.gae_lambda)
    net_returns = (None if critic is None else
                   gae(config.reward_scale * rewards, record["value"], config.gamma,
                       1.0)[1])
    # Normalise the advantages with statistics of the global batch.
    ctx = tf.distribute.get_replica_context()
    count = tf.cast(tf.size(advantages), tf.float32)
    sums = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.stack(
        [tf.reduce_sum(advantages), tf.reduce_sum(tf.square(advantages)), count]))
    mean = sums[0] / sums[2]
    std = tf.sqrt(tf.maximum(sums[1] / sums[2] - tf.square(mean), 0.0)) + 1e-8
    advantages = (advantages - mean) / std
    progress = tf.minimum(tf.cast(global_step, tf.float32) / float(total), 1.0)
    entropy_coef = config.entropy_coef + (config.entropy_final - config.entropy_coef
                                          ) * progress
    policy_weight = (tf.cast(global_step >= config.critic_warmup_steps, tf.float32)
                     if config.critic_warmup_steps else None)
    losses = []
    for _ in range(config.ppo_epochs):
      with tf.GradientTape() as tape:
        per_task, parts = ppo_loss(net, features, record, advantages, returns, config,
                                   entropy_coef, critic, policy_weight, net_returns)
        loss = tf.nn.compute_average_loss(per_task, global_batch_size=global_batch)
      grads = tape.gradient(loss, variables)
      if config.grad_clip:
        # Clip the gradient of the global batch (summed over replicas), not each
        # replica's share; the optimizer sums what each replica passes it.
        grads = ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        grads, _ = tf.clip_by_global_norm(grads, config.grad_clip)
        grads = [g / ctx.num_replicas_in_sync for g in grads]
      optimizer.apply_gradients(zip(grads, variables))
      losses.append(loss)
    scale = lambda x: tf.nn.compute_average_loss(x, global_batch_size=global_batch)
    return {"reward": scale(tf.reduce_sum(record["reward"], axis=1)),
            "loss": losses[0],
            "entropy": scale(parts["entropy"]),
            "value_loss": scale(parts["value_loss"])}

  @tf.function
  def step(global_step):
    out = strategy.run(replica_step, args=(global_step,))
    return {k: strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
            for k, v in out.items()}

  return step


def make_optimizer(config, total_steps: int):
  learning_rate = config.learning_rate
  if config.lr_schedule == "cosine":
    learning_rate = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=total_steps * config.ppo_epochs, alpha=0.1)
  return keras.optimizers.Adam(learning_rate)


def validation_tasks(config, count=None):
  env = config.env()
  return env.sample_tasks(env.seeds("validation", 0, count or
                                    config.num_validation_tasks))


def smoke_loss(net, config):
  """The PPO loss of one short trial on two tasks (for the registry-driven tests)."""
  env = config.env()
  task = env.sample_batch(tf.constant([1, 2]), 2)
  record = rollout_lib.rollout(env, model_lib.AgentPolicy(net), task,
                               tf.constant([1, 2]))
  advantages, returns = gae(record["reward"], record["value"], config.gamma,
                            config.gae_lambda)
  per_task, _ = ppo_loss(net, net.trial_features(record), record, advantages, returns,
                         config, config.entropy_coef)
  return tf.reduce_mean(per_task)


def train(net, config, context: training.TrainContext) -> dict:
  """Meta-trains `net` (built in `context.strategy`'s scope) into `context.model_dir`.

  Keeps the weights with the highest mean total reward on `num_validation_tasks`
  validation tasks (expected reward with `train_reward="expected"`) and leaves them
  in `net` at the end.
  """
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  if total != config.train_steps:
    import dataclasses  # pylint: disable=g-import-not-at-top
    config = dataclasses.replace(config, train_steps=total)
  with strategy.scope():
    critic = model_lib.build_critic(config)
    optimizer = make_optimizer(config, total)
    # Built inside the scope, before strategy.run (see DESIGN.md, distribution).
    optimizer.build(net.trainable_variables
                    + (critic.trainable_variables if critic else []))
  step_fn = make_train_step(net, optimizer, config, strategy, seed=context.seed,
                            critic=critic)
  env = config.env()
  val_tasks = validation_tasks(config)
  policy = model_lib.AgentPolicy(net, greedy=config.eval_greedy)

  # Task advantages are validated, as expected rewards, by the expected total reward.
  expected = config.train_reward in ("expected", "task_advantage")
  bayes = config.train_reward == "bayes_advantage"

  def validate(step):
    del step
    keep = (("mean_reward",) if expected else ("action", "reward") if bayes else ())
    result = rollout_lib.evaluate_policy(env, policy, val_tasks, keep=keep)
    # With train_reward="expected" the weights are also chosen by the expected total
    # reward, the same quantity without the reward noise; with "bayes_advantage" by
    # V* less the excess regret, an estimate of the expected total reward under the
    # prior with less noise still.
    if bayes:
      total_reward = (baselines.BayesOptimal.expected_total_reward(config.num_pulls)
                      - baselines.bayes_excess_regret(
                          result["action"], result["reward"], config.num_pulls))
    elif expected:
      total_reward = result["mean_reward"].sum(axis=1)
    else:
      total_reward = result["total_reward"]
    return -float(total_reward.mean()), {"reward": float(total_reward.mean())}

  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"net": net, "optimizer": optimizer,
               **({"critic": critic} if critic else {})},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=net,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "env_steps": result.final_step * config.batch_size * env.trial_length,
      "best_validation_reward": (None if result.best_objective is None
                                 else -result.best_objective),
      "best_step": result.best_step,
      # [step, validation reward] of this run's validations.
      "validation_rewards": [[v["step"], round(v["reward"], 4)]
                             for v in result.validations],
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
