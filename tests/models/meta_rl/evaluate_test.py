"""The evaluation's helpers on small cases with known answers."""

from absl.testing import absltest
import numpy as np

from models.meta_rl import baselines
from models.meta_rl import config as config_lib
from models.meta_rl import envs
from models.meta_rl import evaluate
from models.meta_rl import model as model_lib
from models.meta_rl import rollout
from zoo import evaluation


class PairsTriedTest(absltest.TestCase):

  def test_hand_cases(self):
    state = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])
    action = np.array([[0, 0, 2, 2], [0, 0, 1, 2]])
    np.testing.assert_array_equal(evaluate.pairs_tried(state, action, 2, 3), [2, 4])

  def test_against_sets_on_real_rollouts(self):
    env = envs.TabularMDP(num_episodes=3)
    tasks = env.sample_tasks(env.seeds("validation", 0, 20))
    keep = ("state", "action", "mean_reward")
    for policy in (baselines.RandomPolicy(), baselines.ValueIterationOracle()):
      out = rollout.evaluate_policy(env, policy, tasks, keep=keep)
      expected = [len(set(zip(s, a))) for s, a in zip(out["state"], out["action"])]
      got = evaluate.pairs_tried(out["state"], out["action"], env.num_states,
                                 env.num_actions)
      np.testing.assert_array_equal(got, expected)
      table, tried = evaluate.exploration_table({"x": out}, env, title="t")
      np.testing.assert_array_equal(tried["x"], expected)
      returns = evaluate.episode_returns(out["mean_reward"], env.num_episodes)
      self.assertIn(f"{returns[:, -1].mean():.4g}", table)


class LateExcessTest(absltest.TestCase):

  def test_hand_case(self):
    # Arm 0 wins, arm 1 loses; then the second pull is of arm 1 (posterior mean 1/2
    # against arm 0's 2/3: the lower one) and the third of arm 0 (2/3 against 1/3).
    late, share = evaluate.late_excess([[0, 1, 0]], [[1, 0, 1]],
                                       np.array([[0.0, 0.5, 0.25]]), start=1)
    self.assertAlmostEqual(late, 0.75)
    self.assertAlmostEqual(share, 2 / 3)
    late, share = evaluate.late_excess([[0, 1, 0]], [[1, 0, 1]], np.zeros((1, 3)), 1)
    self.assertEqual(late, 0.0)
    self.assertTrue(np.isnan(share))


class ExpectedRegretClaimsTest(absltest.TestCase):

  def test_holds_only_with_the_interval_below_zero(self):
    floor = baselines.BayesOptimal.expected_regret(10)
    agent = np.array([0.1, 0.3, 0.2, 0.2])
    claims = evaluate.expected_regret_claims(
        {"a": agent, "thompson": agent + [1.0, 1.2, 0.8, 1.0],  # clearly worse
         # Better by 0.05 on average, but with a standard error of 0.096.
         "ucb1": agent + [0.3, -0.1, 0.1, -0.1]},
        "a", 10)
    self.assertEqual([c.name for c in claims],
                     ["expected_regret_vs_thompson", "expected_regret_vs_ucb1"])
    self.assertEqual([c.holds for c in claims], [True, False])
    self.assertEqual(claims[0].measured,
                     f"{floor + 0.2:.3f} vs {floor + 1.2:.3f} (paired -1.000 ± 0.082 "
                     "s.e.; 95% interval up to -0.840)")



class RestlessEvaluationTest(absltest.TestCase):

  def test_an_agent_on_restless_bandits_is_evaluated(self):
    # Trainable on restless bandits, so evaluable: the bandit table against the
    # stationary baselines, without the paper's stationary-bandit numbers.
    config = config_lib.MetaRLConfig(env_kind="restless_bandit", num_arms=3,
                                     num_pulls=20, units=8)
    net = model_lib.build_from_config(config)
    context = evaluation.EvalContext(output_dir=self.create_tempdir().full_path,
                                     num_tasks=40, num_validation_tasks=20,
                                     log=lambda _: None)
    report = evaluate.evaluate(net, config, context)
    self.assertIn("3-armed bandits, 20 pulls, 40 held-out tasks", report.tables[0])
    self.assertNotIn("paper:", report.tables[0])
    self.assertBetween(report.metrics["agent_mean_total_reward"], 0.0, 20.0)
    self.assertGreater(report.metrics["ucb1_mean_total_reward"],
                       report.metrics["random_mean_total_reward"])


if __name__ == "__main__":
  absltest.main()
