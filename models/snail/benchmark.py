r"""Benchmarks of SNAIL, as ratios measured in one process.

    bazel run //models/snail:benchmark

1. Few-shot throughput (the 5-way model's architecture): compiled training episodes
   per second (SNAIL + its ProtoNet, one step of the CLI's loop) and inference
   episodes per second (SNAIL alone, 5-way 1-shot, one query per class), against the
   ProtoNet's inference.
2. Acting step by step (the bandit agent, a 100-pull trial of 32 bandits): the
   cached incremental step (§3.1's constant cost per step for the convolutions)
   against recomputing the whole causal pass over the prefix at every step, both
   compiled; the ratio is the time per trial.
"""


from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from models.snail import bandit
from models.snail import episodes
from models.snail import model as model_lib
from models.snail import registration
from models.snail import train as train_lib
from zoo import distribute
from zoo import evaluation

FLAGS = flags.FLAGS
flags.DEFINE_integer("repeats", 3, "Timed calls per measurement (best of).")


def _synthetic_sampler(config, num_classes=40, per_class=20):
  rng = np.random.default_rng(0)
  images = rng.uniform(size=(num_classes * per_class, config.image_size,
                             config.image_size, 1)).astype(np.float32)
  return episodes.EpisodeSampler(images, np.repeat(np.arange(num_classes), per_class),
                                 config.way, rotations=True)


def few_shot_rows(repeats):
  import keras  # pylint: disable=g-import-not-at-top
  config = registration.GLYPHS_5WAY
  strategy = distribute.get_distribution_strategy()
  with strategy.scope():
    model = model_lib.build_from_config(config)
    opt = keras.optimizers.Adam(1e-3)
    opt.build(model.embedding.trainable_variables + model.stack.trainable_variables
              + model.head.trainable_variables)
    base_opt = keras.optimizers.Adam(1e-3)
    base_opt.build(model.protonet.trainable_variables)
  sampler = _synthetic_sampler(config)
  step = train_lib.make_train_step(model, opt, base_opt, sampler, config, strategy, 0)
  counter = [0]

  def train_once():
    counter[0] += 1
    step(tf.constant(counter[0], tf.int64))

  batch = 50
  sx, sy, qx, _ = sampler.sample([0, 0], batch, 1, 1)
  snail = tf.function(lambda: model.episode_logits(sx, sy, qx))
  proto = tf.function(lambda: model.protonet_logits(sx, sy, qx))
  t_train = evaluation.best_time(train_once, repeats)
  t_snail = evaluation.best_time(lambda: snail().numpy(), repeats)
  t_proto = evaluation.best_time(lambda: proto().numpy(), repeats)
  return [
      ["training (SNAIL + ProtoNet), episodes/s", config.batch_episodes / t_train, "-"],
      ["inference SNAIL 5-way 1-shot, episodes/s", batch / t_snail,
       f"{t_proto / t_snail:.3f} x ProtoNet's rate"],
      ["inference ProtoNet 5-way 1-shot, episodes/s", batch / t_proto, "1"],
  ]


def acting_rows(repeats):
  config = registration.BANDIT_K5_N100
  net = bandit.build_from_config(config)
  batch, length = 32, config.num_pulls
  x = tf.random.stateless_uniform([batch, length, net.input_dim], seed=[1, 2])

  @tf.function
  def cached():
    state = net.initial_state(batch)
    out = tf.TensorArray(tf.float32, size=length)
    for t in tf.range(length):
      logits, _, state = net.step(x[:, t], state)
      out = out.write(t, logits)
    return out.stack()

  @tf.function
  def recomputed():
    out = tf.TensorArray(tf.float32, size=length)
    for t in tf.range(length):
      logits, _ = net.unroll(x[:, :t + 1])
      out = out.write(t, logits[:, -1])
    return out.stack()

  a, b = cached().numpy(), recomputed().numpy()
  max_diff = float(np.abs(a - b).max())
  t_cached = evaluation.best_time(lambda: cached().numpy(), repeats)
  t_full = evaluation.best_time(lambda: recomputed().numpy(), repeats)
  return [
      [f"act {length} steps x {batch} trials, cached step, ms/step",
       1000 * t_cached / length, f"{t_full / t_cached:.2f} x faster"],
      [f"act {length} steps x {batch} trials, recompute prefix, ms/step",
       1000 * t_full / length, "1"],
      ["max |cached - recomputed| logits", max_diff, "-"],
  ]


def main(argv):
  del argv
  rows = few_shot_rows(FLAGS.repeats) + acting_rows(FLAGS.repeats)
  print(evaluation.format_table(["measurement", "value", "ratio"], rows,
                                title="SNAIL benchmarks (one process, same machine)"))


if __name__ == "__main__":
  app.run(main)
