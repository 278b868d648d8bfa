"""Baselines on cases with known answers."""

import math

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.meta_rl import baselines
from models.meta_rl import envs
from models.meta_rl import rollout


def _bandit_tasks(p, num_pulls, u=None):
  p = np.asarray(p, np.float32)
  b = p.shape[0]
  if u is None:
    u = np.random.default_rng(0).uniform(size=(b, num_pulls)).astype(np.float32)
  return {"p": tf.constant(p), "u": tf.constant(u),
          "policy_u": tf.constant(np.random.default_rng(1).uniform(
              size=(b, num_pulls)).astype(np.float32))}


class GittinsTest(absltest.TestCase):

  def test_known_indices(self):
    # Gittins & Jones / Gittins (1979) tables: Beta(1, 1) with discount 0.9 -> 0.7029,
    # 0.99 -> 0.8699 (the index exceeds the mean 1/2: the value of information).
    self.assertAlmostEqual(baselines.gittins_indices(0.9, 2)[0, 0], 0.7029, delta=2e-3)
    self.assertAlmostEqual(baselines.gittins_indices(0.99, 2)[0, 0], 0.8699, delta=3e-3)

  def test_indices_are_monotone_and_above_the_mean(self):
    table = baselines.gittins_indices(0.95, 20)
    for s in range(10):
      for f in range(10):
        mean = (s + 1) / (s + f + 2)
        self.assertGreater(table[s, f], mean)
        self.assertGreater(table[s + 1, f], table[s, f])  # a success raises it
        self.assertLess(table[s, f + 1], table[s, f])  # a failure lowers it
    self.assertTrue(np.isnan(table[20, 1]))

  def test_bad_discount(self):
    with self.assertRaisesRegex(ValueError, "discount must be in .*received: 1.0"):
      baselines.gittins_indices(1.0, 5)


def _brute_force_two_arms(horizon):
  """Expected optimal total reward and arm choices by plain recursion."""
  memo = {}

  def value(s0, f0, s1, f1):
    if s0 + f0 + s1 + f1 == horizon:
      return 0.0, 0
    key = (s0, f0, s1, f1)
    if key not in memo:
      p0, p1 = (s0 + 1) / (s0 + f0 + 2), (s1 + 1) / (s1 + f1 + 2)
      q0 = (p0 * (1 + value(s0 + 1, f0, s1, f1)[0])
            + (1 - p0) * value(s0, f0 + 1, s1, f1)[0])
      q1 = (p1 * (1 + value(s0, f0, s1 + 1, f1)[0])
            + (1 - p1) * value(s0, f0, s1, f1 + 1)[0])
      memo[key] = (max(q0, q1), 1 if q0 > q1 + 1e-9 else -1 if q1 > q0 + 1e-9 else 0)
    return memo[key]

  return value, memo


class BayesOptimalTest(absltest.TestCase):

  def test_known_values(self):
    # One pull: 1/2. Two: 1/2, then stay after a success (2/3), switch after a
    # failure (1/2): 1/2 + 1/2 * 2/3 + 1/2 * 1/2 = 13/12.
    self.assertAlmostEqual(baselines.bayes_optimal_two_arms(1)[0], 0.5)
    self.assertAlmostEqual(baselines.bayes_optimal_two_arms(2)[0], 13 / 12)

  def test_against_plain_recursion(self):
    for horizon in (3, 5, 7):
      value, decision = baselines.bayes_optimal_two_arms(horizon)
      brute, memo = _brute_force_two_arms(horizon)
      self.assertAlmostEqual(value, brute(0, 0, 0, 0)[0], places=12)
      for state, (_, choice) in memo.items():
        self.assertEqual(decision[baselines.count_state_index(*state)], choice, state)

  def test_count_state_index_packs_the_states_in_order(self):
    # Every state with n < horizon gets its own slot, 0..C(horizon + 3, 4) - 1, in
    # the order (n, s0, f0, s1) that the program writes the table in.
    horizon = 9
    states = sorted(((s0, f0, s1, n - s0 - f0 - s1) for n in range(horizon)
                     for s0 in range(n + 1) for f0 in range(n + 1 - s0)
                     for s1 in range(n + 1 - s0 - f0)),
                    key=lambda st: (sum(st), st[:3]))
    index = baselines.count_state_index(*np.array(states).T)
    np.testing.assert_array_equal(index, np.arange(len(states)))
    self.assertLen(baselines.bayes_optimal_two_arms(horizon)[1], len(states))

  def test_no_policy_beats_it_in_expectation(self):
    # Regret grows with the horizon and stays below every index policy's on many
    # bandits drawn from the prior; the policy earns its expected value.
    regrets = [baselines.BayesOptimal.expected_regret(h) for h in (10, 20, 40)]
    self.assertTrue(all(np.diff(regrets) > 0), regrets)
    env = envs.BernoulliBandit(num_arms=2, num_pulls=20)
    task = env.sample_batch([3, 4], 20000)
    keep = ("mean_reward", "best_mean")
    run = lambda pol: rollout.evaluate_policy(env, pol, task, keep=keep)
    regret = lambda out: (out["best_mean"] - out["mean_reward"]).sum(1)
    bayes = run(baselines.BayesOptimal(20))
    total = bayes["total_reward"]
    value = baselines.BayesOptimal.expected_total_reward(20)
    self.assertLess(abs(total.mean() - value), 4 * total.std() / np.sqrt(len(total)))
    for other in (baselines.Gittins(0.9, 20), baselines.UCB1(0.2),
                  baselines.Thompson()):
      diff = regret(run(other)) - regret(bayes)
      self.assertGreater(diff.mean(), -2 * diff.std() / np.sqrt(len(diff)), other)
    # Thompson sampling explores far too much at 20 pulls (about 0.5 more regret).
    self.assertGreater(diff.mean(), 20 * diff.std() / np.sqrt(len(diff)))

  def test_excess_regret_is_the_exact_gap_in_expectation(self):
    # Every reward sequence, weighted by its probability under the uniform prior
    # (per arm s! f! / (n + 1)!): the mean excess equals V* - E[total reward] for an
    # open-loop and a closed-loop policy, to float precision.
    horizon = 6
    optimum = baselines.BayesOptimal.expected_total_reward(horizon)
    policies = {
        "alternate": lambda t, actions, rewards: t % 2,
        "win-stay, lose-shift": lambda t, actions, rewards: (
            0 if t == 0 else actions[-1] if rewards[-1] else 1 - actions[-1]),
    }
    for name, policy in policies.items():
      paths, weights = [], []
      for bits in range(2 ** horizon):
        rewards = [(bits >> t) & 1 for t in range(horizon)]
        actions = []
        for t in range(horizon):
          actions.append(policy(t, actions, rewards[:t]))
        weight = 1.0
        for arm in (0, 1):
          s = sum(r for a, r in zip(actions, rewards) if a == arm)
          f = sum(1 - r for a, r in zip(actions, rewards) if a == arm)
          weight *= math.factorial(s) * math.factorial(f) / math.factorial(s + f + 1)
        paths.append((actions, rewards))
        weights.append(weight)
      weights = np.array(weights)
      self.assertAlmostEqual(weights.sum(), 1.0, places=12)
      actions, rewards = (np.array(x) for x in zip(*paths))
      excess = baselines.bayes_excess_regret(actions, rewards, horizon)
      expected_total = float(weights @ rewards.sum(1))
      self.assertGreater(optimum - expected_total, 0.05, name)
      self.assertAlmostEqual(float(weights @ excess), optimum - expected_total,
                             places=5, msg=name)

  def test_excess_regret_ranks_policies_with_less_noise(self):
    # On tasks from the prior: zero for the optimal policy; for others an unbiased
    # estimate of the regret gap, with a standard error well below that of the
    # sampled regrets' paired difference.
    horizon = 20
    env = envs.BernoulliBandit(num_arms=2, num_pulls=horizon)
    task = env.sample_batch([5, 6], 20000)
    keep = ("action", "reward", "mean_reward", "best_mean")
    run = lambda pol: rollout.evaluate_policy(env, pol, task, keep=keep)
    excess = lambda out: baselines.bayes_excess_regret(out["action"], out["reward"],
                                                       horizon)
    regret = lambda out: (out["best_mean"] - out["mean_reward"]).sum(1)
    bayes = run(baselines.BayesOptimal(horizon))
    np.testing.assert_allclose(excess(bayes), 0.0, atol=1e-6)
    optimum = baselines.BayesOptimal.expected_total_reward(horizon)
    se = lambda x: x.std(ddof=1) / np.sqrt(len(x))
    random = excess(run(baselines.RandomPolicy()))
    self.assertLess(abs(random.mean() - (optimum - horizon / 2)), 4 * se(random))
    for other in (baselines.UCB1(0.2), baselines.Thompson(), baselines.Greedy()):
      out = run(other)
      ours, sampled = excess(out), regret(out) - regret(bayes)
      self.assertLess(abs(ours.mean() - sampled.mean()),
                      4 * np.hypot(se(ours), se(sampled)), other)
      self.assertLess(se(ours), se(sampled) / 2, other)

  def test_pull_excess_matches_a_numpy_lookup(self):
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 2, (40, 30))
    rewards = rng.integers(0, 2, (40, 30))
    compiled = tf.function(lambda a, r: baselines.pull_excess(a, r, 30))
    # The same lookup in NumPy, from the count states of `two_arm_counts`.
    successes, failures = baselines.two_arm_counts(actions, rewards)
    gap = baselines._two_arm_program(30)[2][baselines.count_state_index(
        successes[..., 0], failures[..., 0], successes[..., 1], failures[..., 1])]
    expected = np.maximum(np.where(actions == 0, -gap, gap), 0.0)
    np.testing.assert_allclose(
        compiled(tf.constant(actions, tf.int32), tf.constant(rewards, tf.float32)),
        expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        baselines.bayes_excess_regret(actions, rewards, 30, per_pull=True), expected,
        rtol=1e-6, atol=1e-7)
    with self.assertRaisesRegex(ValueError, "horizon must be in"):
      baselines.pull_excess(actions, rewards, baselines.MAX_BAYES_HORIZON + 1)

  def test_two_arm_counts_are_the_state_before_each_pull(self):
    successes, failures = baselines.two_arm_counts([[0, 1, 1, 0]], [[1, 0, 1, 0]])
    np.testing.assert_array_equal(successes[0], [[0, 0], [1, 0], [1, 0], [1, 1]])
    np.testing.assert_array_equal(failures[0], [[0, 0], [0, 0], [0, 1], [0, 1]])

  def test_excess_regret_bad_input(self):
    ok = np.zeros((2, 3), np.int32)
    with self.assertRaisesRegex(ValueError, "both be"):
      baselines.bayes_excess_regret(ok, ok[:, :2], 5)
    with self.assertRaisesRegex(ValueError, "more than the horizon 2"):
      baselines.bayes_excess_regret(ok, ok, 2)
    with self.assertRaisesRegex(ValueError, "two arms"):
      baselines.bayes_excess_regret(ok + 2, ok, 5)
    with self.assertRaisesRegex(ValueError, "0/1 rewards"):
      baselines.bayes_excess_regret(ok, ok + 0.5, 5)

  def test_bad_input(self):
    with self.assertRaisesRegex(ValueError, "horizon"):
      baselines.bayes_optimal_two_arms(0)
    env = envs.BernoulliBandit(num_arms=3, num_pulls=5)
    task = env.sample_tasks(env.seeds("validation", 0, 4))
    for policy in (baselines.BayesOptimal(5), baselines.DependentBayesOptimal()):
      with self.assertRaisesRegex(ValueError, "is for two-armed bandits"):
        rollout.evaluate_policy(env, policy, task)


class DependentBayesOptimalTest(absltest.TestCase):

  def test_known_expected_regret(self):
    # One pull: E[max(p, 1 - p)] - 1/2 = 1/4. Two: then the arm that the first
    # outcome favours, posterior mean 2/3: 3/2 - 1/2 - 2/3 = 1/3.
    self.assertAlmostEqual(baselines.DependentBayesOptimal.expected_regret(1), 0.25)
    self.assertAlmostEqual(baselines.DependentBayesOptimal.expected_regret(2), 1 / 3)

  def test_earns_its_expected_regret_and_beats_the_others(self):
    env = envs.BernoulliBandit(num_arms=2, num_pulls=30, prior="dependent_uniform",
                               episode_length=30)
    task = env.sample_batch([5, 6], 20000)
    keep = ("mean_reward", "best_mean")
    regret = lambda pol: (lambda o: (o["best_mean"] - o["mean_reward"]).sum(1))(
        rollout.evaluate_policy(env, pol, task, keep=keep))
    ours = regret(baselines.DependentBayesOptimal())
    expected = baselines.DependentBayesOptimal.expected_regret(30)
    self.assertLess(abs(ours.mean() - expected), 4 * ours.std() / np.sqrt(len(ours)))
    for other in (baselines.Gittins(0.98, 30), baselines.UCB1(0.2),
                  baselines.Greedy(), baselines.BayesOptimal(30)):
      diff = regret(other) - ours
      # Policies that treat the arms as independent waste pulls on exploring.
      self.assertGreater(diff.mean(), 5 * diff.std() / np.sqrt(len(diff)), other)


class BanditPolicyTest(absltest.TestCase):

  def test_deterministic_arms_are_found(self):
    # One arm always pays, the other never: every sensible learner exploits quickly.
    task = _bandit_tasks([[0.0, 1.0], [1.0, 0.0]], 50)
    env = envs.BernoulliBandit(num_arms=2, num_pulls=50)
    for policy in (baselines.Greedy(), baselines.UCB1(0.2), baselines.Thompson(),
                   baselines.OptimisticThompson(), baselines.Gittins(0.95, 50),
                   baselines.EpsilonGreedy(0.0)):
      total = rollout.evaluate_policy(env, policy, task)["total_reward"]
      self.assertGreaterEqual(total.min(), 46, repr(policy))

  def test_random_policy_mean(self):
    env = envs.BernoulliBandit(num_arms=4, num_pulls=100)
    task = env.sample_tasks(env.seeds("validation", 0, 500))
    total = rollout.evaluate_policy(env, baselines.RandomPolicy(), task)["total_reward"]
    expected = 100 * task["p"].numpy().mean(1)
    resid = total - expected
    self.assertLess(abs(resid.mean()), 4 * resid.std() / np.sqrt(len(resid)))

  def test_epsilon_one_is_uniform(self):
    env = envs.BernoulliBandit(num_arms=3, num_pulls=300)
    task = _bandit_tasks(np.full((4, 3), 0.5), 300)
    actions = rollout.evaluate_policy(env, baselines.EpsilonGreedy(1.0), task)["action"]
    freq = np.bincount(actions.ravel(), minlength=3) / actions.size
    np.testing.assert_allclose(freq, 1 / 3, atol=0.03)

  def test_paper_ordering_on_k5_n100(self):
    # Duan et al. Table 1 (k=5, n=100): Gittins 78.3 > UCB1 / TS 74.7 > random 49.9.
    env = envs.BernoulliBandit(num_arms=5, num_pulls=100)
    task = env.sample_tasks(envs.test_seeds(env, 0, 300))
    score = lambda pol: rollout.evaluate_policy(env, pol, task)["total_reward"].mean()
    gittins, ts, rnd = (score(baselines.Gittins(0.98, 100)), score(baselines.Thompson()),
                        score(baselines.RandomPolicy()))
    self.assertGreater(gittins, ts + 1.5)
    self.assertGreater(ts, rnd + 20)

  def test_counts_update(self):
    policy = baselines.Greedy()
    env = envs.BernoulliBandit(num_arms=3, num_pulls=5)
    task = _bandit_tasks([[0.2, 0.5, 0.9]], 5)
    state = policy.initial_state(env, task)
    inputs = rollout.StepInputs(obs=tf.zeros([1, 0]), prev_action=tf.constant([2]),
                                prev_reward=tf.constant([1.0]),
                                prev_done=tf.constant([1.0]), t=tf.constant(1),
                                u=tf.constant([0.5]))
    _, (s, f), _ = policy.step(state, inputs, tf.constant([0, 0]))
    np.testing.assert_array_equal(s.numpy(), [[0, 0, 1]])
    np.testing.assert_array_equal(f.numpy(), [[0, 0, 0]])


class MDPBaselineTest(absltest.TestCase):

  def test_value_iteration_against_numpy(self):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(2, 3, 2)).astype(np.float32)
    p = rng.dirichlet(np.ones(3), size=(2, 3, 2)).astype(np.float32)
    q = baselines.value_iteration(tf.constant(mu), tf.constant(p), 4).numpy()
    v = np.zeros((2, 3))
    for h in range(3, -1, -1):
      qh = mu + np.einsum("bsan,bn->bsa", p, v)
      np.testing.assert_allclose(q[:, h], qh, rtol=1e-5)
      v = qh.max(-1)

  def test_oracle_earns_its_expected_value_and_beats_learners(self):
    env = envs.TabularMDP(num_episodes=10)
    task = env.sample_tasks(env.seeds("validation", 0, 200))
    q0 = baselines.value_iteration(task["mu"], task["P"], env.horizon)[:, 0, 0].numpy()
    expected = 10 * q0.max(-1)
    score = lambda pol: rollout.evaluate_policy(env, pol, task)["total_reward"]
    oracle = score(baselines.ValueIterationOracle())
    resid = oracle - expected
    self.assertLess(abs(resid.mean()), 4 * resid.std() / np.sqrt(len(resid)))
    psrl, rnd = score(baselines.PSRL()).mean(), score(baselines.RandomPolicy()).mean()
    self.assertGreater(oracle.mean(), psrl + 5)
    self.assertGreater(psrl, rnd + 20)
    self.assertAlmostEqual(rnd, 100.0, delta=4.0)  # 10 episodes x 10 steps x E[mu] = 1


if __name__ == "__main__":
  absltest.main()
