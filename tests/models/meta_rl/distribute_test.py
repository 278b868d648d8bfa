"""A rollout-and-update step under MirroredStrategy (two logical CPUs) equals one
device: the same global batch of tasks, sliced per replica, the same advantages
(normalised with all-reduced statistics) and the same summed gradients."""

from absl.testing import absltest
import keras

from models.meta_rl import config as config_lib
from models.meta_rl import model as model_lib
from models.meta_rl import train
from tests import distribute_util
from zoo import distribute


_STRATEGIES = {}


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.
  # One strategy object of each kind per process: two MirroredStrategy objects
  # would issue collectives with clashing instance keys.
  _STRATEGIES["one_device"] = distribute.get_distribution_strategy("one_device")
  _STRATEGIES["mirrored"] = distribute.get_distribution_strategy("mirrored")


class _AgentAndCritic(keras.Model):
  """The agent and its separate critic, as one model whose weights are both's."""

  def __init__(self, config):
    super().__init__()
    self.net = model_lib.build_from_config(config)
    self.critic = model_lib.build_critic(config)


class MirroredStepTest(absltest.TestCase):

  def _check(self, config):
    keras.utils.set_random_seed(1)
    distribute_util.assert_same_steps(
        self, lambda: model_lib.build_from_config(config),
        lambda net, opts, strategy: train.make_train_step(net, opts[0], config,
                                                          strategy, seed=3),
        [lambda net: net.trainable_variables], _STRATEGIES["one_device"],
        _STRATEGIES["mirrored"])

  def test_ppo_rl2_on_mdps(self):
    self._check(config_lib.MetaRLConfig(
        env_kind="mdp", num_episodes=2, units=16, batch_size=8, ppo_epochs=2,
        grad_clip=0.5, train_steps=10))

  def test_a2c_lstm_on_bandits(self):
    self._check(config_lib.MetaRLConfig(
        env_kind="bandit", num_arms=3, num_pulls=10, bandit_episode_length=10,
        cell="lstm", units=8, algorithm="a2c", ppo_epochs=1, batch_size=8,
        train_steps=10))

  def test_a2c_lstm_with_the_count_critic(self):
    config = config_lib.MetaRLConfig(
        env_kind="bandit", num_arms=2, num_pulls=10, bandit_episode_length=10,
        cell="lstm", units=8, algorithm="a2c", ppo_epochs=1, batch_size=8,
        critic="counts", critic_units=8, gae_lambda=0.5, train_steps=10)
    keras.utils.set_random_seed(1)
    distribute_util.assert_same_steps(
        self, lambda: _AgentAndCritic(config),
        lambda pair, opts, strategy: train.make_train_step(
            pair.net, opts[0], config, strategy, seed=3, critic=pair.critic),
        [lambda pair: pair.net.trainable_variables + pair.critic.trainable_variables],
        _STRATEGIES["one_device"], _STRATEGIES["mirrored"])

  def test_a2c_lstm_on_the_bayes_advantage(self):
    # Each replica looks its pulls' losses up in the same program table.
    self._check(config_lib.MetaRLConfig(
        env_kind="bandit", num_arms=2, num_pulls=10, bandit_episode_length=10,
        cell="lstm", units=8, algorithm="a2c", ppo_epochs=1, batch_size=8,
        train_reward="bayes_advantage", train_steps=10))


if __name__ == "__main__":
  absltest.main()
