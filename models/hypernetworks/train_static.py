"""Training of the image classifiers (static hypernetwork and plain convnet).

One compiled step serves every use: the CLI's resumable run (`train`, through
`zoo.training.run_loop`) and the in-memory runs of the evaluation and the
learning-rate tuning (`Trainer.fit`), so the shipped checkpoint and the seeds the
evaluation trains follow the same recipe. The minibatch of step k is a pure function
of (seed, k): epoch e = k // steps_per_epoch is a seeded permutation of the train
split. The step is data-parallel over the minibatch (`strategy.run`, each replica its
slice, losses scaled to the global batch).
"""


import keras
import numpy as np
import tensorflow as tf

from models.hypernetworks import convnet
from models.hypernetworks import data as data_lib
from zoo import distribute
from zoo import training

__all__ = ["BEST_WEIGHTS", "Trainer", "accuracy", "smoke_loss", "train"]

BEST_WEIGHTS = training.BEST_WEIGHTS


def _batch_indices(seed, step, n: int, batch: int):
  """Example indices of minibatch `step`: a slice of epoch (step // (n // batch))'s
  seeded permutation."""
  per_epoch = n // batch
  epoch = step // per_epoch
  position = step % per_epoch
  perm = tf.argsort(tf.random.stateless_uniform(
      [n], seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])))
  return perm[position * batch:(position + 1) * batch]


def shift_images(images, seed, max_shift: int):
  """Each image translated by a random (dy, dx) in [-max_shift, max_shift]^2, zero
  filled (the digits' background), drawn from the stateless `seed`."""
  if not max_shift:
    return images
  batch = tf.shape(images)[0]
  height, width = images.shape[1], images.shape[2]
  padded = tf.pad(images, [[0, 0], [max_shift] * 2, [max_shift] * 2, [0, 0]])
  offsets = tf.random.stateless_uniform(tf.stack([batch, 2]), seed=seed, minval=0,
                                        maxval=2 * max_shift + 1, dtype=tf.int32)
  rows = offsets[:, :1] + tf.range(height)[None, :]  # [B, H]
  cols = offsets[:, 1:] + tf.range(width)[None, :]  # [B, W]
  out = tf.gather(padded, rows, axis=1, batch_dims=1)  # [B, H, W + 2s, C]
  return tf.gather(out, cols, axis=2, batch_dims=1)


def make_train_step(model, optimizer, images, labels, batch_size: int, strategy,
                    max_shift: int = 0):
  """A compiled `step(seed, global_step) -> {"loss", "accuracy"}` under `strategy`."""
  n = int(images.shape[0])
  if n < batch_size:
    raise ValueError(f"batch_size={batch_size} is larger than the train split ({n})")
  images = tf.constant(images)
  labels = tf.constant(labels)
  variables = model.trainable_variables

  def replica_step(indices, shift_seed):
    x = shift_images(tf.gather(images, indices), shift_seed, max_shift)
    x, y = distribute.replica_slice((x, tf.gather(labels, indices)), batch_size)
    with tf.GradientTape() as tape:
      logits = model(x, training=True)
      per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
      loss = tf.nn.compute_average_loss(per_example, global_batch_size=batch_size)
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    correct = tf.reduce_sum(tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == y,
                                    tf.float32))
    return loss, correct / batch_size

  @tf.function
  def step(seed, global_step):
    indices = _batch_indices(seed, global_step, n, batch_size)
    shift_seed = tf.stack([tf.cast(seed, tf.int64) + 1_000_003,
                           tf.cast(global_step, tf.int64)])
    loss, acc = strategy.run(replica_step, args=(indices, shift_seed))
    total = tf.distribute.ReduceOp.SUM
    return {"loss": strategy.reduce(total, loss, axis=None),
            "accuracy": strategy.reduce(total, acc, axis=None)}

  return step


def accuracy(model, images, labels, batch_size: int = 1000) -> float:
  """Fraction of `images` the model classifies correctly."""
  fn = model.__dict__.setdefault(
      "_zoo_predict", tf.function(lambda x: tf.argmax(model(x), -1, output_type=tf.int32),
                                  reduce_retracing=True))
  correct = 0
  for start in range(0, len(images), batch_size):
    pred = fn(tf.constant(images[start:start + batch_size])).numpy()
    correct += int(np.sum(pred == labels[start:start + batch_size]))
  return correct / len(images)


class Trainer:
  """Trains a convnet of `config` from a given seed, in memory, with the CLI's recipe.

      trainer = Trainer(config, hyper=False)
      result = trainer.fit(seed=1, learning_rate=3e-3)   # best validation weights
      test_accuracy = trainer.test_accuracy()

  One model and one compiled step are reused across seeds and learning rates (the
  weights are re-initialised from a fresh model built with the seed, Adam's slots are
  zeroed), so the grid and the seeds trace the step once.
  """

  def __init__(self, config, hyper: bool, data_dir=None):
    self.config = config
    self.hyper = hyper
    self.data = {s: data_lib.load_images(config.dataset, s, data_dir)
                 for s in ("train", "validation", "test")}
    self.strategy = distribute.get_distribution_strategy()
    with self.strategy.scope():
      self.model = convnet.build_convnet(config, hyper=hyper)
      self.optimizer = keras.optimizers.Adam(config.learning_rate)
      self.optimizer.build(self.model.trainable_variables)
    self.step = make_train_step(self.model, self.optimizer, *self.data["train"],
                                config.batch_size, self.strategy, config.max_shift)

  def _reset(self, seed: int, learning_rate: float):
    keras.utils.set_random_seed(seed)
    fresh = convnet.build_convnet(self.config, hyper=self.hyper)
    self.model.set_weights(fresh.get_weights())
    for v in self.optimizer.variables:
      v.assign(tf.zeros_like(v))
    self.optimizer.learning_rate = learning_rate

  def fit(self, seed: int, learning_rate: float, steps=None) -> dict:
    """Trains from seed `seed`; leaves the best-validation weights in the model.

    Returns:
      {"validation_accuracy": best, "best_step": its step, "steps": steps run,
       "curve": [(step, validation accuracy)]}.
    """
    config = self.config
    steps = steps or config.train_steps
    self._reset(seed, learning_rate)
    best, best_step, best_weights = -1.0, -1, None
    curve = []
    for k in range(steps):
      self.step(tf.constant(seed, tf.int64), tf.constant(k, tf.int64))
      if (k + 1) % config.validate_every == 0 or k + 1 == steps:
        val = accuracy(self.model, *self.data["validation"])
        curve.append((k + 1, val))
        if val > best:  # As run_loop: strictly better objective (1 - accuracy).
          best, best_step, best_weights = val, k + 1, self.model.get_weights()
    self.model.set_weights(best_weights)
    return {"validation_accuracy": best, "best_step": best_step, "steps": steps,
            "curve": curve}

  def test_accuracy(self) -> float:
    return accuracy(self.model, *self.data["test"])


def smoke_loss(model, config):
  """Cross-entropy of the convnet on four random images (registry-driven tests)."""
  x = tf.random.stateless_uniform((4,) + config.image_shape, seed=[0, 1])
  logits = model(x, training=True)
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      tf.constant([0, 1, 2, 3]), logits))



def train(model, config, context: training.TrainContext) -> dict:
  """Trains the convnet `model` (built in the strategy's scope) with `run_loop`.

  The data order follows `context.seed`; the weights with the best validation
  accuracy are kept (and left in `model`).
  """
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  learning_rate = config.learning_rate if config.hyper else config.baseline_learning_rate
  images, labels = data_lib.load_images(config.dataset, "train")
  val_images, val_labels = data_lib.load_images(config.dataset, "validation")
  with strategy.scope():
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(model.trainable_variables)
  step = make_train_step(model, optimizer, images, labels, config.batch_size, strategy,
                         config.max_shift)
  seed = tf.constant(context.seed, tf.int64)

  def validate(step_number):
    del step_number
    acc = accuracy(model, val_images, val_labels)
    return 1.0 - acc, {"accuracy": acc}


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=lambda k: step(seed, k), total_steps=total,
      objects={"model": model, "optimizer": optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=model,
      strategy=strategy, log=context.log)
  return {
      "train_steps": result.final_step,
      "learning_rate": learning_rate,
      "best_validation_accuracy": 1.0 - result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
  }
