"""Policy search for Li & Malik's optimizer: an imitation warm start, then PPO.

The paper trains the policy with guided policy search (GPS): local linear-Gaussian
controllers fitted around sampled trajectories, distilled into the network by
supervised learning. Here:

1. imitation: the network regresses onto the steps of a hand-designed controller
   (heavy-ball momentum, learning rate tuned on training tasks) along that
   controller's own trajectories, the supervised half of GPS;
2. PPO (Schulman et al. 2017) on the paper's cost: each iteration runs the Gaussian
   policy on `batch_tasks` fresh training tasks for `horizon` steps; the cost of step
   t is f(x_{t+1}) / f(x_0) (capped), its advantage the discounted cost-to-go relative
   to the batch mean at the same t (a time-indexed baseline), normalised; then
   `ppo_epochs` passes of `num_minibatches` clipped-ratio updates.

Everything that mixes tasks (baseline, normalisation) is an all-reduce over replicas,
so a step under `MirroredStrategy` equals the single-device step.
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from models import optimizees
from models.classic_optimizers import rules
from models.classic_optimizers import runner
from models.classic_optimizers import tuning
from models.l2o_policy import model as model_lib
from zoo import distribute
from zoo import training

__all__ = ["advantages", "make_optimize_fn", "make_train_steps", "rollout",
           "set_scales_from", "smoke_loss", "teacher_data", "train", "tune_teacher"]



def rollout(net, family, task, params, steps: int, noise=None, teacher=None):
  """Runs the policy (or `teacher`) for `steps` steps on a task batch.

  Args:
    net: the `PolicyNet`.
    family, task, params: the problems and their initial parameters ([B, ...]).
    steps: T.
    noise: None (take the mean step) or `noise(t) -> [B, n]` standard normals for the
      exploration at step t.
    teacher: None, or (momentum, learning_rate [B]) to act with heavy-ball momentum
      instead (the features are still recorded, for imitation).

  Returns:
    dict of `features` [T, B, n, 2H], `actions` [T, B, n], `log_probs` [T, B] (of the
    actions under the policy) and `losses` [T + 1, B] (the objective at x_0..x_T).
  """
  like = params
  x = model_lib.flatten(params)
  batch, n = tf.shape(x)[0], x.shape[1]
  state = model_lib.initial_state(batch, n, net.history)
  velocity = tf.zeros_like(x)
  # Without minibatches or gradient noise the training loss is the objective, and the
  # loss of step t is f(x_t): no second evaluation needed.
  exact = not family.noisy
  feats = tf.TensorArray(tf.float32, size=steps)
  actions = tf.TensorArray(tf.float32, size=steps)
  log_probs = tf.TensorArray(tf.float32, size=steps)
  losses = tf.TensorArray(tf.float32, size=steps + 1)
  if not exact:
    losses = losses.write(0, family.eval_loss(task, like))
  for t in tf.range(steps):
    f, grads = family.loss_and_grads(task, model_lib.unflatten(x, like), t)
    if exact:
      losses = losses.write(t, f)
    grad = model_lib.flatten(grads)
    state = model_lib.observe(state, grad, f)
    inputs = model_lib.features(state)
    mean = net(inputs)
    if teacher is not None:
      momentum, lr = teacher
      velocity = momentum * velocity - lr[:, None] * grad
      action = velocity
    elif noise is not None:
      action = mean + net.std() * noise(t)
    else:
      action = mean
    x = x + action
    feats = feats.write(t, inputs)
    actions = actions.write(t, action)
    log_probs = log_probs.write(t, net.log_prob(mean, action))
    if not exact:
      losses = losses.write(t + 1, family.eval_loss(task, model_lib.unflatten(x, like)))
  if exact:
    losses = losses.write(steps, family.eval_loss(task, model_lib.unflatten(x, like)))
  return {"features": feats.stack(), "actions": actions.stack(),
          "log_probs": log_probs.stack(), "losses": losses.stack()}


def make_optimize_fn(net, family, steps: int, record_every: int = 1):
  """A compiled `fn(seeds) -> objective [steps // record_every + 1, B]` (NumPy) of the
  mean policy on the tasks of `seeds`."""
  if steps % record_every:
    raise ValueError(f"steps ({steps}) must be a multiple of record_every ({record_every})")

  @tf.function(reduce_retracing=True)
  def run(seeds):
    task, params = family.sample(seeds)
    return rollout(net, family, task, params, steps)["losses"][::record_every]

  return lambda seeds: run(tf.convert_to_tensor(seeds, tf.int32)).numpy()


def tune_teacher(family, config, num_tasks: int = 64):
  """The imitation teacher: heavy-ball momentum with mu in `imitation_momenta` and the
  learning rate tuned on training tasks (never validation or test) for the training
  horizon. Returns (mu, learning_rate)."""
  seeds = family.seeds("train", 10_000_000, num_tasks).numpy()
  mu, result = tuning.tune_momentum(family, seeds, config.horizon, config.imitation_momenta)
  return mu, result.learning_rate


def teacher_data(net, family, config, teacher):
  """The imitation data set: tuned momentum run on `imitation_tasks` training tasks
  (a block of seeds of its own). Returns (features [T, N, n, 2H], steps [T, N, n])."""
  seeds = family.seeds("train", 20_000_000, config.imitation_tasks)

  @tf.function
  def run():
    task, params = family.sample(seeds)
    mu, lr = teacher
    lr = tf.fill([config.imitation_tasks], tf.constant(lr, tf.float32))
    data = rollout(net, family, task, params, config.horizon, teacher=(mu, lr))
    return data["features"], data["actions"]

  return run()


def set_scales_from(net, feats, steps):
  """Normalising scales: RMS of the gradients, of the (nonzero) objective changes and
  of the steps in the teacher's data."""
  h = net.history
  rms = lambda t: float(tf.sqrt(tf.reduce_mean(tf.square(t))))
  df = feats[..., h]
  df = tf.boolean_mask(df, tf.not_equal(df, 0.0))
  net.set_scales(rms(feats[..., 0]), rms(df) if tf.size(df) > 0 else 1.0, rms(steps))


def _global_mean(x):
  """Mean over the global batch (axis 0 of every replica's `x`), inside a replica."""
  ctx = tf.distribute.get_replica_context()
  total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(x, axis=0))
  count = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.cast(tf.shape(x)[0], tf.float32))
  return total / count


def _cost_to_go(losses, config, f_ref=None):
  """Discounted cost-to-go [T, B] of objectives [T + 1, B].

  cost_t = f(x_{t+1}) / f(x_0) (`cost="objective"`, the paper's cost up to the task's
  scale), or log((f(x_{t+1}) - f_ref) / (f(x_0) - f_ref)) with `f_ref` [B] an estimate
  of the task's minimum (`cost="log_suboptimality"`, which keeps weighing the last
  digits of convergence). Capped (a diverging run costs the cap per step).
  """
  if f_ref is None:
    cost = tf.minimum(losses[1:] / (losses[:1] + 1e-12), config.cost_cap)
  else:
    gap0 = losses[:1] - f_ref + 1e-12
    floor = 1e-6 * gap0
    cost = tf.math.log(tf.maximum(losses[1:] - f_ref, 0.0) / gap0 + floor / gap0)
    cost = tf.minimum(cost, tf.math.log(config.cost_cap))
  cost = tf.where(tf.math.is_finite(cost), cost, tf.math.log(config.cost_cap)
                  if f_ref is not None else config.cost_cap)
  return tf.scan(lambda acc, c: c + config.discount * acc, cost, reverse=True)


def advantages(losses, config, baseline_losses=None, f_ref=None):
  """Normalised advantages [T, B] (lower cost = positive) from objectives [T + 1, B].

  The baseline of (t, task) is the cost-to-go of the noise-free (mean) policy on the
  same task (`baseline_losses`, a self-critical baseline: it depends on the task, not
  on the actions taken), or without it the mean over the batch at the same t.
  """
  togo = _cost_to_go(losses, config, f_ref)
  if baseline_losses is not None:
    baseline = _cost_to_go(baseline_losses, config, f_ref)
  else:
    baseline = _global_mean(tf.transpose(togo))[:, None]  # mean over tasks, per t
  adv = -(togo - baseline)
  scale = tf.sqrt(_global_mean(tf.reduce_mean(tf.square(adv), axis=0))) + 1e-8
  return adv / scale


def make_train_steps(net, imitation_opt, ppo_opt, family, config, strategy, seed: int,
                     data=None, teacher=None):
  """(imitation_step, ppo_step), each `fn(global_step) -> metrics`; `data` is
  `teacher_data(...)` (needed for the imitation step), `teacher` its (mu, lr) (needed
  for `cost="log_suboptimality"`: the teacher run `reference_steps` long gives the
  reference minimum)."""
  global_batch = config.batch_tasks
  variables = net.trainable_variables
  num_mb = config.num_minibatches

  def sample(step, salt):
    seeds = family.seeds("train", tf.cast(step, tf.int32) * global_batch + salt,
                         global_batch)
    return family.sample(distribute.replica_slice(seeds, global_batch))

  def imitate(step):
    feats, targets = data
    size = config.imitation_batch
    # Minibatch k: a block of `imitation_batch` tasks, cycling through the data set.
    start = tf.math.floormod(tf.cast(step, tf.int32) * size, config.imitation_tasks)
    mine = distribute.replica_slice(tf.range(start, start + size), size)
    feats, targets = tf.gather(feats, mine, axis=1), tf.gather(targets, mine, axis=1)
    scale = tf.square(net.scales[2])
    with tf.GradientTape() as tape:
      err = tf.reduce_mean(tf.square(net(feats) - targets), axis=[0, 2])
      loss = tf.nn.compute_average_loss(err / scale, global_batch_size=size)
    grads = tape.gradient(loss, variables)
    grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
    imitation_opt.apply_gradients(zip(grads, variables))
    return {"imitation_loss": loss}

  def collect(step):
    task, params = sample(step, 0)
    num_coords = model_lib.flatten(params).shape[1]
    ctx = tf.distribute.get_replica_context()
    local = global_batch // ctx.num_replicas_in_sync
    start = ctx.replica_id_in_sync_group * local

    def noise(t):  # The global batch's noise, sliced: equal under any replica count.
      z = tf.random.stateless_normal(
          [global_batch, num_coords],
          tf.stack([tf.cast(step, tf.int32) + 7919 * seed, tf.cast(t, tf.int32)]))
      return z[start:start + local]

    data = rollout(net, family, task, params, config.horizon, noise=noise)
    greedy = rollout(net, family, task, params, config.horizon)
    f_ref = None
    if config.cost == "log_suboptimality":
      mu, lr = teacher
      rule = rules.momentum(mu)
      lrs = tf.fill([tf.shape(params[0])[0]], tf.constant(lr, tf.float32))
      ref = runner.run_updates(family, task, params, rule.init,
                               lambda g, s: rule.update(g, s, lrs),
                               config.reference_steps, config.reference_steps)
      f_ref = tf.reduce_min(tf.concat([ref, data["losses"], greedy["losses"]], 0), 0)
    adv = advantages(data["losses"], config, greedy["losses"], f_ref)
    final = _global_mean(greedy["losses"][-1] / (greedy["losses"][0] + 1e-12))
    return (data["features"], data["actions"], data["log_probs"], adv), final

  def update(batch, k):
    feats, actions, old_log_probs, adv = batch
    pick = lambda t: t[:, k::num_mb]
    feats, actions, old_log_probs, adv = map(pick, (feats, actions, old_log_probs, adv))
    with tf.GradientTape() as tape:
      log_probs = net.log_prob(net(feats), actions)
      ratio = tf.exp(log_probs - old_log_probs)
      clipped = tf.clip_by_value(ratio, 1 - config.clip_ratio, 1 + config.clip_ratio)
      per_task = -tf.reduce_mean(tf.minimum(ratio * adv, clipped * adv), axis=0)
      loss = tf.nn.compute_average_loss(per_task, global_batch_size=global_batch // num_mb)
    grads = tape.gradient(loss, variables)
    grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
    ppo_opt.apply_gradients(zip(grads, variables))
    return loss

  @tf.function
  def imitation_step(step):
    out = strategy.run(imitate, args=(step,))
    return {k: strategy.reduce("SUM", v, axis=None) for k, v in out.items()}

  @tf.function
  def collect_step(step):
    return strategy.run(collect, args=(step,))

  @tf.function
  def update_step(batch, k):
    return strategy.reduce("SUM", strategy.run(update, args=(batch, k)), axis=None)

  def ppo_step(step):
    batch, final = collect_step(step)
    losses = [update_step(batch, tf.constant(k))
              for _ in range(config.ppo_epochs) for k in range(num_mb)]
    final = strategy.experimental_local_results(final)[0]
    return {"ppo_loss": tf.reduce_mean(losses), "final_over_initial": final,
            "log_std": tf.identity(net.log_std)}

  return imitation_step, ppo_step


def smoke_loss(net, config):
  """The PPO surrogate on two tasks, 3 steps of the training family."""
  family = optimizees.get_family(config.family)
  task, params = family.sample(family.seeds("train", 0, 2))
  n = model_lib.flatten(params).shape[1]
  data = rollout(net, family, task, params, 3,
                 noise=lambda t: tf.random.stateless_normal([2, n], tf.stack([0, t])))
  adv = advantages(data["losses"], config)
  log_probs = net.log_prob(net(data["features"]), data["actions"])
  return -tf.reduce_mean(tf.exp(log_probs - tf.stop_gradient(data["log_probs"])) * adv)


@functools.lru_cache(maxsize=8)
def _family(name: str, horizon: int):
  return optimizees.get_family(name, horizon=horizon)


def train(net, config, context: training.TrainContext) -> dict:
  """Imitation warm start, then PPO, into `context.model_dir`, keeping the weights with
  the best validation objective (mean f(x_T) of the mean policy on validation tasks)."""
  strategy = context.strategy
  total_ppo = context.train_steps or config.train_steps
  family = _family(config.family, max(config.horizon, config.eval_steps))
  teacher = tune_teacher(family, config) if config.imitation_steps else (0.0, 0.0)
  if config.imitation_steps:
    context.log(f"Imitation teacher: momentum {teacher[0]}, learning rate "
                f"{teacher[1]:.3g} (tuned on training tasks).")
  with strategy.scope():
    imitation_opt = keras.optimizers.Adam(config.imitation_learning_rate)
    imitation_opt.build(net.trainable_variables)
    ppo_opt = keras.optimizers.Adam(config.learning_rate)
    ppo_opt.build(net.trainable_variables)
  data = None
  if config.imitation_steps:
    data = teacher_data(net, family, config, teacher)
    set_scales_from(net, *data)  # Restored from the checkpoint when resuming.
  imitation_step, ppo_step = make_train_steps(
      net, imitation_opt, ppo_opt, family, config, strategy, context.seed, data, teacher)

  def step_fn(global_step):
    k = int(global_step)
    if k < config.imitation_steps:
      return imitation_step(global_step)
    return ppo_step(global_step - config.imitation_steps)

  run = make_optimize_fn(net, family, config.eval_steps, config.eval_steps)
  val_seeds = family.seeds("validation", 0, config.num_validation_tasks)

  def validate(step):
    del step
    losses = run(val_seeds)
    final = np.where(np.isfinite(losses[-1]), losses[-1], np.inf)
    return float(np.mean(final)), {
        "final_objective": float(np.mean(final)),
        "final_over_initial": float(np.mean(final / losses[0]))}


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn,
      total_steps=config.imitation_steps + total_ppo,
      objects={"net": net, "imitation_optimizer": imitation_opt, "ppo_optimizer": ppo_opt},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=net,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "imitation_teacher_momentum": teacher[0],
      "imitation_teacher_learning_rate": teacher[1],
      "best_validation_objective": result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
