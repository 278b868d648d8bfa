"""The README's meta-RL results: every number it quotes for a shipped checkpoint.

The README transcribes `--mode=evaluate`'s tables and sentences by hand. This test
reruns each agent and the baselines (at their recorded tuned parameters) on the
recorded evaluation's test tasks (block 0) and rebuilds each quoted number from those
rollouts, or from the checkpoint's metadata where `claims_test` already re-checks the
metadata from the weights; an edit or a retrained checkpoint that leaves the README
stale fails here.
"""

import re

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

import zoo
from models.meta_rl import baselines
from models.meta_rl import envs
from models.meta_rl import evaluate
from models.meta_rl import model as model_lib
from models.meta_rl import rollout
from tests import readme_util

# Each bandit or MDP results table: the line of the README it follows.
TABLES = {"rl2.bandit_k5_n10": "`rl2.bandit_k5_n10` (GRU-128",
          "rl2.bandit_k5_n100": "`rl2.bandit_k5_n100` (GRU-128",
          "rl2.mdp_n10": "`rl2.mdp_n10` (GRU-128"}
# Row labels of those tables, by the evaluation's method key.
LABELS = {"random": "random", "greedy": "greedy", "epsilon_greedy": "eps-greedy",
          "ucb1": "UCB1", "thompson": "Thompson", "optimistic_thompson": "optimistic TS",
          "gittins": "Gittins index", "psrl": "PSRL",
          "oracle": "value iteration (true MDP)", "agent": "RL^2"}


def _regret(out) -> np.ndarray:
  return (out["best_mean"] - out["mean_reward"]).sum(1)


def _setup(name):
  net = zoo.create(name)
  config = net.zoo_config
  metadata = zoo.model_card(name).metadata
  env = config.env()
  tasks = env.sample_tasks(envs.test_seeds(
      env, 0, int(metadata["metrics"]["num_test_tasks"])))
  agent = model_lib.AgentPolicy(net, greedy=config.eval_greedy)
  return config, metadata, env, tasks, agent


def _policies_and_tuned(named: dict) -> tuple:
  """({key: policy}, {key: tuned-parameter text}) of the evaluation's
  {key: (policy, parameter text)}."""
  return ({k: p for k, (p, _) in named.items()},
          {k: t for k, (_, t) in named.items() if t != "-"})


def _paragraph(start: str) -> str:
  """The README paragraph that starts with `start`, whitespace flattened."""
  text = readme_util.readme()
  begin = text.index(start)
  end = text.find("\n\n", begin)
  return " ".join(text[begin:None if end < 0 else end].split())


class ReadmeTest(parameterized.TestCase):

  def _check_table(self, name, totals, tuned, paper):
    """The README table of `name` against the rollouts' total rewards `totals`,
    the baselines' tuned parameters and the paper's numbers."""
    header, rows = readme_util.table("| method |", after=TABLES[name])
    self.assertEqual(header, ["method", "tuned", "mean total reward", "s.e.", "paper",
                              "RL^2 - this (paired)"])
    readme_util.check_reward_table(self, rows, {k: LABELS[k] for k in totals}, totals,
                                   tuned, paper)

  def _bandit_totals(self, name):
    _, metadata, env, tasks, agent = _setup(name)
    metrics = metadata["metrics"]
    policies, tuned = _policies_and_tuned(
        evaluate.recorded_bandit_baselines(metrics, env.num_pulls))
    totals = {k: rollout.evaluate_policy(env, p, tasks)["total_reward"]
              for k, p in dict(policies, agent=agent).items()}
    for key, total in totals.items():
      self.assertAlmostEqual(float(total.mean()), metrics[f"{key}_mean_total_reward"],
                             places=3, msg=key)
    return env, tuned, totals

  @parameterized.parameters("rl2.bandit_k5_n10", "rl2.bandit_k5_n100")
  def test_bandit_tables(self, name):
    env, tuned, totals = self._bandit_totals(name)
    paper = dict(zip(evaluate._BANDIT_COLUMNS,  # pylint: disable=protected-access
                     evaluate.PAPER_BANDITS[(env.num_pulls, env.num_arms)]))
    self._check_table(name, totals, tuned, paper)
    if name != "rl2.bandit_k5_n100":
      return
    text = readme_util.flat()
    mean = lambda k: float(totals[k].mean())
    # The baselines against Duan et al.'s Table 1, and the agent's sentence.
    self.assertIn(
        f"1000 test bandits: Thompson {mean('thompson'):.1f}, paper "
        f"{paper['thompson']}; Gittins {mean('gittins'):.1f}, paper {paper['gittins']}; "
        f"UCB1 {mean('ucb1'):.1f}, paper {paper['ucb1']})", text)
    agent = totals["agent"]
    self.assertIn(
        f"its mean total reward {readme_util.pm(agent, '.1f')} is above Thompson sampling's "
        f"({mean('thompson'):.1f}; paired {readme_util.pm(agent - totals['thompson'], '.1f', True)})"
        f" and {readme_util.pm(totals['gittins'] - agent, '.1f')} below the tuned Gittins index's "
        f"{mean('gittins'):.1f} (the claim allows 2; the paper had RL^2 "
        f"{paper['agent'] - paper['gittins']:.1f} above it, {paper['agent']} against "
        f"{paper['gittins']})", text)

  def test_bandit_k10_sentence(self):
    env, _, totals = self._bandit_totals("rl2.bandit_k10_n100")
    paper = dict(zip(evaluate._BANDIT_COLUMNS,  # pylint: disable=protected-access
                     evaluate.PAPER_BANDITS[(env.num_pulls, env.num_arms)]))
    agent = totals["agent"]
    vs = lambda k: (f"{float(totals[k].mean()):.1f}; paired "
                    f"{readme_util.pm(agent - totals[k], '.1f', True)}")
    self.assertIn(
        f"{readme_util.pm(agent, '.1f')} on {len(agent)} held-out bandits, above Thompson sampling "
        f"({vs('thompson')}), below tuned UCB1 ({vs('ucb1')}) and Gittins "
        f"({vs('gittins')}); paper: RL^2 {paper['agent']}, Gittins {paper['gittins']}, "
        f"Thompson {paper['thompson']}.", readme_util.flat())

  def test_independent_bandit_sentence(self):
    name = "l2rl.bandit_independent"
    _, metadata, env, tasks, agent = _setup(name)
    metrics = metadata["metrics"]
    keep = ("mean_reward", "best_mean")
    recorded, _ = _policies_and_tuned(
        evaluate.recorded_bandit_baselines(metrics, env.num_pulls))
    runs = {k: rollout.evaluate_policy(env, p, tasks, keep=keep) for k, p in (
        ("agent", agent), ("thompson", recorded["thompson"]),
        ("ucb1", recorded["ucb1"]), ("gittins", recorded["gittins"]),
        ("bayes_optimal", baselines.BayesOptimal(env.num_pulls)))}
    regret = {k: float(_regret(r).mean()) for k, r in runs.items()}
    total = {k: r["total_reward"] for k, r in runs.items()}
    text = _paragraph(f"`{name}` (LSTM-128")
    self.assertIn(
        f"Half holds: {regret['agent']:.2f} against Thompson's {regret['thompson']:.2f} "
        f"(paired reward {readme_util.pm(total['agent'] - total['thompson'], sign=True)}), but "
        f"tuned UCB1 ({metrics['ucb1_tuned']}) has {regret['ucb1']:.2f} (paired "
        f"{readme_util.pm(total['agent'] - total['ucb1'], sign=True)}) and the Gittins index "
        f"{regret['gittins']:.2f}.", text)
    self.assertIn(
        f"has expected regret {baselines.BayesOptimal.expected_regret(env.num_pulls):.2f}"
        f" ({regret['bayes_optimal']:.2f} on these bandits)", text)
    # The first stage's regret: the claim record at the root of the `parent` chain.
    stages = zoo.model_card(name).stages()
    first = stages[-1]["claims"][0]["measured"].split(" vs ")[0]
    self.assertIn(f"The first stage alone (gamma 0.9) had regret {first}.", text)

  def test_dependent_bandit_table(self):
    name = "l2rl.bandit_dependent"
    net = zoo.create(name)
    config = net.zoo_config
    metrics = zoo.model_card(name).metadata["metrics"]
    num = int(metrics["num_test_tasks"])
    _, rows = readme_util.table("| test prior |", after=f"`{name}` (A2C")
    labels = {"dependent_uniform": "dependent uniform (trained)",
              "easy": "easy {0.1, 0.9}", "medium": "medium {0.25, 0.75}",
              "hard": "hard {0.4, 0.6}"}
    self.assertCountEqual(rows, labels.values())
    agent = model_lib.AgentPolicy(net, greedy=config.eval_greedy)
    regrets = {}
    for prior, label in labels.items():
      env = envs.BernoulliBandit(num_arms=2, num_pulls=config.num_pulls, prior=prior,
                                 episode_length=config.bandit_episode_length)
      tasks = env.sample_tasks(envs.test_seeds(env, 0, num))
      policies = {"agent": agent, **{k: p for k, (p, _) in
                                     evaluate.independent_arm_baselines(
                                         env.num_pulls).items()}}
      cells = []
      for key, policy in policies.items():
        regret = _regret(rollout.evaluate_policy(env, policy, tasks,
                                                 keep=("mean_reward", "best_mean")))
        self.assertAlmostEqual(float(regret.mean()), metrics[f"{prior}_{key}_regret"],
                               places=3, msg=(prior, key))
        regrets[prior, key] = float(regret.mean())
        cells.append(readme_util.pm(regret))
      self.assertEqual(rows[label], cells, prior)
    self.assertIn(f"on its own prior ({regrets['dependent_uniform', 'agent']:.2f} "
                  f"against the Gittins index's "
                  f"{regrets['dependent_uniform', 'gittins']:.2f})",
                  _paragraph(f"`{name}` (A2C"))

  def test_two_step_table(self):
    name = "l2rl.two_step"
    _, metadata, env, tasks, agent = _setup(name)
    out = rollout.evaluate_policy(env, agent, tasks,
                                  keep=("action", "reward", "common", "mean_reward"))
    probs = evaluate.stay_probabilities(out["action"], None, out["reward"],
                                        out["common"])
    _, rows = readme_util.table("| transition |", after=f"`{name}` (LSTM-128")
    for transition in ("common", "rare"):
      self.assertEqual(rows[transition], [
          readme_util.pm(probs[(transition, o)][~np.isnan(probs[(transition, o)])], ".3f")
          for o in ("rewarded", "unrewarded")], transition)
    interaction, reward_effect = evaluate.stay_effects(probs)
    self.assertIn(
        f"Holds: {readme_util.pm(interaction, '.3f')}, with no model-free main effect of reward "
        f"({readme_util.pm(reward_effect, '.3f')}); reward rate "
        f"{float(np.mean(out['mean_reward'][:, 1::2])):.3f}",
        _paragraph(f"`{name}` (LSTM-128"))
    self.assertEqual(f"{metadata['metrics']['interaction']:.3f}",
                     f"{float(interaction.mean()):.3f}")

  def test_informative_arm_sentence(self):
    name = "l2rl.informative_arm"
    metrics = zoo.model_card(name).metadata["metrics"]
    _, _, env, tasks, _ = _setup(name)
    random = rollout.evaluate_policy(env, baselines.RandomPolicy(), tasks)
    self.assertIn(
        f"pulls arm 11 first in {metrics['first_pull_informative']:.1%} of episodes and "
        f"the target in {metrics['later_pulls_target']:.1%} of the later pulls (mean "
        f"total reward {metrics['agent_mean_total_reward']:.2f}, the optimum; random "
        f"{float(random['total_reward'].mean()):.2f})",
        _paragraph(f"`{name}` (LSTM-128"))
    self.assertAlmostEqual(metrics["agent_mean_total_reward"],
                           metrics["oracle_mean_total_reward"], places=4)

  def test_mdp_table_and_sentences(self):
    name = "rl2.mdp_n10"
    _, metadata, env, tasks, agent = _setup(name)
    metrics = metadata["metrics"]
    policies, tuned = _policies_and_tuned(
        evaluate.mdp_baselines(float(metrics["epsilon_greedy_tuned"])))
    totals = {k: rollout.evaluate_policy(env, p, tasks)["total_reward"]
              for k, p in dict(policies, agent=agent).items()}
    for key, total in totals.items():
      self.assertAlmostEqual(float(total.mean()), metrics[f"{key}_mean_total_reward"],
                             places=2, msg=key)
    paper = dict(zip(evaluate._MDP_COLUMNS,  # pylint: disable=protected-access
                     evaluate.PAPER_MDPS[env.num_episodes]))
    self._check_table(name, totals, tuned, paper)
    m = {k: f"{float(v.mean()):.1f}" for k, v in totals.items()}
    best = metadata["training"]
    self.assertEqual(best["best_step"], best["train_steps"])
    text = _paragraph(f"`{name}` (GRU-128")
    self.assertIn(
        f"MDPs (seed 0): {m['agent']} against PSRL's {m['psrl']} and the tuned "
        f"epsilon-greedy learner's {m['epsilon_greedy']} (best validation reward "
        f"{best['best_validation_reward']:.1f}, at the last step)", text)
    self.assertIn(f"({m['greedy']} and {m['epsilon_greedy']} against {paper['greedy']} "
                  f"and {paper['epsilon_greedy']})", text)

  def test_mdp_n25_sentence(self):
    # From the metadata (`claims_test` re-checks it from the weights) and the card
    # (whose first-episode returns `claims_test` re-checks from the rollouts).
    name = "rl2.mdp_n25"
    card = zoo.model_card(name)
    metadata = card.metadata
    m = {k.replace("_mean_total_reward", ""): f"{v:.1f}"
         for k, v in metadata["metrics"].items() if k.endswith("_mean_total_reward")}
    paper = dict(zip(evaluate._MDP_COLUMNS,  # pylint: disable=protected-access
                     evaluate.PAPER_MDPS[25]))
    text = _paragraph(f"`{name}` (25 episodes")
    self.assertIn(
        f"reproduce: {m['agent']} on {metadata['metrics']['num_test_tasks']} held-out "
        f"MDPs against PSRL's {m['psrl']} (paper {paper['psrl']}) and the tuned "
        f"epsilon-greedy learner's {m['epsilon_greedy']} (greedy {m['greedy']}, value "
        f"iteration on the true MDP {m['oracle']}; paper: RL^2 {paper['agent']})", text)
    curve = dict(metadata["training"]["validation_rewards"])
    self.assertIn(f"(validation {curve[250]:.1f} at step 250, "
                  f"{metadata['training']['best_validation_reward']:.1f} at best)", text)
    first = re.search(r"first episode (\([0-9.]+ against [0-9.]+ and [0-9.]+\))", text)
    self.assertIsNotNone(first)
    self.assertIn(first.group(1), " ".join(zoo.get_spec(name).deviations))


if __name__ == "__main__":
  absltest.main()
