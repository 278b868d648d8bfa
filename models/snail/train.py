"""Meta-training of the few-shot SNAIL and of its same-budget ProtoNet baseline.

§5.1: each training step draws a meta-batch of N-way episodes with K drawn uniformly
from `min_shots..max_shots`; SNAIL reads the shuffled support set (embedding,
one-hot label) and then a query with a zero label, and is trained with the
cross-entropy of its prediction at the query's step (`queries_per_class` queries per
class, each its own sequence after the same support set). The prototypical network
with an encoder of the same architecture trains in the same step, on the same
episodes, for the same number of steps, with its own Adam: the same training budget.

The step is data-parallel over the episodes (`strategy.run`; every replica draws the
step's episodes from (seed, step) and keeps its slice; losses are scaled to the global
meta-batch). Validation: accuracy of both models on fixed validation-alphabet episodes
(half 1-shot, half 5-shot); each model's best weights are kept.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from models.snail import episodes
from models.snail import model as model_lib
from zoo import distribute
from zoo import training

__all__ = [
    "EpisodeEvaluator",
    "episode_loss",
    "make_train_step",
    "samplers",
    "smoke_loss",
    "train",
]

PROTONET_BEST = "protonet_best.weights.h5"
VALIDATION_STREAM = 7_777_777  # Seeds of validation episodes: [VALIDATION_STREAM, i].


def samplers(config, splits=("train", "validation"), data_dir=None) -> dict:
  """Episode samplers over the config's data set, by split (train: with rotations)."""
  result = {}
  for split in splits:
    name = {"train": config.train_split, "validation": config.validation_split,
            "test": config.test_split}.get(split, split)
    images, labels = episodes.load_split(config.dataset, name, config.image_size,
                                         data_dir)
    rotations = config.train_rotations and split == "train"
    # Training draws up to max_shots + queries_per_class examples of a class: classes
    # with fewer are left out (a clear error if fewer than `way` remain).
    most = (config.max_shots + config.queries_per_class if split == "train" else None)
    result[split] = episodes.EpisodeSampler(images, labels, config.way,
                                            rotations=rotations, max_examples=most)
  return result


def episode_loss(logits, labels):
  """Cross-entropy per episode `[B]`: mean over the episode's queries."""
  return tf.reduce_mean(
      tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits), axis=-1)


def _accuracy(logits, labels):
  return tf.reduce_mean(
      tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == labels, tf.float32), -1)


def make_train_step(model, optimizer, baseline_optimizer, sampler, config, strategy,
                    seed: int):
  """A compiled `step(global_step) -> {loss, accuracy, protonet_loss, ...}`."""
  global_batch = config.batch_episodes
  snail_vars = (model.embedding.trainable_variables + model.stack.trainable_variables
                + model.head.trainable_variables)
  proto_vars = model.protonet.trainable_variables

  def replica_step(global_step):
    step_seed = tf.stack([tf.cast(seed, tf.int64), tf.cast(global_step, tf.int64)])
    shots = tf.random.stateless_uniform([], seed=step_seed + [0, 1_000_000_007],
                                        minval=config.min_shots,
                                        maxval=config.max_shots + 1, dtype=tf.int32)
    batch = sampler.sample(step_seed, global_batch, shots, config.queries_per_class)
    sx, sy, qx, qy = distribute.replica_slice(batch, global_batch)
    with tf.GradientTape(persistent=True) as tape:
      logits, s_emb, q_emb = model.episode_outputs(sx, sy, qx, training=True)
      per_episode = episode_loss(logits, qy)
      if config.aux_protonet_weight and config.aux_protonet_steps:
        weight = config.aux_protonet_weight * tf.maximum(
            0.0, 1.0 - tf.cast(global_step, tf.float32) / config.aux_protonet_steps)
        aux = episode_loss(model_lib.prototype_logits(s_emb, sy, q_emb, config.way), qy)
        per_episode += weight * aux
      loss = tf.nn.compute_average_loss(per_episode, global_batch_size=global_batch)
      proto_logits = model.protonet_logits(sx, sy, qx, training=True)
      proto_loss = tf.nn.compute_average_loss(episode_loss(proto_logits, qy),
                                              global_batch_size=global_batch)
    optimizer.apply_gradients(zip(tape.gradient(loss, snail_vars), snail_vars))
    baseline_optimizer.apply_gradients(
        zip(tape.gradient(proto_loss, proto_vars), proto_vars))
    del tape
    acc = tf.reduce_sum(_accuracy(logits, qy)) / global_batch
    proto_acc = tf.reduce_sum(_accuracy(proto_logits, qy)) / global_batch
    return loss, acc, proto_loss, proto_acc, tf.cast(shots, tf.float32)

  @tf.function
  def step(global_step):
    out = strategy.run(replica_step, args=(global_step,))
    total = tf.distribute.ReduceOp.SUM
    loss, acc, proto_loss, proto_acc = (strategy.reduce(total, v, axis=None)
                                        for v in out[:4])
    return {"loss": loss, "accuracy": acc, "protonet_loss": proto_loss,
            "protonet_accuracy": proto_acc,
            "shots": strategy.reduce(tf.distribute.ReduceOp.MEAN, out[4], axis=None)}

  return step


class EpisodeEvaluator:
  """Accuracy of SNAIL and the ProtoNet on episodes `[seed_0, i]`, i = 0, 1, ...

  Episodes are drawn in chunks of `chunk` (default 250 // N) from stateless seeds, so
  the same (seed_0, number, shots, queries) always gives the same episodes. One compiled
  function serves every shot count.
  """

  def __init__(self, model, sampler, chunk=None):
    self.model = model
    self.sampler = sampler
    # 250 query-class slots per call: 50 five-way or 12 twenty-way episodes.
    chunk = chunk or max(1, 250 // sampler.way)
    self.chunk = chunk

    @tf.function(reduce_retracing=True)
    def run(seed, shots, queries):
      sx, sy, qx, qy = sampler.sample(seed, chunk, shots, queries)
      return (_accuracy(model.episode_logits(sx, sy, qx), qy),
              _accuracy(model.protonet_logits(sx, sy, qx), qy))

    self._run = run

  def accuracies(self, seed0: int, num_episodes: int, shots: int, queries: int = 1):
    """Per-episode accuracies {"snail": [E], "protonet": [E]}."""
    if shots + queries > self.sampler.min_count:
      raise ValueError(f"shots + queries ({shots} + {queries}) exceeds the examples of "
                       f"the smallest class ({self.sampler.min_count})")
    snail, proto = [], []
    for i in range(-(-num_episodes // self.chunk)):
      a, b = self._run(tf.constant([seed0, i], tf.int64), tf.constant(shots),
                       tf.constant(queries))
      snail.append(a.numpy())
      proto.append(b.numpy())
    return {"snail": np.concatenate(snail)[:num_episodes],
            "protonet": np.concatenate(proto)[:num_episodes]}


def smoke_loss(model, config):
  """SNAIL's and the ProtoNet's loss on two random 1-shot episodes (registry tests)."""
  n = config.way
  size = config.image_size
  sx = tf.random.stateless_uniform([2, n, size, size, 1], seed=[0, 1])
  qx = tf.random.stateless_uniform([2, 1, size, size, 1], seed=[0, 2])
  sy = tf.tile(tf.range(n)[None], [2, 1])
  qy = tf.zeros([2, 1], tf.int32)
  return (tf.reduce_mean(episode_loss(model.episode_logits(sx, sy, qx, training=True),
                                      qy))
          + tf.reduce_mean(episode_loss(
              model.protonet_logits(sx, sy, qx, training=True), qy)))


def make_optimizers(model, config, total_steps: int):
  """SNAIL's and the ProtoNet's Adam (built), each with its learning rate, constant or
  decaying by a cosine to a tenth over `total_steps` (`config.lr_schedule`)."""

  def rate(learning_rate):
    if config.lr_schedule == "cosine":
      return keras.optimizers.schedules.CosineDecay(
          learning_rate, decay_steps=total_steps, alpha=0.1)
    return learning_rate

  optimizer = keras.optimizers.Adam(rate(config.learning_rate))
  optimizer.build(model.embedding.trainable_variables
                  + model.stack.trainable_variables + model.head.trainable_variables)
  baseline_optimizer = keras.optimizers.Adam(rate(config.baseline_learning_rate))
  baseline_optimizer.build(model.protonet.trainable_variables)
  return optimizer, baseline_optimizer


def train(model, config, context: training.TrainContext) -> dict:
  """Meta-trains SNAIL and its ProtoNet baseline (built in the strategy's scope).

  Keeps SNAIL's weights with the best validation accuracy (through `run_loop`) and,
  separately, the ProtoNet's best, and leaves both in `model`.
  """
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  data = samplers(config)
  with strategy.scope():
    # Built inside the scope, before strategy.run (see DESIGN.md, distribution).
    optimizer, baseline_optimizer = make_optimizers(model, config, total)
    proto_best = tf.Variable(-1.0, dtype=tf.float64, trainable=False)
  step_fn = make_train_step(model, optimizer, baseline_optimizer, data["train"], config,
                            strategy, context.seed)
  evaluator = EpisodeEvaluator(model, data["validation"])
  proto_path = os.path.join(context.model_dir, PROTONET_BEST)
  half = config.num_validation_episodes // 2

  def validate(step):
    del step
    one = evaluator.accuracies(VALIDATION_STREAM, half, 1)
    five = evaluator.accuracies(VALIDATION_STREAM + 1, half, min(5, config.max_shots))
    snail = float(np.mean(np.concatenate([one["snail"], five["snail"]])))
    proto = float(np.mean(np.concatenate([one["protonet"], five["protonet"]])))
    if proto > float(proto_best) and distribute.is_chief(strategy):
      proto_best.assign(proto)
      model.protonet.save_weights(proto_path + ".tmp.weights.h5")
      os.replace(proto_path + ".tmp.weights.h5", proto_path)
    return 1.0 - snail, {"accuracy": snail, "protonet_accuracy": proto,
                         "accuracy_1shot": float(np.mean(one["snail"])),
                         "protonet_accuracy_1shot": float(np.mean(one["protonet"]))}

  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"model": model, "optimizer": optimizer,
               "baseline_optimizer": baseline_optimizer, "protonet_best": proto_best},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=model,
      strategy=strategy, log=context.log)
  if os.path.exists(proto_path):
    model.protonet.load_weights(proto_path)
  return {
      "train_steps": result.final_step,
      "best_validation_accuracy": (None if result.best_objective is None
                                   else 1.0 - result.best_objective),
      "best_step": result.best_step,
      "protonet_best_validation_accuracy": float(proto_best),
      # [step, SNAIL accuracy, ProtoNet accuracy] of this run's validations.
      "validation_accuracies": [
          [v["step"], round(v["accuracy"], 4), round(v["protonet_accuracy"], 4)]
          for v in result.validations],
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
