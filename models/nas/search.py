"""The search: REINFORCE on the controller against random search, resumable.

Zoph & Le (2016), §3.2. Each training step samples m = `children_per_step`
architectures from the controller, trains each child and takes its reward
R_k = (max validation accuracy of the last epochs)^3, and follows

    grad J = 1/m sum_k sum_t grad log P(a_t | a_{(t-1):1}; theta_c) (R_k - b)

where b is an exponential moving average of earlier rewards; an entropy bonus keeps
the controller sampling. The same step trains m uniformly random architectures of
the same depth: random search at the same child budget, the baseline the claims
compare against.

Resume: the controller, its optimizer, the baseline and the search record are in the
`run_loop` checkpoint, saved after every step. Every finished child is appended to
`model_dir/children.jsonl` at once; a step restarted after an interruption samples the
same architectures (its seed is (seed, step) and the weights are those of the last
checkpoint) and reuses every child already in the log instead of training it again.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from models.nas import runner as runner_lib
from zoo import distribute
from zoo import training

__all__ = ["ARMS", "ChildLog", "make_reinforce_step", "reinforce_loss", "smoke_loss",
           "train"]

ARMS = ("controller", "random")
LOG_FILE = "children.jsonl"


def reinforce_loss(log_prob, entropy, advantage, entropy_weight, global_batch):
  """-(1/m) sum_k [(R_k - b) log P(a^k) + beta H(a^k)], scaled to the global batch.

  The sign: minimizing this ascends the expected reward (§3.2, eq. 2); the advantage
  is a constant (no gradient flows into the reward or the baseline).
  """
  per_child = -(tf.stop_gradient(advantage) * log_prob + entropy_weight * entropy)
  return tf.nn.compute_average_loss(per_child, global_batch_size=global_batch)


def make_reinforce_step(controller, optimizer, config, strategy):
  """A compiled `step(actions [m, A], advantages [m]) -> {loss, entropy}`.

  Data-parallel over the m children under `strategy.run`; one trace per depth.
  """
  m = config.children_per_step

  def replica_step(actions, advantages):
    actions, advantages = distribute.replica_slice((actions, advantages), m)
    with tf.GradientTape() as tape:
      log_prob, entropy = controller(actions)
      loss = reinforce_loss(log_prob, entropy, advantages, config.entropy_weight, m)
    grads = tape.gradient(loss, controller.trainable_variables)
    optimizer.apply_gradients(zip(grads, controller.trainable_variables))
    return loss, tf.nn.compute_average_loss(entropy, global_batch_size=m)

  @tf.function
  def step(actions, advantages):
    loss, entropy = strategy.run(replica_step, args=(actions, advantages))
    total = tf.distribute.ReduceOp.SUM
    return {"reinforce_loss": strategy.reduce(total, loss, axis=None),
            "entropy": strategy.reduce(total, entropy, axis=None)}

  return step


class ChildLog:
  """`children.jsonl`: one JSON line per finished child, appended and flushed."""

  def __init__(self, model_dir: str, writable: bool = True):
    self.path = os.path.join(model_dir, LOG_FILE)
    self.writable = writable
    self.entries = {}
    if os.path.exists(self.path):
      with open(self.path) as f:
        for line in f:
          line = line.strip()
          if not line:
            continue
          try:
            entry = json.loads(line)
          except ValueError:
            continue  # A line cut short by a kill: that child is trained again.
          self.entries[(entry["arm"], entry["index"])] = entry

  def get(self, arm: str, index: int, actions):
    entry = self.entries.get((arm, index))
    if entry is not None and entry["actions"] == list(actions):
      return entry
    return None

  def add(self, entry: dict):
    self.entries[(entry["arm"], entry["index"])] = entry
    if self.writable:
      with open(self.path, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
        f.flush()


def child_seed(seed: int, arm: int, index: int) -> int:
  return (seed * 1_000_003 + index * 2 + arm) % (2**31 - 1)


def random_actions(config, seed: int, step: int, depth: int) -> list:
  rng = np.random.default_rng([seed, step, 7])
  space = config.space()
  return [space.sample_random(rng, depth, config.random_skip_probability)
          for _ in range(config.children_per_step)]


def smoke_loss(controller, config):
  """The REINFORCE loss of two sampled architectures of the deepest kind (tests)."""
  actions, _, _ = controller.sample(2, config.max_layers, seed=[0, 0])
  log_prob, entropy = controller(actions)
  return tf.reduce_mean(-(tf.constant([0.3, -0.3]) * log_prob + 0.01 * entropy))


def train(controller, config, context: training.TrainContext) -> dict:
  """Searches with the controller (and random search beside it) into `model_dir`.

  Returns the final metrics; the controller holds the search record at the end.
  """
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  m = config.children_per_step
  if total * m > config.record_capacity:
    raise ValueError(f"train_steps * children_per_step = {total * m} children per arm "
                     f"exceed record_capacity={config.record_capacity}")
  chief = distribute.is_chief(strategy)
  with strategy.scope():
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(controller.trainable_variables)
    baseline = tf.Variable(0.0, trainable=False, name="baseline")
    baseline_set = tf.Variable(False, trainable=False, name="baseline_set")
  update = make_reinforce_step(controller, optimizer, config, strategy)
  samplers = {}
  os.makedirs(context.model_dir, exist_ok=True)
  log = ChildLog(context.model_dir, writable=chief)
  writer = (tf.summary.create_file_writer(os.path.join(context.model_dir, "children"))
            if chief else tf.summary.create_noop_writer())
  space = config.space()
  rank = 1 if config.dataset == "mnist1d" else 2
  runner = runner_lib.ChildRunner(config, config.parallel_children)

  def sample(depth, step):
    if depth not in samplers:
      samplers[depth] = tf.function(
          lambda seed, d=depth: controller.sample(m, d, seed))
    actions, _, _ = samplers[depth](tf.constant([context.seed, step], tf.int32))
    return [list(map(int, row)) for row in actions.numpy()]

  def step_fn(step):
    k = int(step)
    depth = config.depth_at(k * m)
    proposals = {"controller": sample(depth, k),
                 "random": random_actions(config, context.seed, k, depth)}
    results, jobs = {}, []
    for a, arm in enumerate(ARMS):
      for slot, actions in enumerate(proposals[arm]):
        index = k * m + slot
        done = log.get(arm, index, actions)
        if done is not None:
          results[(arm, slot)] = done
        else:
          jobs.append(runner_lib.ChildJob(
              key=(arm, slot), actions=tuple(actions), depth=depth,
              seed=child_seed(context.seed, a, index), epochs=config.child_epochs))
    for job, result in runner.run(jobs):
      arm, slot = job.key
      index = k * m + slot
      entry = dict(result, arm=arm, index=index, step=k, depth=depth,
                   actions=list(job.actions),
                   description=space.decode(job.actions, depth).describe(rank))
      log.add(entry)
      results[job.key] = entry
      context.log(f"  {arm} child {index}: reward {entry['reward']:.3f} "
                  f"(val acc {max(entry['accuracies'][-config.reward_epochs:]):.3f}, "
                  f"{entry['seconds']:.1f}s) {entry['description']}")
    rewards = {}
    with writer.as_default():
      for a, arm in enumerate(ARMS):
        rewards[arm] = np.array([results[(arm, s)]["reward"] for s in range(m)])
        for slot in range(m):
          index = k * m + slot
          entry = results[(arm, slot)]
          controller.record.write(a, index, entry["actions"], depth, entry["reward"])
          tf.summary.scalar(f"{arm}/reward", entry["reward"], step=index)
          tf.summary.scalar(f"{arm}/validation_accuracy",
                            max(entry["accuracies"][-config.reward_epochs:]), step=index)
    # b: an exponential moving average of the rewards before this step.
    if not bool(baseline_set):
      baseline.assign(float(rewards["controller"].mean()))
      baseline_set.assign(True)
    advantages = rewards["controller"] - float(baseline)
    metrics = update(tf.constant(proposals["controller"], tf.int32),
                     tf.constant(advantages, tf.float32))
    baseline.assign(config.baseline_decay * float(baseline)
                    + (1 - config.baseline_decay) * float(rewards["controller"].mean()))
    return dict(metrics, controller_reward=float(rewards["controller"].mean()),
                random_reward=float(rewards["random"].mean()),
                baseline=float(baseline), depth=float(depth))

  try:
    result = training.run_loop(
        model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
        objects={"controller": controller, "optimizer": optimizer,
                 "baseline": baseline, "baseline_set": baseline_set},
        checkpoint_every=1, log_every=1, strategy=strategy, log=context.log)
  finally:
    runner.close()
    writer.flush()
  out = {"train_steps": result.final_step, "steps_this_run": result.steps_run,
         "wall_time_this_run_s": round(result.wall_time_s, 1),
         "children_per_arm": result.final_step * m}
  for a, arm in enumerate(ARMS):
    rows = controller.record.read(a)
    if rows:
      out[f"{arm}_mean_reward"] = float(np.mean([r for _, _, r in rows]))
      out[f"{arm}_best_reward"] = float(np.max([r for _, _, r in rows]))
  return out
