"""Environment statistics against their closed forms, seeding and shapes."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.meta_rl import baselines
from models.meta_rl import envs
from models.meta_rl import rollout

# Compiled: an eager rollout of a few hundred steps takes many seconds.
_rollout = tf.function(rollout.rollout)


class SeedingTest(absltest.TestCase):

  def test_a_task_does_not_depend_on_its_batch(self):
    env = envs.BernoulliBandit(num_arms=5, num_pulls=10)
    seeds = envs.test_seeds(env, 0, 20)
    big = env.sample_tasks(seeds)
    small = env.sample_tasks(seeds[7:9])
    for key in big:
      np.testing.assert_array_equal(big[key][7:9].numpy(), small[key].numpy())

  def test_splits_and_test_blocks_are_disjoint(self):
    env = envs.BernoulliBandit(num_arms=5, num_pulls=10)
    blocks = [env.seeds("train", 0, 50), env.seeds("validation", 0, 50),
              envs.test_seeds(env, 0, 50), envs.test_seeds(env, 1, 50)]
    ps = [env.sample_tasks(b)["p"].numpy() for b in blocks]
    for i in range(len(ps)):
      for j in range(i + 1, len(ps)):
        self.assertFalse(np.any(np.all(np.isclose(ps[i][:, None], ps[j][None]), -1)))

  def test_test_blocks_past_the_int32_range_are_refused(self):
    # Block 2148 would start past 2^31 - 1 and wrap into other blocks' tasks.
    env = envs.BernoulliBandit(num_arms=5, num_pulls=10)
    self.assertEqual(int(envs.test_seeds(env, 2146, 1000)[-1, 1]), 2_146_000_999)
    with self.assertRaisesRegex(ValueError, r"out of range .*--seed up to 2146"):
      envs.test_seeds(env, 2148, 3)

  def test_bad_arguments_name_the_value(self):
    with self.assertRaisesRegex(ValueError, "prior must be one of .*'medum'"):
      envs.BernoulliBandit(num_arms=2, prior="medum")
    with self.assertRaisesRegex(ValueError, "for two arms.*num_arms=5"):
      envs.BernoulliBandit(num_arms=5, prior="easy")
    with self.assertRaisesRegex(ValueError, "env must be one of .*'mpd'"):
      envs.make_env("mpd")
    with self.assertRaisesRegex(ValueError, r"seeds must have shape \[B, 2\]"):
      envs.BernoulliBandit().sample_tasks(tf.zeros([3], tf.int32))
    with self.assertRaisesRegex(ValueError, "common_prob must be in"):
      envs.TwoStepTask(common_prob=1.5)


class BanditStatisticsTest(absltest.TestCase):

  def test_uniform_prior_and_reward_means(self):
    env = envs.BernoulliBandit(num_arms=3, num_pulls=200)
    task = env.sample_tasks(env.seeds("train", 0, 2000))
    p = task["p"].numpy()
    self.assertAlmostEqual(p.mean(), 0.5, delta=0.01)  # U[0, 1]: mean 1/2
    self.assertAlmostEqual(p.var(), 1 / 12, delta=0.005)  # variance 1/12
    out = rollout.evaluate_policy(env, baselines.RandomPolicy(), task,
                                  keep=("action", "reward", "mean_reward"))
    chosen = np.take_along_axis(p, out["action"], axis=1)
    np.testing.assert_allclose(out["mean_reward"], chosen, rtol=1e-6)
    # Rewards are Bernoulli(p_a): the mean of reward - p_a is 0 within its s.e.
    resid = out["reward"] - chosen
    self.assertLess(abs(resid.mean()), 4 * resid.std() / np.sqrt(resid.size))

  def test_dependent_priors(self):
    for prior, low in (("easy", 0.1), ("medium", 0.25), ("hard", 0.4)):
      env = envs.BernoulliBandit(num_arms=2, num_pulls=10, prior=prior)
      p = env.sample_tasks(env.seeds("train", 0, 400))["p"].numpy()
      np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)
      self.assertTrue(np.all(np.isclose(p[:, 0], low) | np.isclose(p[:, 0], 1 - low)))
      self.assertAlmostEqual(np.isclose(p[:, 0], low).mean(), 0.5, delta=0.1)
    env = envs.BernoulliBandit(num_arms=2, prior="dependent_uniform")
    p = env.sample_tasks(env.seeds("train", 0, 400))["p"].numpy()
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)

  def test_informative_arm_payoffs(self):
    env = envs.InformativeArmBandit()
    task = env.sample_tasks(env.seeds("train", 0, 300))
    means = env.arm_means(task).numpy()
    target = task["target"].numpy()
    self.assertEqual(set(np.unique(target)), set(range(10)))
    for row, tgt in zip(means, target):
      expected = np.ones(11)
      expected[tgt] = 5.0
      expected[10] = (tgt + 1) / 10
      np.testing.assert_allclose(row, expected, rtol=1e-6)
    out = rollout.evaluate_policy(env, baselines.InformativeArmOracle(), task)
    np.testing.assert_array_equal(out["action"][:, 0], 10)
    np.testing.assert_array_equal(out["action"][:, 1:], np.repeat(target[:, None], 4, 1))
    np.testing.assert_allclose(out["total_reward"], 20 + (target + 1) / 10, rtol=1e-6)

  def test_restless_walk_stays_in_the_unit_interval_with_its_volatility(self):
    env = envs.RestlessBandit(num_arms=2, num_pulls=100, volatility=0.02)
    p = env.sample_tasks(env.seeds("train", 0, 200))["p"].numpy()
    self.assertTrue(np.all((p >= 0) & (p <= 1)))
    steps = np.abs(np.diff(p, axis=1))
    # Away from the walls the increments are N(0, 0.02^2): E|dp| = 0.02 sqrt(2/pi).
    inside = (p[:, :-1] > 0.1) & (p[:, :-1] < 0.9)
    self.assertAlmostEqual(steps[inside].mean(), 0.02 * np.sqrt(2 / np.pi), delta=0.002)


class MDPStatisticsTest(absltest.TestCase):

  def test_reward_and_transition_distributions(self):
    env = envs.TabularMDP(num_episodes=10)
    task = env.sample_tasks(env.seeds("train", 0, 300))
    mu, transitions = task["mu"].numpy(), task["P"].numpy()
    self.assertAlmostEqual(mu.mean(), 1.0, delta=0.03)  # mu ~ N(1, 1)
    self.assertAlmostEqual(mu.std(), 1.0, delta=0.03)
    np.testing.assert_allclose(transitions.sum(-1), 1.0, rtol=1e-5)
    # Flat Dirichlet over 10 states: each P(s'|s,a) has mean 1/10, var 9/1100.
    self.assertAlmostEqual(transitions.mean(), 0.1, delta=1e-4)
    self.assertAlmostEqual(transitions.var(), 9 / 1100, delta=4e-4)

    out = rollout.evaluate_policy(env, baselines.RandomPolicy(), task,
                                  keep=("action", "reward", "mean_reward"))
    states = rollout.evaluate_policy(env, baselines.RandomPolicy(), task,
                                     keep=("action",))  # same seed: same trajectories
    np.testing.assert_array_equal(states["action"], out["action"])
    resid = out["reward"] - out["mean_reward"]  # N(0, 1) reward noise
    self.assertAlmostEqual(resid.std(), 1.0, delta=0.02)

  def test_transition_frequencies_match_p(self):
    env = envs.TabularMDP(num_states=4, num_actions=2, horizon=1, num_episodes=1)
    task = env.sample_batch(tf.constant([3, 4]), 1)
    task = tf.nest.map_structure(lambda x: tf.repeat(x, 20000, axis=0), task)
    u = tf.random.stateless_uniform([20000, 1], [5, 6])
    task["u"] = u
    state = tf.fill([20000], 2)
    action = tf.ones([20000], tf.int32)
    next_state, _, _ = env.step(task, state, action, tf.constant(0))
    freq = np.bincount(next_state.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, task["P"][0, 2, 1].numpy(), atol=0.012)

  def test_every_episode_starts_in_state_zero(self):
    env = envs.TabularMDP(num_episodes=3)
    task = env.sample_tasks(env.seeds("train", 0, 5))
    out = _rollout(env, baselines.RandomPolicy(), task, tf.constant([0, 0]))
    states = out["state"].numpy()
    np.testing.assert_array_equal(states[:, ::env.horizon], 0)
    np.testing.assert_array_equal(out["done"].numpy()[0],
                                  [(t + 1) % 10 == 0 for t in range(30)])


class TwoStepTest(absltest.TestCase):

  def test_transition_and_reward_probabilities(self):
    env = envs.TwoStepTask(num_episodes=200, common_prob=0.75)
    task = env.sample_tasks(env.seeds("train", 0, 100))
    out = rollout.evaluate_policy(env, baselines.RandomPolicy(), task,
                                  keep=("action", "reward", "mean_reward"))
    tr = _rollout(env, baselines.RandomPolicy(), task, tf.constant([0, 0]))
    states, actions = tr["state"].numpy(), tr["action"].numpy()
    common = tr["common"].numpy()[:, 0::2] > 0
    first_action, reached = actions[:, 0::2], states[:, 1::2]
    np.testing.assert_array_equal(reached == 1 + first_action, common)
    self.assertAlmostEqual(common.mean(), 0.75, delta=0.01)
    good = task["good"].numpy()
    paid = out["reward"][:, 1::2]
    self.assertAlmostEqual(paid[reached == good].mean(), 0.9, delta=0.01)
    self.assertAlmostEqual(paid[reached != good].mean(), 0.1, delta=0.01)
    np.testing.assert_array_equal(out["reward"][:, 0::2], 0.0)
    switches = (np.diff(good, axis=1) != 0).mean()
    self.assertAlmostEqual(switches, 0.025, delta=0.005)


if __name__ == "__main__":
  absltest.main()
