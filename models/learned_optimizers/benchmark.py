r"""The zoo's learned optimizers side by side, as ratios measured in one process.

    bazel run //models/learned_optimizers:benchmark

1. Step cost: one compiled training step of a Keras MLP (784-128-10, 101,770
   parameters, batch 128) with each learned optimizer's Keras optimizer, against the
   same step with Adam (ratio = its step time / Adam's).
2. Meta-training throughput: optimizee steps per second inside meta-training (tasks x
   inner steps per second), compiled (`tf.function`) against the same step run
   eagerly (ratio = speed-up). LSTM: quadratics, meta-batch 128, 100 steps; HRNN:
   logistic regression, meta-batch 16, one 40-step unroll; policy: logistic
   regression, one PPO iteration (64 tasks x 100 steps, plus the noise-free baseline
   run and 8 minibatch updates).
"""

import time

from absl import app
from absl import flags
import keras
import tensorflow as tf

from models import optimizees
from models.hrnn import config as hrnn_config
from models.hrnn import model as hrnn_model
from models.hrnn import optimizer as hrnn_optimizer
from models.hrnn import train as hrnn_train
from models.l2l_lstm import config as l2l_config
from models.l2l_lstm import model as l2l_model
from models.l2l_lstm import optimizer as l2l_optimizer
from models.l2l_lstm import train as l2l_train
from models.l2o_policy import config as policy_config
from models.l2o_policy import model as policy_model
from models.l2o_policy import optimizer as policy_optimizer
from models.l2o_policy import train as policy_train
from zoo import distribute
from zoo import evaluation

flags.DEFINE_integer("model_steps", 100, "Timed Keras training steps per optimizer.")
flags.DEFINE_integer("compiled_steps", 5, "Timed compiled meta-training steps.")
flags.DEFINE_integer("eager_steps", 1, "Timed eager meta-training steps.")
FLAGS = flags.FLAGS


def _seconds(fn, n, warmup=1):
  for i in range(warmup):
    fn(i)
  t0 = time.perf_counter()
  for i in range(n):
    fn(warmup + i)
  return (time.perf_counter() - t0) / n


def _mlp():
  keras.utils.set_random_seed(0)
  return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, "relu"),
                           keras.layers.Dense(10)])


def step_costs():
  """Seconds per Keras training step, per optimizer."""
  x = tf.random.stateless_normal([128, 784], [0, 1])
  y = tf.random.stateless_uniform([128], [0, 2], maxval=10, dtype=tf.int32)
  loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
  makers = {
      "Adam": lambda: keras.optimizers.Adam(1e-3),
      "LSTM (Andrychowicz et al.)": lambda: l2l_optimizer.LearnedOptimizer(
          l2l_model.build_from_config(l2l_config.L2LConfig())),
      "HRNN (Wichrowska et al.)": lambda: hrnn_optimizer.HRNNOptimizer(
          hrnn_model.build_from_config(hrnn_config.HRNNConfig())),
      "policy (Li & Malik)": lambda: policy_optimizer.PolicyOptimizer(
          policy_model.build_from_config(policy_config.PolicyConfig())),
  }
  seconds, params = {}, 0
  for name, make in makers.items():
    model = _mlp()
    params = model.count_params()
    opt = make()
    opt.build(model.trainable_variables)
    observe = isinstance(opt, policy_optimizer.PolicyOptimizer)

    @tf.function
    def train_step(model=model, opt=opt, observe=observe):
      with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
      grads = tape.gradient(loss, model.trainable_variables)
      if observe:
        opt.observe_loss(loss)
      opt.apply_gradients(zip(grads, model.trainable_variables))
      return loss

    seconds[name] = _seconds(lambda _, f=train_step: f().numpy(), FLAGS.model_steps, 3)
  return seconds, params


def _l2l_step():
  config = l2l_config.L2LConfig(meta_batch_size=128)
  net = l2l_model.build_from_config(config)
  opt = keras.optimizers.Adam(1e-3)
  opt.build(net.trainable_variables)
  step = l2l_train.make_train_step(net, opt, config.family(), config,
                                   distribute.get_distribution_strategy())
  return lambda i: step(tf.constant(i, tf.int64)), 128 * config.optimization_steps


def _hrnn_step():
  config = hrnn_config.HRNNConfig(meta_batch_size=16, unroll_length=40)
  net = hrnn_model.build_from_config(config)
  opt = keras.optimizers.Adam(1e-3)
  opt.build(net.trainable_variables)
  family = optimizees.get_family("logistic", horizon=400)
  step = hrnn_train.make_train_step(net, opt, family, config,
                                    distribute.get_distribution_strategy())
  return lambda i: step(tf.constant(i, tf.int64), 1), 16 * 40


def _policy_step():
  config = policy_config.PolicyConfig()
  net = policy_model.build_from_config(config)
  opts = [keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)]
  for opt in opts:
    opt.build(net.trainable_variables)
  family = optimizees.get_family("logistic")
  _, step = policy_train.make_train_steps(net, *opts, family, config,
                                          distribute.get_distribution_strategy(), 0)
  return lambda i: step(tf.constant(i, tf.int64)), config.batch_tasks * config.horizon * 2


def meta_training_rates():
  """(compiled, eager) optimizee steps per second, per learned optimizer."""
  rates = {}
  for name, make in (("LSTM (Andrychowicz et al.)", _l2l_step),
                     ("HRNN (Wichrowska et al.)", _hrnn_step),
                     ("policy (Li & Malik)", _policy_step)):
    step, inner = make()
    fast = _seconds(step, FLAGS.compiled_steps)
    tf.config.run_functions_eagerly(True)
    try:
      slow = _seconds(step, FLAGS.eager_steps, warmup=0)
    finally:
      tf.config.run_functions_eagerly(False)
    rates[name] = (inner / fast, inner / slow)
  return rates


def main(argv):
  del argv
  seconds, params = step_costs()
  rows = [[name, 1e3 * s, 1e3 * seconds["Adam"], s / seconds["Adam"]]
          for name, s in seconds.items() if name != "Adam"]
  print(evaluation.format_table(
      ["optimizer", "ms / step", "Adam ms / step", "ratio"], rows,
      title=f"Keras training step, {params:,}-parameter MLP, batch 128 (ratio = cost / "
            "Adam's)"))
  rates = meta_training_rates()
  rows = [[name, c, e, c / e] for name, (c, e) in rates.items()]
  print(evaluation.format_table(
      ["meta-training", "optimizee steps/s compiled", "eager", "ratio"], rows,
      title="Meta-training throughput (ratio = compiled speed-up)"))


if __name__ == "__main__":
  app.run(main)
