r"""Benchmarks of the RNN optimizer, as ratios measured in one process.

    bazel run //models/blackbox_rnn:benchmark -- --model=blackbox_rnn.gp2d

1. Seconds per proposal: the RNN through `minimize` (one function, the way a user
   calls it) against GP-EI (scikit-learn GP refit plus acquisition search), on the
   same held-out GP functions and budget. Chen et al. (2016) report the RNN as far
   faster per query because no GP is refitted.
2. The RNN batched over many functions at once against one at a time.
3. Meta-training throughput: the compiled training step against the same step run
   eagerly.
"""

import time

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

import zoo
from models.blackbox_rnn import baselines
from models.blackbox_rnn import tasks as tasks_lib
from models.blackbox_rnn import train as train_lib
from zoo import distribute
from zoo import evaluation

flags.DEFINE_string("model", "blackbox_rnn.gp2d", "A registered blackbox_rnn name.")
flags.DEFINE_integer("functions", 5, "GP functions each method optimizes for timing.")
flags.DEFINE_integer("batch", 100, "Functions in the batched RNN rollout.")
flags.DEFINE_integer("compiled_steps", 20, "Timed compiled meta-training steps.")
flags.DEFINE_integer("eager_steps", 1, "Timed eager meta-training steps.")
FLAGS = flags.FLAGS


def _net(name):
  pretrained = zoo.CheckpointStore().has(name)
  return zoo.create(name, pretrained=pretrained), pretrained


def proposal_times(net, config):
  """(RNN minimize s/proposal, GP-EI s/proposal, RNN batched s/proposal/function)."""
  test = tasks_lib.gp_tasks(config.family(), "test", 0, max(FLAGS.functions,
                                                            FLAGS.batch))
  bounds = [(0.0, 1.0)] * config.dim
  net.minimize(test.function(0), bounds)  # Traces the compiled step.
  rnn = np.mean([net.minimize(test.function(i), bounds).seconds_per_proposal
                 for i in range(FLAGS.functions)])
  settings = baselines.GPEISettings(
      kernel=config.gp_ei_kernels[0],
      initial_points=config.initial_points(config.gp_ei_initial_points[0]))
  gp_seconds = [s for i in range(FLAGS.functions) for s in baselines.gp_ei(
      test.function(i), config.dim, config.horizon, i, settings).proposal_seconds]
  batch = test.subset(range(FLAGS.batch))
  train_lib.propose_on_rff(net, batch.rff, config.horizon)  # Traces.
  t0 = time.perf_counter()
  train_lib.propose_on_rff(net, batch.rff, config.horizon)
  batched = (time.perf_counter() - t0) / (FLAGS.batch * config.horizon)
  return float(rnn), float(np.mean(gp_seconds)), batched


def meta_training_throughput(config):
  net = zoo.create(FLAGS.model, pretrained=False)
  meta_opt = keras.optimizers.Adam(config.meta_learning_rate)
  meta_opt.build(net.trainable_variables)
  step = train_lib.make_train_step(net, meta_opt, config.family(), config,
                                   distribute.get_distribution_strategy())

  def rate(fn, n, warmup):
    for i in range(warmup):
      fn(i)
    t0 = time.perf_counter()
    for i in range(n):
      fn(warmup + i)
    return n / (time.perf_counter() - t0)

  compiled = rate(lambda i: step(tf.constant(i, tf.int64))["meta_loss"].numpy(),
                  FLAGS.compiled_steps, 1)
  eager = rate(lambda i: step.python_function(tf.constant(i, tf.int64))["meta_loss"]
               .numpy(), FLAGS.eager_steps, 0)
  return compiled, eager


def main(argv):
  del argv
  net, pretrained = _net(FLAGS.model)
  config = net.zoo_config
  rnn, gp_seconds, batched = proposal_times(net, config)
  compiled, eager = meta_training_throughput(config)
  rows = [
      [f"s/proposal, RNN minimize() vs GP-EI ({config.dim}-d, {config.horizon} "
       "queries)", rnn, gp_seconds, gp_seconds / rnn],
      [f"s/proposal/function, RNN batched over {FLAGS.batch} vs one at a time",
       batched, rnn, rnn / batched],
      [f"meta-training steps/s (meta-batch {config.meta_batch_size}), compiled vs "
       "eager", compiled, eager, compiled / eager],
  ]
  print(evaluation.format_table(
      ["measurement", "ours", "baseline", "ratio (speed-up)"], rows,
      title=(f"Benchmarks of {FLAGS.model} ({'shipped' if pretrained else 'untrained'} "
             "weights; timings do not depend on them)")))


if __name__ == "__main__":
  app.run(main)
