r"""Benchmarks of the HyperLSTM and the static hypernetwork, as ratios in one process.

    bazel run //models/hypernetworks:benchmark

1. Language models: seconds per compiled training step (a minibatch of the
   registered config: 128 windows of 100 characters, forward, backward, Adam) of
   every registered language model, and its training characters per second. The
   models are timed in interleaved rounds (each round times every model in turn) and
   the median round is kept, so load from other processes hits every model alike.
   Ratios are against the LSTM of the same width. With `--budget_s` it also prints
   each model's training steps for that wall-time budget (how `registration.py`
   sets `train_steps`).
2. Sampling: characters per second generated one at a time (batch 1).
3. Static hypernetwork: a training step of the hyper-convnet against the plain
   convnet (the kernels are regenerated at every step).
"""

import time

from absl import app
from absl import flags
from absl import logging
import keras
import numpy as np
import tensorflow as tf

from datasets import pydoc_chars
from models.hypernetworks import convnet
from models.hypernetworks import lm as lm_lib
from models.hypernetworks import registration
from models.hypernetworks import train_lm
from models.hypernetworks import train_static
from zoo import distribute
from zoo import evaluation

flags.DEFINE_integer("rounds", 12, "Interleaved timing rounds.")
flags.DEFINE_integer("steps_per_round", 3, "Timed training steps per model and round.")
flags.DEFINE_integer("sample_chars", 200, "Characters generated for the sampling rate.")
flags.DEFINE_float("budget_s", 0.0, "If > 0, print train_steps for this budget.")
flags.DEFINE_integer("static_steps", 10, "Timed training steps per convnet and round.")
FLAGS = flags.FLAGS

REFERENCE = "hypernetworks.pydoc_lstm"


def _lm_steps(names):
  strategy = distribute.get_distribution_strategy()
  ids = pydoc_chars.load_ids("train")
  steps = {}
  for name in names:
    config = registration.LM_VARIANTS[name.split(".", 1)[1]][0]
    keras.utils.set_random_seed(0)
    model = lm_lib.build_lm(config)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
    step = train_lm.make_train_step(model, optimizer, ids, config, strategy)
    seed = tf.constant(0, tf.int64)
    for k in range(2):  # Trace and warm up.
      step(seed, tf.constant(k, tf.int64))["loss"].numpy()
    steps[name] = (config, model, step)
  return steps


def _interleaved(fns: dict, rounds: int, calls: int) -> dict:
  """Median wall and CPU seconds per call of each function, timed in interleaved
  rounds (every function once per round, in turn)."""
  wall = {n: [] for n in fns}
  cpu = {n: [] for n in fns}
  for _ in range(rounds):
    for name, fn in fns.items():
      t0, c0 = time.perf_counter(), time.process_time()
      for _ in range(calls):
        fn()
      wall[name].append((time.perf_counter() - t0) / calls)
      cpu[name].append((time.process_time() - c0) / calls)
  return {n: (float(np.median(wall[n])), float(np.median(cpu[n]))) for n in fns}


def language_models():
  names = list(registration.LM_NAMES)
  steps = _lm_steps(names)
  counter = {"k": 2}

  def runner(step):
    def run():
      step(tf.constant(0, tf.int64), tf.constant(counter["k"], tf.int64))["loss"].numpy()
      counter["k"] += 1
    return run

  seconds = _interleaved({n: runner(steps[n][2]) for n in names}, FLAGS.rounds,
                         FLAGS.steps_per_round)
  ref_wall, ref_cpu = seconds[REFERENCE]
  rows = []
  for name in names:
    config, model, _ = steps[name]
    wall, cpu = seconds[name]
    row = [name.split(".", 1)[1],
           int(sum(np.prod(v.shape) for v in model.trainable_weights)), wall,
           config.batch_size * config.seq_length / wall, wall / ref_wall, cpu,
           cpu / ref_cpu]
    if FLAGS.budget_s > 0:
      row.append(int(round(FLAGS.budget_s / wall)))
    rows.append(row)
  headers = ["model", "params", "s / step", "training chars / s", "vs LSTM-256",
             "CPU s / step", "CPU vs LSTM-256"]
  if FLAGS.budget_s > 0:
    headers.append(f"steps in {FLAGS.budget_s:g} s")
  print(evaluation.format_table(
      headers, rows,
      title=(f"Language-model training steps, batch 128 x 100 characters (median of "
             f"{FLAGS.rounds} interleaved rounds of {FLAGS.steps_per_round} steps; "
             "CPU = this process's CPU time)")))
  return steps


def sampling(steps):
  rows = []
  for name in (REFERENCE, "hypernetworks.pydoc_hyperlstm"):
    _, model, _ = steps[name]
    lm_lib.sample(model, "The ", 5)  # Trace.
    t0 = time.perf_counter()
    lm_lib.sample(model, "The ", FLAGS.sample_chars)
    rows.append([name.split(".", 1)[1],
                 FLAGS.sample_chars / (time.perf_counter() - t0)])
  rows[1].append(rows[0][1] / rows[1][1])
  rows[0].append(1.0)
  print(evaluation.format_table(
      ["model", "generated chars / s", "time per char / LSTM-256's"], rows,
      title="Sampling, one character at a time"))


def static_networks():
  config = registration.DIGITS_STATIC
  strategy = distribute.get_distribution_strategy()
  images, labels = train_static.data_lib.load_images(config.dataset, "train")
  fns = {}
  for hyper in (True, False):
    keras.utils.set_random_seed(0)
    model = convnet.build_convnet(config, hyper=hyper)
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    step = train_static.make_train_step(model, optimizer, images, labels,
                                        config.batch_size, strategy, config.max_shift)
    seed = tf.constant(0, tf.int64)
    for k in range(3):
      step(seed, tf.constant(k, tf.int64))["loss"].numpy()
    fns[hyper] = (lambda step=step, seed=seed:
                  step(seed, tf.constant(5, tf.int64))["loss"].numpy())
  seconds = _interleaved(fns, FLAGS.rounds, FLAGS.static_steps)
  print(evaluation.format_table(
      ["network", "training steps / s", "step time / plain's"],
      [["hyper-convnet", 1 / seconds[True][0], seconds[True][0] / seconds[False][0]],
       ["plain convnet", 1 / seconds[False][0], 1.0]],
      title=(f"Static hypernetwork on digits, batch {config.batch_size} (median of "
             f"{FLAGS.rounds} interleaved rounds of {FLAGS.static_steps} steps)")))


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  tf.get_logger().setLevel("ERROR")  # Five models trace five steps, by design.
  steps = language_models()
  sampling(steps)
  static_networks()


if __name__ == "__main__":
  app.run(main)
