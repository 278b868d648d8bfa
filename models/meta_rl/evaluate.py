"""Evaluation of the meta-RL agents beside tuned baselines and the papers' numbers.

Protocol (Duan et al. §4; Wang et al. §3):
1. Baselines with a parameter (epsilon-greedy's epsilon, UCB1's c, the Gittins
   index's discount, the MDP epsilon-greedy learner's epsilon) are tuned on
   `num_validation_tasks` validation tasks (highest mean total reward).
2. The agent and every baseline run on the same `num_test_tasks` held-out test tasks
   (the block picked by `--seed`), with the same reward noise (`envs.py`).
3. Tables report mean total reward (or regret) with standard errors, the paired
   difference agent - baseline, and the paper's number beside ours.

`tuned_bandit_baselines` and `bandit_table` are public so other methods on the same
bandits (e.g. SNAIL) report against identical, identically tuned baselines.
"""

import os

import numpy as np

from models.meta_rl import baselines
from models.meta_rl import envs
from models.meta_rl import model as model_lib
from models.meta_rl import rollout
from zoo import evaluation

__all__ = [
    "evaluate_bandit",
    "PAPER_BANDITS",
    "PAPER_MDPS",
    "bandit_baselines",
    "bandit_table",
    "episode_returns",
    "evaluate",
    "mdp_baselines",
    "recorded_bandit_baselines",
    "stay_probabilities",
    "tuned_bandit_baselines",
]

# Duan et al. Table 1 (mean total reward over 1000 bandits), keyed by (n, k).
_BANDIT_COLUMNS = ("random", "gittins", "thompson", "optimistic_thompson", "ucb1",
                   "epsilon_greedy", "greedy", "agent")
PAPER_BANDITS = {
    (10, 5): (5.0, 6.6, 5.7, 6.5, 6.7, 6.6, 6.6, 6.7),
    (10, 10): (5.0, 6.6, 5.5, 6.2, 6.7, 6.6, 6.6, 6.7),
    (10, 50): (5.1, 6.5, 5.2, 5.5, 6.6, 6.5, 6.5, 6.8),
    (100, 5): (49.9, 78.3, 74.7, 77.9, 78.0, 75.4, 74.8, 78.7),
    (100, 10): (49.9, 82.8, 76.7, 81.4, 82.4, 77.4, 77.1, 83.5),
    (100, 50): (49.8, 85.2, 64.5, 67.7, 84.3, 78.3, 78.0, 84.9),
    (500, 5): (249.8, 405.8, 402.0, 406.7, 405.8, 388.2, 380.6, 401.6),
    (500, 10): (249.0, 437.8, 429.5, 438.9, 437.1, 408.0, 395.0, 432.5),
    (500, 50): (249.6, 463.7, 427.2, 437.6, 457.6, 413.6, 402.8, 438.9),
}
# Duan et al. Table 2 (tabular MDPs), keyed by n episodes.
_MDP_COLUMNS = ("random", "psrl", "opsrl", "ucrl2", "beb", "epsilon_greedy", "greedy",
                "agent")
PAPER_MDPS = {
    10: (100.1, 138.1, 144.1, 146.6, 150.2, 132.8, 134.8, 156.2),
    25: (250.2, 408.8, 425.2, 424.1, 427.8, 377.3, 368.8, 445.7),
    50: (499.7, 904.4, 930.7, 918.9, 917.8, 823.3, 769.3, 936.1),
}

LABELS = {"random": "random", "greedy": "greedy", "epsilon_greedy": "eps-greedy",
          "ucb1": "UCB1", "thompson": "Thompson (TS)",
          "optimistic_thompson": "optimistic TS", "gittins": "Gittins index",
          "gittins_at_gamma": "Gittins, agent's gamma",
          "bayes_optimal": "Bayes-optimal (DP)",
          "psrl": "PSRL", "oracle": "value iteration (true MDP)",
          "informative_oracle": "optimal (arm 11, then target)"}

# The excess-regret table's late part: the pulls after this fraction of the horizon.
LATE_FRACTION = 0.4

EPSILONS = (0.01, 0.02, 0.05, 0.1, 0.2)
UCB_CS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
GITTINS_DISCOUNTS = (0.8, 0.9, 0.95, 0.98, 0.99)
MDP_EPSILONS = (0.02, 0.05, 0.1, 0.2, 0.3)


def tuned_bandit_baselines(env, val_tasks, log=print) -> dict:
  """Bandit baselines, those with a parameter tuned on `val_tasks`.

  Returns:
    {name: (policy, parameter text)} for random, greedy, epsilon_greedy, ucb1,
    thompson, optimistic_thompson and gittins.
  """
  n = env.num_pulls
  eps, _ = baselines.tune(env, baselines.EpsilonGreedy, EPSILONS, val_tasks)
  c, _ = baselines.tune(env, baselines.UCB1, UCB_CS, val_tasks)
  discount, _ = baselines.tune(env, lambda g: baselines.Gittins(g, n),
                               GITTINS_DISCOUNTS, val_tasks)
  log(f"  tuned on {int(val_tasks['policy_u'].shape[0])} validation tasks: "
      f"epsilon={eps}, UCB1 c={c}, Gittins discount={discount}")
  return bandit_baselines(n, eps, c, discount)


def bandit_baselines(num_pulls: int, eps: float, c: float, discount: float) -> dict:
  """{name: (policy, parameter text)}: the bandit baselines at these settings."""
  return {
      "random": (baselines.RandomPolicy(), "-"),
      "greedy": (baselines.Greedy(), "-"),
      "epsilon_greedy": (baselines.EpsilonGreedy(eps), f"eps={eps}"),
      "ucb1": (baselines.UCB1(c), f"c={c}"),
      "thompson": (baselines.Thompson(), "-"),
      "optimistic_thompson": (baselines.OptimisticThompson(), "-"),
      "gittins": (baselines.Gittins(discount, num_pulls), f"discount={discount}"),
  }


def recorded_bandit_baselines(metrics: dict, num_pulls: int) -> dict:
  """`bandit_baselines` at the settings an evaluation recorded in `metrics` (its
  "<name>_tuned" parameter texts, e.g. "c=0.2")."""
  value = lambda name: float(str(metrics[f"{name}_tuned"]).split("=")[1])
  return bandit_baselines(num_pulls, value("epsilon_greedy"), value("ucb1"),
                          value("gittins"))


def mdp_baselines(eps: float) -> dict:
  """{name: (policy, parameter text)}: the MDP baselines, epsilon-greedy at `eps`."""
  return {
      "random": (baselines.RandomPolicy(), "-"),
      "psrl": (baselines.PSRL(), "-"),
      "greedy": (baselines.ModelBasedEpsilonGreedy(0.0), "-"),
      "epsilon_greedy": (baselines.ModelBasedEpsilonGreedy(eps), f"eps={eps}"),
      "oracle": (baselines.ValueIterationOracle(), "-"),
  }


def _run(env, policies: dict, tasks, seed: int) -> dict:
  keep = ("mean_reward",) + (("best_mean", "action", "reward") if env.obs_dim == 0
                             else ("state", "action"))
  return {name: rollout.evaluate_policy(env, policy, tasks, seed=seed, keep=keep)
          for name, (policy, _) in policies.items()}


def _regret(result) -> np.ndarray:
  """Cumulative expected regret `[N, T]`: sum of max_a p_a - p_{a_t}."""
  return np.cumsum(result["best_mean"] - result["mean_reward"], axis=1)


def bandit_table(results: dict, params: dict, agent: str, paper: dict, title: str):
  """Rows per method: mean total reward, s.e., paper, paired agent - method, regret."""
  rows = []
  for name, result in results.items():
    total = result["total_reward"]
    mean, se = evaluation.mean_stderr(total)
    paired = "-"
    if name != agent:
      diff = results[agent]["total_reward"] - total
      d_mean, d_se = evaluation.mean_stderr(diff)
      paired = f"{float(d_mean):+.2f} ± {float(d_se):.2f}"
    regret = float(_regret(result)[:, -1].mean()) if "best_mean" in result else "-"
    paper_value = paper.get(name)
    rows.append([LABELS.get(name, name), params.get(name, "-"), float(mean), float(se),
                 "-" if paper_value is None else float(paper_value), paired, regret])
  return evaluation.format_table(
      ["method", "tuned", "mean total reward", "s.e.", "paper", "agent - this (paired)",
       "regret"], rows, title=title)


def late_excess(actions, rewards, terms, start: int) -> tuple:
  """Where a two-armed policy's excess regret falls late in the trial.

  Args:
    actions, rewards: `[N, T]` rollout arrays.
    terms: `[N, T]` per-pull excess (`baselines.bayes_excess_regret(...,
      per_pull=True)`).
    start: pulls after this one count as late.

  Returns:
    (mean late excess per task, the share of it on pulls of the arm whose posterior
    mean was lower; NaN where there is no late excess).
  """
  successes, failures = baselines.two_arm_counts(actions, rewards)
  mean = (successes + 1.0) / (successes + failures + 2.0)  # [N, T, arm]
  chosen = np.take_along_axis(mean, np.asarray(actions)[..., None], -1)[..., 0]
  lower = chosen < mean.sum(-1) - chosen - 1e-12
  late = terms[:, start:]
  total = late.sum()
  share = late[lower[:, start:]].sum() / total if total > 0 else float("nan")
  return total / late.shape[0], share


def excess_table(results: dict, params: dict, agent: str, horizon: int,
                 title: str) -> tuple:
  """Two-armed independent bandits: each method's expected regret above the
  Bayes-optimal policy's (`baselines.bayes_excess_regret`, exact in expectation),
  and how much of it comes late (after `LATE_FRACTION` of the horizon).

  Returns:
    (table text, {name: per-task excess `[N]`}).
  """
  terms = {name: baselines.bayes_excess_regret(r["action"], r["reward"], horizon,
                                               per_pull=True)
           for name, r in results.items()}
  excess = {name: t.sum(1) for name, t in terms.items()}
  floor = baselines.BayesOptimal.expected_regret(horizon)
  start = round(LATE_FRACTION * horizon)
  rows = []
  for name, values in excess.items():
    mean, se = evaluation.mean_stderr(values)
    paired = "-"
    if name != agent:
      d_mean, d_se = evaluation.mean_stderr(values - excess[agent])
      paired = f"{float(d_mean):+.3f} ± {float(d_se):.3f}"
    late, share = late_excess(results[name]["action"], results[name]["reward"],
                              terms[name], start)
    rows.append([LABELS.get(name, name), params.get(name, "-"), float(mean), float(se),
                 paired, floor + float(mean), float(late),
                 "-" if np.isnan(share) else f"{share:.0%}"])
  table = evaluation.format_table(
      ["method", "tuned", "regret above Bayes-optimal", "s.e.",
       "this - agent (paired)", "expected regret", f"after pull {start}",
       "of that, on the lower-mean arm"], rows, title=title)
  return table, excess


def expected_regret_claims(excess: dict, agent: str, horizon: int) -> list:
  """The agent's expected regret below Thompson sampling's and UCB1's: the paired
  difference of their regrets above the Bayes optimum (`excess_table`) with its 95%
  interval below 0."""
  floor = baselines.BayesOptimal.expected_regret(horizon)
  claims = []
  for base in ("thompson", "ucb1"):
    mean, se = (float(v) for v in evaluation.mean_stderr(excess[agent] - excess[base]))
    claims.append(evaluation.Claim(
        name=f"expected_regret_vs_{base}",
        statement=(f"{agent} expected regret at {horizon} pulls below {LABELS[base]}'s "
                   "(paired 95% interval below 0)"),
        measured=(f"{floor + excess[agent].mean():.3f} vs "
                  f"{floor + excess[base].mean():.3f} (paired {mean:+.3f} ± {se:.3f} "
                  f"s.e.; 95% interval up to {mean + 1.96 * se:+.3f})"),
        holds=mean + 1.96 * se < 0.0))
  return claims


def _agent_name(config) -> str:
  return "RL^2" if config.cell == "gru" else "LSTM (Wang et al.)"


def _tasks(env, context, config):
  num = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  test = env.sample_tasks(envs.test_seeds(env, context.seed, num))
  val = env.sample_tasks(env.seeds("validation", 0, num_val))
  return test, val, num, num_val


def _regret_plot(path, results, names, title):
  curves = {}
  for name in (n for n in names if n in results):
    regret = _regret(results[name])
    mean, se = evaluation.mean_stderr(regret)
    curves[LABELS.get(name, name)] = (np.arange(1, regret.shape[1] + 1), mean, se)
  return evaluation.plot_curves(path, curves, title=title, xlabel="pull",
                                ylabel="cumulative regret (mean ± s.e.)")


def evaluate_bandit(net, config, context, name, agent=None, paper=None,
                    paper_source="Duan et al. Table 1"):
  """Any agent on the held-out Bernoulli bandits beside the tuned baselines.

  `agent` names the agent's row (default: RL^2 or Wang et al.'s LSTM, by the config's
  cell); `paper` maps row names to the paper's numbers (default: Duan et al.'s Table 1
  for RL^2). Other packages' bandit agents (e.g. SNAIL) are scored through this so
  that every method sees the same tasks, baselines and claims.
  """
  env = config.env()
  test, val, num, num_val = _tasks(env, context, config)
  policies = tuned_bandit_baselines(env, val, context.log)
  agent = agent or _agent_name(config)
  if config.claim_regret_vs_baselines and config.gamma < 1.0:
    # The Gittins policy at the discount the agent was trained with: the optimum of
    # (nearly) the agent's own training objective, the regret its training aims at.
    # Undiscounted (gamma 1), that optimum is the Bayes-optimal row below.
    policies["gittins_at_gamma"] = (baselines.Gittins(config.gamma, env.num_pulls),
                                    f"discount={config.gamma}")
  if (env.num_arms == 2 and getattr(env, "prior", None) == "independent"
      and env.num_pulls <= baselines.MAX_BAYES_HORIZON):
    # The least regret any policy can have in expectation: the exact finite-horizon
    # optimum for this prior.
    policies["bayes_optimal"] = (baselines.BayesOptimal(env.num_pulls), "-")
  policies[agent] = (model_lib.AgentPolicy(net, greedy=config.eval_greedy), "-")
  results = _run(env, policies, test, context.seed)
  params = {k: p for k, (_, p) in policies.items()}
  key = (env.num_pulls, env.num_arms)
  if paper is None:
    paper = {}
    if key in PAPER_BANDITS and config.cell == "gru":
      paper = dict(zip(_BANDIT_COLUMNS, PAPER_BANDITS[key]))
      paper[agent] = paper.pop("agent")
  table = bandit_table(
      results, params, agent, paper,
      title=(f"{name}: {env.num_arms}-armed Bernoulli bandits, p ~ U[0,1], "
             f"{env.num_pulls} pulls, {num} held-out tasks (seed {context.seed}); "
             f"baselines tuned on {num_val} validation tasks; paper: {paper_source}"
             if paper else f"{name}: {env.num_arms}-armed bandits, "
             f"{env.num_pulls} pulls, {num} held-out tasks (seed {context.seed})"))
  means = {k: float(r["total_reward"].mean()) for k, r in results.items()}
  regrets = {k: float(_regret(r)[:, -1].mean()) for k, r in results.items()}
  ours = results[agent]["total_reward"]
  claims = []
  vs_ts = evaluation.mean_stderr(ours - results["thompson"]["total_reward"])
  vs_gittins = evaluation.mean_stderr(ours - results["gittins"]["total_reward"])
  if config.claim_min_vs_thompson is not None:
    claims.append(evaluation.Claim(
        name="vs_thompson",
        statement=(f"{agent} mean total reward >= Thompson sampling's"
                   + (f" + {config.claim_min_vs_thompson}"
                      if config.claim_min_vs_thompson else "")),
        measured=(f"{means[agent]:.2f} vs {means['thompson']:.2f} (paired "
                  f"{float(vs_ts[0]):+.2f} ± {float(vs_ts[1]):.2f})"),
        holds=means[agent] - means["thompson"] >= config.claim_min_vs_thompson))
  if config.claim_max_below_gittins is not None:
    claims.append(evaluation.Claim(
        name="vs_gittins",
        statement=(f"{agent} within {config.claim_max_below_gittins} of the Gittins "
                   "index policy's mean total reward"),
        measured=(f"{means[agent]:.2f} vs {means['gittins']:.2f} (paired "
                  f"{float(vs_gittins[0]):+.2f} ± {float(vs_gittins[1]):.2f})"),
        holds=means["gittins"] - means[agent] <= config.claim_max_below_gittins))
  if config.claim_paper_value is not None:
    claims.append(evaluation.Claim(
        name="vs_paper",
        statement=(f"{agent} mean total reward within {config.claim_paper_tolerance} "
                   f"of the paper's {config.claim_paper_value}"),
        measured=f"{means[agent]:.2f}",
        holds=abs(means[agent] - config.claim_paper_value)
        <= config.claim_paper_tolerance + 1e-9))
  if config.claim_regret_vs_baselines:
    for base in ("thompson", "ucb1"):
      claims.append(evaluation.Claim(
          name=f"regret_vs_{base}",
          statement=(f"{agent} cumulative regret at {env.num_pulls} pulls below "
                     f"{LABELS[base]}'s"),
          measured=f"{regrets[agent]:.2f} vs {regrets[base]:.2f}",
          holds=regrets[agent] < regrets[base]))
  plot = _regret_plot(
      os.path.join(context.output_dir, f"{name}_regret.png"), results,
      [agent, "bayes_optimal", "gittins", "ucb1", "thompson", "optimistic_thompson",
       "epsilon_greedy", "greedy"],
      title=f"{name}: cumulative regret on {num} test bandits")
  metrics = {"num_test_tasks": num, "num_validation_tasks": num_val}
  tables = [table]
  if "bayes_optimal" in results:
    text, excess = excess_table(
        results, params, agent, env.num_pulls,
        title=(f"{name}: expected regret above the Bayes-optimal policy's "
               f"({baselines.BayesOptimal.expected_regret(env.num_pulls):.3f}), "
               "prior expectation estimated pull by pull on the same test bandits "
               "(performance-difference identity; far less noise than the "
               "sampled regrets above)"))
    tables.append(text)
    for k, values in excess.items():
      metrics[f"{'agent' if k == agent else k}_excess_regret"] = float(values.mean())
    if config.claim_expected_regret:
      claims += expected_regret_claims(excess, agent, env.num_pulls)
  for k in results:
    key_name = "agent" if k == agent else k
    metrics[f"{key_name}_mean_total_reward"] = means[k]
    metrics[f"{key_name}_regret"] = regrets[k]
  metrics["agent_minus_thompson"] = float(vs_ts[0])
  metrics["agent_minus_gittins"] = float(vs_gittins[0])
  for k, p in params.items():
    if p != "-" and k != "gittins_at_gamma":
      metrics[f"{k}_tuned"] = p
  return evaluation.Report(model=name, tables=tables, claims=claims, metrics=metrics,
                           plots=[plot])


def independent_arm_baselines(num_pulls: int) -> dict:
  """{name: (policy, parameter text)}: the baselines that assume independent arms,
  with fixed parameters, that Wang et al. compare the dependent-bandit agents with."""
  return {"gittins": (baselines.Gittins(0.98, num_pulls), "discount=0.98"),
          "ucb1": (baselines.UCB1(0.2), "c=0.2"),
          "thompson": (baselines.Thompson(), "-")}


def _evaluate_dependent(net, config, context, name):
  """Wang et al. §3.1.2: the agent (trained on `config.prior`) on every dependent
  prior, against baselines that assume independent arms (the paper's comparison)."""
  agent = _agent_name(config)
  rows, metrics, curves = [], {}, {}
  num = context.num_tasks or config.num_test_tasks
  for prior in ("dependent_uniform", "easy", "medium", "hard"):
    env = envs.BernoulliBandit(num_arms=2, num_pulls=config.num_pulls, prior=prior,
                               episode_length=config.bandit_episode_length)
    test = env.sample_tasks(envs.test_seeds(env, context.seed, num))
    policies = {agent: (model_lib.AgentPolicy(net, greedy=config.eval_greedy), "-"),
                **independent_arm_baselines(env.num_pulls),
                "bayes_optimal": (baselines.DependentBayesOptimal(), "-")}
    results = _run(env, policies, test, context.seed)
    regret = {k: _regret(r)[:, -1] for k, r in results.items()}
    row = [prior + (" (trained)" if prior == config.prior else "")]
    for k in policies:
      mean, se = evaluation.mean_stderr(regret[k])
      row += [f"{float(mean):.2f} ± {float(se):.2f}"]
      metrics[f"{prior}_{'agent' if k == agent else k}_regret"] = float(mean)
    rows.append(row)
    mean, se = evaluation.mean_stderr(_regret(results[agent]))
    curves[f"{agent} on {prior}"] = (np.arange(1, env.num_pulls + 1), mean, se)
  table = evaluation.format_table(
      ["test prior", f"{agent} regret", "Gittins (indep.)", "UCB1 c=0.2", "Thompson",
       "Bayes-optimal"],
      rows, title=(f"{name}: cumulative regret after {config.num_pulls} pulls on "
                   f"{num} held-out dependent bandits per prior (seed {context.seed}); "
                   f"trained on {config.prior}. Wang et al. Fig. 3 (curves only): "
                   "agents trained on a prior beat the independent-arm baselines on "
                   "it. Bayes-optimal: knows p2 = 1 - p1 (greedy on pooled counts), "
                   "the least regret any policy can have in expectation"))
  metrics["num_test_tasks"] = num
  plot = evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_regret.png"), curves,
      title=f"{name}: cumulative regret by test prior", xlabel="pull",
      ylabel="cumulative regret (mean ± s.e.)")
  return evaluation.Report(model=name, tables=[table], claims=[], metrics=metrics,
                           plots=[plot])


def _evaluate_informative(net, config, context, name):
  env = config.env()
  num = context.num_tasks or config.num_test_tasks
  test = env.sample_tasks(envs.test_seeds(env, context.seed, num))
  agent = _agent_name(config)
  policies = {agent: (model_lib.AgentPolicy(net, greedy=config.eval_greedy), "-"),
              "informative_oracle": (baselines.InformativeArmOracle(), "-"),
              "random": (baselines.RandomPolicy(), "-")}
  results = {k: rollout.evaluate_policy(env, p, test, seed=context.seed,
                                        keep=("action",))
             for k, (p, _) in policies.items()}
  target = test["target"].numpy()
  actions = results[agent]["action"]
  first_informative = float(np.mean(actions[:, 0] == 10))
  then_target = float(np.mean(actions[:, 1:] == target[:, None]))
  both = float(np.mean((actions[:, 0] == 10) & np.all(actions[:, 1:] == target[:, None],
                                                        axis=1)))
  rows = []
  for k, r in results.items():
    mean, se = evaluation.mean_stderr(r["total_reward"])
    a = r["action"]
    rows.append([LABELS.get(k, k), float(mean), float(se),
                 f"{100 * np.mean(a[:, 0] == 10):.1f}%",
                 f"{100 * np.mean(a[:, 1:] == target[:, None]):.1f}%"])
  table = evaluation.format_table(
      ["policy", "mean total reward", "s.e.", "first pull = arm 11",
       "later pulls = target"], rows,
      title=(f"{name}: informative-arm bandit (11 arms, {env.num_pulls} pulls), "
             f"{num} held-out tasks (seed {context.seed}); Wang et al. §3.1.3: the "
             "agent learns to pull arm 11 first, then the target"))
  threshold = config.claim_min_probability
  claims = [] if threshold is None else [
      evaluation.Claim(name="first_pull_informative",
                       statement=f"{agent} pulls arm 11 first in >= "
                                 f"{100 * threshold:.0f}% of episodes",
                       measured=f"{100 * first_informative:.1f}%",
                       holds=first_informative >= threshold),
      evaluation.Claim(name="then_target",
                       statement=f"then pulls the target arm (>= {100 * threshold:.0f}% "
                                 "of the later pulls)",
                       measured=f"{100 * then_target:.1f}%",
                       holds=then_target >= threshold)]
  counts = np.stack([np.bincount(actions[:, t], minlength=11) / num
                     for t in range(env.num_pulls)])
  plot = _action_plot(os.path.join(context.output_dir, f"{name}_actions.png"), counts,
                      target, actions, title=f"{name}: what the agent pulls")
  metrics = {"num_test_tasks": num, "first_pull_informative": first_informative,
             "later_pulls_target": then_target, "episodes_informative_then_target": both,
             "agent_mean_total_reward": float(results[agent]["total_reward"].mean()),
             "oracle_mean_total_reward": float(
                 results["informative_oracle"]["total_reward"].mean())}
  return evaluation.Report(model=name, tables=[table], claims=claims, metrics=metrics,
                           plots=[plot])


def _action_plot(path, counts, target, actions, title):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
  steps = counts.shape[0]
  informative = counts[:, 10]
  on_target = np.mean(actions == target[:, None], axis=0)
  other = 1.0 - informative - on_target
  x = np.arange(1, steps + 1)
  ax.bar(x, informative, label="arm 11 (informative)")
  ax.bar(x, on_target, bottom=informative, label="target arm")
  ax.bar(x, other, bottom=informative + on_target, label="other arms")
  ax.set_xlabel("pull")
  ax.set_ylabel("fraction of episodes")
  ax.set_title(title)
  ax.legend(fontsize=8)
  return evaluation._save(fig, path)  # pylint: disable=protected-access


def stay_probabilities(actions, states, rewards, common) -> dict:
  """Two-step stay probabilities per task (Daw et al. 2011; Wang et al. Fig. 5).

  Args:
    actions, states, rewards, common: `[N, 2E]` rollout arrays of a `TwoStepTask`.

  Returns:
    {(transition, outcome): [N] per-task P(same first-stage action next episode)},
    transition in ("common", "rare"), outcome in ("rewarded", "unrewarded"); NaN where
    a task never had that case.
  """
  del states
  first = actions[:, 0::2]
  stay = (first[:, 1:] == first[:, :-1]).astype(np.float64)
  was_common = common[:, 0::2][:, :-1] > 0
  rewarded = rewards[:, 1::2][:, :-1] > 0
  out = {}
  for transition, mask_t in (("common", was_common), ("rare", ~was_common)):
    for outcome, mask_r in (("rewarded", rewarded), ("unrewarded", ~rewarded)):
      mask = mask_t & mask_r
      with np.errstate(invalid="ignore"):
        out[(transition, outcome)] = np.where(
            mask.sum(1) > 0, (stay * mask).sum(1) / np.maximum(mask.sum(1), 1), np.nan)
  return out


def stay_effects(probs) -> tuple:
  """(transition x reward interaction, main reward effect), each `[M]` over the M
  tasks where all four stay probabilities of `stay_probabilities` are defined.

  Model-based signature: the reward effect flips with the transition type, i.e.
  [P(C,R) - P(C,U)] - [P(R,R) - P(R,U)] > 0 (a model-free learner gives ~0).
  """
  valid = ~np.any(np.isnan(np.stack(list(probs.values()))), axis=0)
  p = {k: v[valid] for k, v in probs.items()}
  after_common = p[("common", "rewarded")] - p[("common", "unrewarded")]
  after_rare = p[("rare", "rewarded")] - p[("rare", "unrewarded")]
  return after_common - after_rare, 0.5 * (after_common + after_rare)


def _evaluate_two_step(net, config, context, name):
  env = config.env()
  num = context.num_tasks or config.num_test_tasks
  test = env.sample_tasks(envs.test_seeds(env, context.seed, num))
  agent = _agent_name(config)
  policy = model_lib.AgentPolicy(net, greedy=config.eval_greedy)
  fn = rollout.evaluate_policy
  out = fn(env, policy, test, seed=context.seed,
           keep=("action", "reward", "common", "mean_reward"))
  probs = stay_probabilities(out["action"], None, out["reward"], out["common"])
  stats = {k: evaluation.mean_stderr(v[~np.isnan(v)]) for k, v in probs.items()}
  rows = [[t, f"{float(stats[(t, 'rewarded')][0]):.3f} ± "
              f"{float(stats[(t, 'rewarded')][1]):.3f}",
           f"{float(stats[(t, 'unrewarded')][0]):.3f} ± "
           f"{float(stats[(t, 'unrewarded')][1]):.3f}"] for t in ("common", "rare")]
  interaction, reward_effect = stay_effects(probs)
  i_mean, i_se = (float(x) for x in evaluation.mean_stderr(interaction))
  r_mean, r_se = (float(x) for x in evaluation.mean_stderr(reward_effect))
  good_rate = float(np.mean(out["mean_reward"][:, 1::2]))
  # Always choosing the action whose common transition leads to the good state.
  informed = (env.common_prob * env.high_prob
              + (1 - env.common_prob) * (1 - env.high_prob))
  table = evaluation.format_table(
      ["transition", "stay | rewarded", "stay | unrewarded"], rows,
      title=(f"{name}: two-step task stay probabilities (mean ± s.e. over {num} held-out "
             f"trials of {env.num_episodes} episodes, seed {context.seed}); Wang et al. "
             "Fig. 5 shows the model-based pattern: after a rare transition the "
             "reward effect reverses"))
  summary = evaluation.format_table(
      ["statistic", "value"],
      [["transition x reward interaction", f"{i_mean:.3f} ± {i_se:.3f}"],
       ["main reward effect", f"{r_mean:.3f} ± {r_se:.3f}"],
       [f"P(reward) per episode (chance 0.5; knowing the good state {informed:.2f})",
        f"{good_rate:.3f}"]])
  claims = [evaluation.Claim(
      name="model_based_interaction",
      statement=("model-based stay pattern: transition x reward interaction > 0 "
                 "by at least 3 standard errors"),
      measured=f"{i_mean:.3f} ± {i_se:.3f}",
      holds=i_mean > 3 * i_se and i_mean > 0)]
  plot = _stay_plot(os.path.join(context.output_dir, f"{name}_stay_probabilities.png"),
                    stats, title=f"{name}: stay probabilities ({agent})")
  metrics = {"num_test_tasks": num, "interaction": i_mean, "interaction_se": i_se,
             "reward_effect": r_mean, "reward_rate": good_rate}
  for (t, o), (m, _) in stats.items():
    metrics[f"stay_{t}_{o}"] = float(m)
  return evaluation.Report(model=name, tables=[table, summary], claims=claims,
                           metrics=metrics, plots=[plot])


def _stay_plot(path, stats, title):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(5.0, 4.0), dpi=110)
  x = np.arange(2)
  for i, transition in enumerate(("common", "rare")):
    means = [float(stats[(transition, o)][0]) for o in ("rewarded", "unrewarded")]
    errs = [float(stats[(transition, o)][1]) for o in ("rewarded", "unrewarded")]
    ax.bar(x + (i - 0.5) * 0.38, means, 0.38, yerr=errs, capsize=3, label=transition)
  ax.set_xticks(x, ["rewarded", "unrewarded"])
  ax.set_ylim(0.0, 1.0)
  ax.set_ylabel("P(repeat first-stage action)")
  ax.set_title(title, fontsize=9)
  ax.legend(title="transition", fontsize=8)
  return evaluation._save(fig, path)  # pylint: disable=protected-access


def episode_returns(mean_reward, num_episodes: int):
  """`[N, num_episodes]` expected return of each episode of each trial, from the
  per-step expected rewards `[N, T]` of `rollout.evaluate_policy`."""
  mean_reward = np.asarray(mean_reward)
  return mean_reward.reshape(mean_reward.shape[0], num_episodes, -1).sum(-1)


def pairs_tried(state, action, num_states: int, num_actions: int) -> np.ndarray:
  """`[N]` how many distinct state-action pairs each trial tried, from the states and
  actions `[N, T]` of `rollout.evaluate_policy`."""
  pair = np.asarray(state) * num_actions + np.asarray(action)
  seen = np.zeros((pair.shape[0], num_states * num_actions), bool)
  seen[np.arange(pair.shape[0])[:, None], pair] = True
  return seen.sum(1)


def exploration_table(results: dict, env, title: str) -> tuple:
  """Tabular MDPs: per method, the state-action pairs a trial tries and the expected
  return of its first and last episode.

  Returns:
    (table text, {name: pairs tried `[N]`}).
  """
  tried = {k: pairs_tried(r["state"], r["action"], env.num_states, env.num_actions)
           for k, r in results.items()}
  rows = []
  for k, r in results.items():
    mean, se = evaluation.mean_stderr(tried[k])
    returns = episode_returns(r["mean_reward"], env.num_episodes).mean(0)
    rows.append([LABELS.get(k, k), float(mean), float(se), float(returns[0]),
                 float(returns[-1])])
  table = evaluation.format_table(
      ["method", f"pairs tried (of {env.num_states * env.num_actions})", "s.e.",
       "first episode", "last episode"], rows, title=title)
  return table, tried


def _evaluate_mdp(net, config, context, name):
  env = config.env()
  test, val, num, num_val = _tasks(env, context, config)
  eps, _ = baselines.tune(env, baselines.ModelBasedEpsilonGreedy, MDP_EPSILONS, val)
  context.log(f"  tuned on {num_val} validation MDPs: epsilon={eps}")
  agent = _agent_name(config)
  policies = {**mdp_baselines(eps),
              agent: (model_lib.AgentPolicy(net, greedy=config.eval_greedy), "-")}
  results = _run(env, policies, test, context.seed)
  paper = {}
  if env.num_episodes in PAPER_MDPS:
    paper = dict(zip(_MDP_COLUMNS, PAPER_MDPS[env.num_episodes]))
    paper[agent] = paper.pop("agent")
  params = {k: p for k, (_, p) in policies.items()}
  table = bandit_table(
      results, params, agent, paper,
      title=(f"{name}: random tabular MDPs (|S|=10, |A|=5, 10 steps per episode, "
             f"{env.num_episodes} episodes), {num} held-out MDPs (seed {context.seed}); "
             f"eps tuned on {num_val} validation MDPs; paper: Duan et al. Table 2"))
  means = {k: float(r["total_reward"].mean()) for k, r in results.items()}
  ours = results[agent]["total_reward"]
  claims = []
  for base in ("psrl", "epsilon_greedy"):
    d_mean, d_se = evaluation.mean_stderr(ours - results[base]["total_reward"])
    claims.append(evaluation.Claim(
        name=f"above_{base}",
        statement=(f"{agent} mean total reward above {LABELS[base]}'s (paper: "
                   f"{paper.get(agent, '?')} vs {paper.get(base, '?')})"),
        measured=(f"{means[agent]:.1f} vs {means[base]:.1f} (paired "
                  f"{float(d_mean):+.1f} ± {float(d_se):.1f})"),
        holds=means[agent] > means[base]))
  metrics = {"num_test_tasks": num, "num_validation_tasks": num_val,
             "epsilon_greedy_tuned": eps}
  for k, v in means.items():
    metrics[f"{'agent' if k == agent else k}_mean_total_reward"] = v
  explored, tried = exploration_table(
      results, env, title=(f"{name}: distinct state-action pairs tried per trial and "
                           "expected return of the first and last episode (same "
                           "MDPs)"))
  for k, v in tried.items():
    metrics[f"{'agent' if k == agent else k}_pairs_tried"] = float(v.mean())
  curves = {}
  for k in (agent, "psrl", "epsilon_greedy", "oracle", "random"):
    mean, se = evaluation.mean_stderr(episode_returns(results[k]["mean_reward"],
                                                      env.num_episodes))
    curves[LABELS.get(k, k)] = (np.arange(1, env.num_episodes + 1), mean, se)
  plot = evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_episode_return.png"), curves,
      title=f"{name}: expected return per episode", xlabel="episode of the trial",
      ylabel="expected return (mean ± s.e.)")
  return evaluation.Report(model=name, tables=[table, explored], claims=claims,
                           metrics=metrics, plots=[plot])


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  """The variant's tables beside the paper's numbers, its claims and plots."""
  name = getattr(net, "zoo_name", "meta_rl")
  if config.env_kind == "bandit":
    if config.prior == "independent":
      return evaluate_bandit(net, config, context, name)
    return _evaluate_dependent(net, config, context, name)
  if config.env_kind == "restless_bandit":
    # Drifting arms: the same table and claims against the stationary baselines, with
    # no paper column (neither paper tabulates restless bandits).
    return evaluate_bandit(net, config, context, name, paper={})
  if config.env_kind == "informative_arm":
    return _evaluate_informative(net, config, context, name)
  if config.env_kind == "two_step":
    return _evaluate_two_step(net, config, context, name)
  if config.env_kind == "mdp":
    return _evaluate_mdp(net, config, context, name)
  raise ValueError(f"no evaluation for env_kind={config.env_kind!r}")
