r"""Benchmarks of the LSTM optimizer, as ratios measured in one process.

    bazel run //models/l2l_lstm:benchmark

1. Meta-training throughput: the compiled training step (`tf.function`) against the
   same step run eagerly, in training steps (100-step optimizations of a meta-batch)
   per second.
2. Step cost: one training step of a Keras MLP (about 100k parameters) with the
   learned optimizer (`LearnedOptimizer`) against the same step with Adam, both
   compiled.
"""

import time

from absl import app
from absl import flags
import keras
import tensorflow as tf

from models.l2l_lstm import config as config_lib
from models.l2l_lstm import model as model_lib
from models.l2l_lstm import optimizer as optimizer_lib
from models.l2l_lstm import train as train_lib
from zoo import distribute
from zoo import evaluation

flags.DEFINE_integer("compiled_steps", 20, "Timed compiled meta-training steps.")
flags.DEFINE_integer("eager_steps", 2, "Timed eager meta-training steps.")
flags.DEFINE_integer("model_steps", 200, "Timed Keras training steps per optimizer.")
flags.DEFINE_integer("meta_batch_size", 128, "Quadratics per meta-training step.")
FLAGS = flags.FLAGS


def _rate(fn, n, warmup=1):
  for i in range(warmup):
    fn(i)
  t0 = time.perf_counter()
  for i in range(n):
    fn(warmup + i)
  return n / (time.perf_counter() - t0)


def meta_training_throughput():
  config = config_lib.L2LConfig(meta_batch_size=FLAGS.meta_batch_size)
  strategy = distribute.get_distribution_strategy()
  net = model_lib.build_from_config(config)
  meta_opt = keras.optimizers.Adam(config.meta_learning_rate)
  meta_opt.build(net.trainable_variables)
  step = train_lib.make_train_step(net, meta_opt, config.family(), config, strategy)
  compiled = _rate(lambda i: step(tf.constant(i, tf.int64))["meta_loss"].numpy(),
                   FLAGS.compiled_steps)
  eager = _rate(lambda i: step.python_function(tf.constant(i, tf.int64))["meta_loss"]
                .numpy(), FLAGS.eager_steps, warmup=0)
  return compiled, eager


def optimizer_step_cost():
  x = tf.random.stateless_normal([128, 784], [0, 1])
  y = tf.random.stateless_uniform([128], [0, 2], maxval=10, dtype=tf.int32)
  rates = {}
  params = None
  for name in ("adam", "lstm"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, "relu"),
                              keras.layers.Dense(10)])
    params = model.count_params()
    opt = (keras.optimizers.Adam(1e-3) if name == "adam" else
           optimizer_lib.LearnedOptimizer(model_lib.CoordinatewiseLSTM()))
    opt.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(model=model, opt=opt, loss_fn=loss_fn):
      with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
      grads = tape.gradient(loss, model.trainable_variables)
      opt.apply_gradients(zip(grads, model.trainable_variables))
      return loss

    rates[name] = _rate(lambda _: train_step().numpy(), FLAGS.model_steps, warmup=3)
  return rates, params


def main(argv):
  del argv
  compiled, eager = meta_training_throughput()
  rates, params = optimizer_step_cost()
  rows = [
      ["meta-training steps/s (meta-batch "
       f"{FLAGS.meta_batch_size}, 100 steps, 5 unrolls)", compiled, eager,
       compiled / eager],
      [f"Keras training steps/s ({params:,} params, batch 128)", rates["lstm"],
       rates["adam"], rates["adam"] / rates["lstm"]],
  ]
  print(evaluation.format_table(
      ["measurement", "ours", "baseline", "ratio"], rows,
      title=("Benchmarks (row 1: compiled vs eager, ratio = speed-up; row 2: "
             "LearnedOptimizer vs Adam, ratio = LSTM step cost / Adam step cost)")))


if __name__ == "__main__":
  app.run(main)
