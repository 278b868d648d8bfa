"""PPO / A2C over trials: GAE numerics, a tiny learning test, errors."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.meta_rl import baselines
from models.meta_rl import config as config_lib
from models.meta_rl import model as model_lib
from models.meta_rl import rollout
from models.meta_rl import train
from zoo import distribute
from zoo import training


class GAETest(absltest.TestCase):

  def test_against_a_numpy_reference(self):
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=(3, 7)).astype(np.float32)
    values = rng.normal(size=(3, 7)).astype(np.float32)
    gamma, lam = 0.9, 0.7
    adv, ret = train.gae(tf.constant(rewards), tf.constant(values), gamma, lam)
    expected = np.zeros_like(rewards)
    acc = np.zeros(3)
    for t in range(6, -1, -1):
      next_v = values[:, t + 1] if t < 6 else 0.0
      acc = rewards[:, t] + gamma * next_v - values[:, t] + gamma * lam * acc
      expected[:, t] = acc
    np.testing.assert_allclose(adv.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ret.numpy(), expected + values, rtol=1e-5, atol=1e-6)

  def test_lambda_one_gives_discounted_returns(self):
    rewards = tf.constant([[1.0, 0.0, 2.0]])
    _, ret = train.gae(rewards, tf.constant([[5.0, -1.0, 3.0]]), 0.5, 1.0)
    np.testing.assert_allclose(ret.numpy(), [[1.5, 1.0, 2.0]], rtol=1e-6)


class ConfigTest(absltest.TestCase):

  def test_errors_name_the_value(self):
    with self.assertRaisesRegex(ValueError, "algorithm must be one of.*'trpo'"):
      config_lib.MetaRLConfig(algorithm="trpo")
    with self.assertRaisesRegex(ValueError, "gamma must be in \\[0, 1\\]; received: 1.5"):
      config_lib.MetaRLConfig(gamma=1.5)
    with self.assertRaisesRegex(ValueError, "env_kind must be one of .*'pomdp'"):
      config_lib.MetaRLConfig(env_kind="pomdp")
    with self.assertRaisesRegex(ValueError, "prior must be one of"):
      config_lib.MetaRLConfig(num_arms=2, prior="trivial")
    with self.assertRaisesRegex(ValueError, "train_reward must be .*'mean'"):
      config_lib.MetaRLConfig(train_reward="mean")
    with self.assertRaisesRegex(ValueError, "independent two-armed bandits only"):
      config_lib.MetaRLConfig(num_arms=5, train_reward="bayes_advantage")
    with self.assertRaisesRegex(ValueError, "independent two-armed bandits only"):
      config_lib.MetaRLConfig(env_kind="mdp", train_reward="bayes_advantage")
    with self.assertRaisesRegex(ValueError, "task_advantage' is for env_kind='mdp'"):
      config_lib.MetaRLConfig(train_reward="task_advantage")
    with self.assertRaisesRegex(ValueError, "set ppo_epochs=1.*received ppo_epochs=3"):
      config_lib.MetaRLConfig(algorithm="a2c", ppo_epochs=3)
    # Environment fields the environment would ignore.
    with self.assertRaisesRegex(ValueError, "'informative_arm' does not use num_arms"):
      config_lib.MetaRLConfig(env_kind="informative_arm", num_arms=3)
    with self.assertRaisesRegex(ValueError, "'mdp' does not use num_pulls, prior"):
      config_lib.MetaRLConfig(env_kind="mdp", num_pulls=10, prior="easy")
    with self.assertRaisesRegex(ValueError, "'bandit' does not use common_prob"):
      config_lib.MetaRLConfig(common_prob=0.8)
    config_lib.MetaRLConfig(env_kind="two_step", num_episodes=50, common_prob=0.8)
    with self.assertRaisesRegex(ValueError, "at most one test block.*2000000"):
      config_lib.MetaRLConfig(num_test_tasks=2_000_000)
    with self.assertRaisesRegex(ValueError, "critic must be one of.*'oracle'"):
      config_lib.MetaRLConfig(critic="oracle")
    with self.assertRaisesRegex(ValueError, "critic='counts'.*received env_kind='mdp'"):
      config_lib.MetaRLConfig(env_kind="mdp", critic="counts")
    with self.assertRaisesRegex(ValueError, "belong to critic='counts'"):
      config_lib.MetaRLConfig(critic_warmup_steps=10)
    with self.assertRaisesRegex(ValueError, "critic_units must be positive"):
      config_lib.MetaRLConfig(critic="counts", critic_units=0)


class BayesAdvantageRewardTest(absltest.TestCase):

  def test_sums_to_the_optimum_less_the_excess_regret(self):
    config = config_lib.MetaRLConfig(num_arms=2, num_pulls=12,
                                     bandit_episode_length=12,
                                     train_reward="bayes_advantage")
    env = config.env()
    task = env.sample_batch([4, 5], 500)
    record = rollout.rollout(env, baselines.Thompson(), task, tf.constant([1, 2]))
    shaped = train.train_rewards(record, config).numpy()
    excess = baselines.bayes_excess_regret(
        record["action"].numpy(), record["reward"].numpy(), 12)
    np.testing.assert_allclose(
        shaped.sum(1), baselines.BayesOptimal.expected_total_reward(12) - excess,
        rtol=1e-5)
    # Zero excess wherever Thompson's arm is the optimal one, so most pulls carry
    # the same per-pull constant.
    self.assertGreater(np.mean(shaped == shaped.max()), 0.5)
    self.assertGreater(excess.mean(), 0.0)


class ExpectedRewardTest(absltest.TestCase):

  def _weights_after_one_step(self, **fields):
    config = config_lib.MetaRLConfig(**{
        "num_arms": 2, "num_pulls": 10, "units": 8, "algorithm": "a2c", "ppo_epochs": 1,
        "batch_size": 32, "learning_rate": 1e-2, **fields})
    keras.utils.set_random_seed(0)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
      optimizer = keras.optimizers.SGD(1.0)
      optimizer.build(net.trainable_variables)
    step = train.make_train_step(net, optimizer, config, strategy, seed=3)
    step(tf.constant(0))
    return [v.numpy() for v in net.trainable_variables]

  def _max_difference(self, **fields):
    sampled = self._weights_after_one_step(train_reward="sampled", **fields)
    expected = self._weights_after_one_step(train_reward="expected", **fields)
    return max(float(np.max(np.abs(a - b))) for a, b in zip(sampled, expected))

  def test_changes_the_update_where_rewards_are_noisy(self):
    # Bernoulli arms: the sampled rewards differ from the arms' means.
    self.assertGreater(self._max_difference(env_kind="bandit"), 1e-4)

  def test_same_update_where_rewards_are_deterministic(self):
    # The informative-arm bandit pays each arm's mean exactly.
    self.assertLess(self._max_difference(env_kind="informative_arm", num_arms=11,
                                         num_pulls=5), 1e-7)


class CountCriticTest(absltest.TestCase):

  def test_count_features_count_each_arms_outcomes_before_the_step(self):
    action = tf.constant([[0, 1, 0, 0, 2]])
    reward = tf.constant([[1.0, 0.0, 0.0, 1.0, 1.0]])
    got = model_lib.count_features(action, reward, num_arms=3, trial_length=5).numpy()
    # Columns: successes of arms 0-2, failures of arms 0-2, t; all over T = 5.
    expected = np.array([[0, 0, 0, 0, 0, 0, 0],
                         [1, 0, 0, 0, 0, 0, 1],
                         [1, 0, 0, 0, 1, 0, 2],
                         [1, 0, 0, 1, 1, 0, 3],
                         [2, 0, 0, 1, 1, 0, 4]], np.float32) / 5.0
    np.testing.assert_allclose(got[0], expected, rtol=1e-6)

  def _one_step(self, global_step, **fields):
    config = config_lib.MetaRLConfig(
        num_arms=2, num_pulls=10, bandit_episode_length=10, cell="lstm", units=8,
        algorithm="a2c", ppo_epochs=1, batch_size=32, critic="counts",
        **{"critic_units": 8, **fields})
    keras.utils.set_random_seed(0)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
      critic = model_lib.build_critic(config)
      optimizer = keras.optimizers.SGD(0.1)
      optimizer.build(net.trainable_variables + critic.trainable_variables)
    before = [v.numpy() for v in net.trainable_variables + critic.trainable_variables]
    step = train.make_train_step(net, optimizer, config, strategy, seed=3,
                                 critic=critic)
    step(tf.constant(global_step))
    # By id: the two models' layer paths may coincide ("value/kernel").
    moved = {id(v): float(np.abs(v.numpy() - b).max()) for v, b in zip(
        net.trainable_variables + critic.trainable_variables, before)}
    return net, critic, moved

  def test_critic_policy_and_the_nets_value_head_all_learn(self):
    net, critic, moved = self._one_step(0)
    self.assertGreater(max(moved[id(v)] for v in critic.trainable_variables), 1e-4)
    self.assertGreater(moved[id(net.policy_head.kernel)], 1e-6)
    self.assertGreater(moved[id(net.value_head.kernel)], 1e-6)

  def test_advantages_come_from_the_critic(self):
    # The same first step with a differently initialised critic moves the policy
    # differently: its advantages are built from the critic's values.
    a, _, _ = self._one_step(0)
    b, _, _ = self._one_step(0, critic_units=16)
    self.assertGreater(float(np.abs(a.policy_head.kernel.numpy()
                                    - b.policy_head.kernel.numpy()).max()), 1e-6)

  def test_warmup_trains_the_critics_and_leaves_the_policy_head(self):
    net, critic, moved = self._one_step(4, critic_warmup_steps=5)
    self.assertGreater(max(moved[id(v)] for v in critic.trainable_variables), 1e-4)
    self.assertEqual(max(moved[id(v)] for v in (net.policy_head.kernel,
                                                 net.policy_head.bias)), 0.0)
    net, _, moved = self._one_step(5, critic_warmup_steps=5)
    self.assertGreater(moved[id(net.policy_head.kernel)], 1e-6)


class LearningTest(absltest.TestCase):

  def test_lstm_agent_learns_easy_dependent_bandits(self):
    # Arms pay 0.1 / 0.9 (or 0.9 / 0.1): one pull tells which arm is good, so a few
    # dozen updates take the agent far above chance (5 of 10).
    config = config_lib.MetaRLConfig(
        env_kind="bandit", num_arms=2, num_pulls=10, bandit_episode_length=10,
        prior="easy", cell="lstm", units=16, algorithm="ppo", ppo_epochs=3,
        batch_size=64, learning_rate=1e-2, train_steps=60, validate_every=60,
        num_validation_tasks=200, checkpoint_every=60, log_every=60)
    keras.utils.set_random_seed(0)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
    env = config.env()
    tasks = train.validation_tasks(config)
    before = rollout.evaluate_policy(env, model_lib.AgentPolicy(net), tasks)[
        "total_reward"].mean()
    result = train.train(net, config, training.TrainContext(
        model_dir=self.create_tempdir().full_path, strategy=strategy, log=lambda s: None))
    after = rollout.evaluate_policy(env, model_lib.AgentPolicy(net), tasks)[
        "total_reward"].mean()
    self.assertLess(before, 6.0)
    self.assertGreater(after, 7.5)
    self.assertEqual(result["train_steps"], 60)
    self.assertAlmostEqual(result["best_validation_reward"], after, delta=1e-3)
    # The metadata's learning curve: one validation, at the last step.
    (step, reward), = result["validation_rewards"]
    self.assertEqual(step, 60)
    self.assertAlmostEqual(reward, after, delta=1e-3)


class TaskAdvantageRewardTest(absltest.TestCase):

  def _shaped(self, policy):
    config = config_lib.MetaRLConfig(env_kind="mdp", num_episodes=3,
                                     train_reward="task_advantage")
    env = config.env()
    task = env.sample_batch([6, 7], 2000)
    record = rollout.rollout(env, policy, task, tf.constant([1, 2]))
    optimum = baselines.value_iteration(task["mu"], task["P"], env.horizon)
    start_value = tf.reduce_max(optimum[:, 0, 0], axis=-1).numpy()  # V*(s = 0)
    return (train.train_rewards(record, config, task).numpy(),
            record["mean_reward"].numpy().sum(1), start_value * env.num_episodes)

  def test_zero_advantage_for_the_task_optimum(self):
    shaped, _, _ = self._shaped(baselines.ValueIterationOracle())
    np.testing.assert_allclose(shaped, 1.0, atol=1e-5)

  def test_sums_to_the_return_less_the_optimum_in_expectation(self):
    # Per task, sum_t A*(s_t, a_t) = (expected return - V*) in expectation over the
    # transitions; over 2000 random-play trials the means agree within 4 s.e.
    shaped, mean_return, optimum = self._shaped(baselines.RandomPolicy())
    gap = (shaped - 1.0).sum(1) - (mean_return - optimum)
    self.assertLess(abs(gap.mean()), 4 * gap.std(ddof=1) / np.sqrt(len(gap)))
    self.assertLess((shaped - 1.0).sum(1).mean(), -10.0)  # random play loses a lot


if __name__ == "__main__":
  absltest.main()
