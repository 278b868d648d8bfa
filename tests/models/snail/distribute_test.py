"""SNAIL's training steps under MirroredStrategy (two logical CPUs) equal one device.

The bandit agent runs through the meta-RL learner (same global batch of tasks, sliced
per replica; advantages normalised with all-reduced statistics); the few-shot step
slices the global batch of episodes, and its encoders' batch norm all-reduces its
batch statistics, so each replica normalises with the global batch's moments.
"""

from absl.testing import absltest
import keras
import numpy as np

from models.meta_rl import train as meta_train
from models.snail import bandit
from models.snail import config as config_lib
from models.snail import episodes
from models.snail import model as model_lib
from models.snail import train as train_lib
from tests import distribute_util
from zoo import distribute

_STRATEGIES = {}


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.
  # One strategy object of each kind per process: two MirroredStrategy objects
  # would issue collectives with clashing instance keys.
  _STRATEGIES["one_device"] = distribute.get_distribution_strategy("one_device")
  _STRATEGIES["mirrored"] = distribute.get_distribution_strategy("mirrored")


def _images(num_classes=12, per_class=5, seed=0):
  rng = np.random.default_rng(seed)
  patterns = (rng.uniform(size=(num_classes, 16, 16)) > 0.7).astype(np.float32)
  images = np.repeat(patterns, per_class, axis=0)
  images = np.clip(images + rng.normal(0, 0.2, images.shape), 0, 1)
  return images[..., None].astype(np.float32), np.repeat(np.arange(num_classes),
                                                          per_class)


class MirroredStepTest(absltest.TestCase):

  def _compare(self, build, make_step, variable_groups):
    distribute_util.assert_same_steps(self, build, make_step, variable_groups,
                                      _STRATEGIES["one_device"], _STRATEGIES["mirrored"])

  def test_bandit_agent_a2c_step(self):
    config = bandit.SnailBanditConfig(
        env_kind="bandit", num_arms=3, num_pulls=8, algorithm="a2c", ppo_epochs=1,
        batch_size=8, train_steps=10, input_units=8, policy_blocks=("t8", "a8x8"),
        value_blocks=("t4", "a4x4"))
    keras.utils.set_random_seed(1)
    self._compare(
        lambda: bandit.build_from_config(config),
        lambda net, opts, strategy: meta_train.make_train_step(
            net, opts[0], config, strategy, seed=3),
        [lambda net: net.trainable_variables])

  def test_few_shot_step(self):
    config = config_lib.FewShotConfig(
        way=3, min_shots=1, max_shots=2, image_size=16, embedding_filters=8,
        embedding_blocks=3, blocks=("a16x8", "t8", "a16x8"), batch_episodes=8,
        queries_per_class=2, learning_rate=3e-3, baseline_learning_rate=3e-3)
    sampler = episodes.EpisodeSampler(*_images(), way=3)
    keras.utils.set_random_seed(2)
    self._compare(
        lambda: model_lib.build_from_config(config),
        lambda model, opts, strategy: train_lib.make_train_step(
            model, opts[0], opts[1], sampler, config, strategy, seed=5),
        [lambda m: (m.embedding.trainable_variables + m.stack.trainable_variables
                    + m.head.trainable_variables),
         lambda m: m.protonet.trainable_variables])


if __name__ == "__main__":
  absltest.main()
