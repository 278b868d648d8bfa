"""Training of the character language models (HyperLSTM and the LSTM baselines).

The paper's recipe (§4.4, appendix A.2.1): Adam, gradients clipped to a global norm
of 1, minibatches of windows of `seq_length` characters with a zero initial state,
recurrent dropout on the candidate. The windows of step k are a pure function of
(seed, k), and so are its dropout masks, so a resumed run repeats exactly what the
killed run would have done. The step is data-parallel over the minibatch
(`strategy.run`); the gradient is all-reduced before it is clipped, so the clipping
sees the global gradient, as on one device.
"""

import json
import os
import time

import keras
import tensorflow as tf

from datasets import pydoc_chars
from models.hypernetworks import data as data_lib
from models.hypernetworks import lm as lm_lib
from zoo import distribute
from zoo import training

__all__ = ["BEST_WEIGHTS", "make_train_step", "smoke_loss", "train"]

BEST_WEIGHTS = training.BEST_WEIGHTS


def sequence_loss(model, windows, training: bool):
  """Mean cross-entropy (nats) per window `[B]` of predicting windows[:, 1:]."""
  logits, _ = model(windows[:, :-1], training=training)
  nats = tf.nn.sparse_softmax_cross_entropy_with_logits(windows[:, 1:], logits)
  return tf.reduce_mean(nats, axis=-1)


def make_train_step(model, optimizer, train_ids, config, strategy):
  """A compiled `step(seed, global_step) -> {"loss", "bpc", "grad_norm"}`."""
  ids = tf.constant(train_ids, tf.int32)
  batch = config.batch_size
  variables = model.trainable_variables

  def replica_step(windows):
    windows = distribute.replica_slice(windows, batch)
    with tf.GradientTape() as tape:
      loss = tf.nn.compute_average_loss(sequence_loss(model, windows, training=True),
                                        global_batch_size=batch)
    # Dense: the embedding's gradient is IndexedSlices, and the table is small.
    grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, variables)]
    ctx = tf.distribute.get_replica_context()
    # Clip the global gradient: sum over replicas first. The optimizer sums again
    # over replicas, hence the division.
    grads = ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    grads, norm = tf.clip_by_global_norm(grads, config.grad_clip)
    scale = 1.0 / ctx.num_replicas_in_sync
    optimizer.apply_gradients(zip([g * scale for g in grads], variables))
    return loss, norm

  @tf.function
  def step(seed, global_step):
    windows = data_lib.char_windows(ids, seed, global_step, batch, config.seq_length)
    model.set_dropout_seed(tf.stack([tf.cast(seed, tf.int64) + 7_919,
                                     tf.cast(global_step, tf.int64)]))
    loss, norm = strategy.run(replica_step, args=(windows,))
    loss = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
    norm = strategy.reduce(tf.distribute.ReduceOp.MEAN, norm, axis=None)
    return {"loss": loss, "bpc": loss / tf.math.log(2.0), "grad_norm": norm}

  return step


def smoke_loss(model, config):
  """Cross-entropy of two short windows of the corpus' alphabet (registry tests)."""
  del config
  windows = tf.constant(pydoc_chars.encode("The quick brown fox!\nThe lazy dog jumps."
                                           )[:40].reshape(2, 20), tf.int32)
  return tf.reduce_mean(sequence_loss(model, windows, training=False))



PROGRESS = "progress.json"


def _read_progress(model_dir: str, start_step: int) -> dict:
  """The validation curve and training time of earlier runs in `model_dir`, cut at
  the step the resumed run starts from."""
  path = os.path.join(model_dir, PROGRESS)
  if not os.path.exists(path):
    return {"curve": [], "train_time_s": 0.0}
  with open(path) as f:
    progress = json.load(f)
  progress["curve"] = [p for p in progress["curve"] if p[0] <= start_step]
  if progress["curve"]:
    progress["train_time_s"] = progress["curve"][-1][1]
  return progress


def _write_progress(model_dir: str, progress: dict):
  tmp = os.path.join(model_dir, PROGRESS + ".tmp")
  with open(tmp, "w") as f:
    json.dump(progress, f)
  os.replace(tmp, os.path.join(model_dir, PROGRESS))


def train(model, config, context: training.TrainContext) -> dict:
  """Trains the language model `model` (built in the strategy's scope) for
  `train_steps` steps on the train split, keeping the weights with the lowest
  validation bits per character (left in `model` at the end).

  Besides `run_loop`'s outputs it records, for the equal-wall-time comparison, the
  training time (wall time without the validations, summed over resumed runs) and
  the validation curve [(step, training time s, bpc)], in `model_dir/progress.json`
  and in the returned metrics.
  """
  strategy = context.strategy
  total = context.train_steps or config.train_steps
  train_ids = pydoc_chars.load_ids("train")
  val_ids = pydoc_chars.load_ids("validation")
  with strategy.scope():
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
  step = make_train_step(model, optimizer, train_ids, config, strategy)
  seed = tf.constant(context.seed, tf.int64)
  clock = {"start": None, "validation_s": 0.0, "progress": None}

  def step_fn(k):
    if clock["start"] is None:  # First step of this run: k is where it resumed.
      clock["start"] = time.time()
      clock["progress"] = _read_progress(context.model_dir, int(k))
    return step(seed, k)

  def train_time():
    return (clock["progress"]["train_time_s"] + time.time() - clock["start"]
            - clock["validation_s"])

  def validate(step_number):
    t0 = time.time()
    bpc = lm_lib.bits_per_char(model, val_ids, config.eval_streams,
                               config.eval_chunk)["bpc"]
    clock["validation_s"] += time.time() - t0
    progress = clock["progress"]
    progress["curve"].append([int(step_number), round(train_time(), 2), bpc])
    if distribute.is_chief(strategy):
      _write_progress(context.model_dir, progress)
    return bpc, {"train_time_s": train_time()}


  result = training.run_loop(
      model_dir=context.model_dir, step_fn=step_fn, total_steps=total,
      objects={"model": model, "optimizer": optimizer},
      checkpoint_every=config.checkpoint_every, log_every=config.log_every,
      validate_fn=validate, validate_every=config.validate_every, keep_best=model,
      strategy=strategy, log=context.log)
  progress = clock["progress"] or _read_progress(context.model_dir, result.final_step)
  metrics = {
      "train_steps": result.final_step,
      "best_validation_bpc": result.best_objective,
      "best_step": result.best_step,
      "steps_this_run": result.steps_run,
      "wall_time_this_run_s": round(result.wall_time_s, 1),
      "training_wall_time_s": (round(progress["curve"][-1][1], 1)
                               if progress["curve"] else None),
      "validation_curve": progress["curve"],
  }
  model.__dict__["_zoo_training"] = metrics  # For the evaluation that follows.
  return metrics
