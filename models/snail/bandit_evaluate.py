"""Evaluation of the SNAIL bandit agent (Mishra et al. 2017, §5.2, Table 3).

The same protocol, tasks and tuned baselines as the meta-RL package's bandit
evaluation (`models.meta_rl.evaluate`): baselines with a parameter (epsilon-greedy,
UCB1, the Gittins index's discount) are tuned on validation bandits; SNAIL and every
baseline play the same held-out test bandits (the block of `--seed`, 1000 by
default) with the same reward noise. The paper column is Mishra et al.'s Table 3
(its Gittins, random and SNAIL entries; the other baselines' numbers there are Duan
et al.'s).
"""

import os

import numpy as np

from models.meta_rl import envs
from models.meta_rl import evaluate as meta_evaluate
from models.meta_rl import model as meta_model
from models.meta_rl import rollout
from zoo import evaluation

__all__ = ["PAPER_TABLE3", "evaluate"]

AGENT = "SNAIL"
# Mishra et al. Table 3, (N pulls, K arms) -> (Gittins, random, LSTM (RL^2), SNAIL).
PAPER_TABLE3 = {
    (10, 5): (6.6, 5.0, 6.7, 6.6), (10, 10): (6.6, 5.0, 6.7, 6.7),
    (10, 50): (6.5, 5.1, 6.8, 6.7), (100, 5): (78.3, 49.9, 78.7, 79.1),
    (100, 10): (82.8, 49.9, 83.5, 83.5), (100, 50): (85.2, 49.8, 84.9, 85.1),
    (500, 5): (405.8, 249.8, 401.5, 408.1), (500, 10): (437.8, 249.0, 432.5, 432.4),
    (500, 50): (463.7, 249.6, 438.9, 442.6),
}


def _paper(env) -> dict:
  row = PAPER_TABLE3.get((env.num_pulls, env.num_arms))
  if row is None:
    return {}
  return {"gittins": row[0], "random": row[1], AGENT: row[3]}


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  """Mean total reward of SNAIL beside the tuned baselines on the held-out bandits."""
  name = getattr(net, "zoo_name", "snail")
  env = config.env()
  num = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  test = env.sample_tasks(envs.test_seeds(env, context.seed, num))
  val = env.sample_tasks(env.seeds("validation", 0, num_val))
  policies = meta_evaluate.tuned_bandit_baselines(env, val, context.log)
  policies[AGENT] = (meta_model.AgentPolicy(net, greedy=config.eval_greedy), "-")
  keep = ("mean_reward", "best_mean")
  results = {k: rollout.evaluate_policy(env, p, test, seed=context.seed, keep=keep)
             for k, (p, _) in policies.items()}
  params = {k: p for k, (_, p) in policies.items()}
  paper = _paper(env)
  table = meta_evaluate.bandit_table(
      results, params, AGENT, paper,
      title=(f"{name}: {env.num_arms}-armed Bernoulli bandits, p ~ U[0,1], "
             f"{env.num_pulls} pulls, {num} held-out tasks (seed {context.seed}, the "
             f"meta-RL evaluation's tasks); baselines tuned on {num_val} validation "
             "tasks; paper: Mishra et al. Table 3"))
  means = {k: float(r["total_reward"].mean()) for k, r in results.items()}
  ours = results[AGENT]["total_reward"]
  vs_gittins = evaluation.mean_stderr(ours - results["gittins"]["total_reward"])
  vs_ts = evaluation.mean_stderr(ours - results["thompson"]["total_reward"])
  claims = []
  if config.claim_max_below_gittins is not None:
    claims.append(evaluation.Claim(
        name="vs_gittins",
        statement=(f"SNAIL within {config.claim_max_below_gittins} of the Gittins index "
                   f"policy's mean total reward (paper: "
                   f"{paper.get(AGENT, '-')} vs {paper.get('gittins', '-')})"),
        measured=(f"{means[AGENT]:.2f} vs {means['gittins']:.2f} (paired "
                  f"{float(vs_gittins[0]):+.2f} ± {float(vs_gittins[1]):.2f})"),
        holds=means["gittins"] - means[AGENT] <= config.claim_max_below_gittins))
  if config.claim_paper_value is not None:
    claims.append(evaluation.Claim(
        name="vs_paper",
        statement=(f"SNAIL mean total reward within {config.claim_paper_tolerance} of "
                   f"the paper's {config.claim_paper_value}"),
        measured=f"{means[AGENT]:.2f}",
        holds=abs(means[AGENT] - config.claim_paper_value)
        <= config.claim_paper_tolerance + 1e-9))
  metrics = {"num_test_tasks": num, "num_validation_tasks": num_val,
             "agent_mean_total_reward": means[AGENT],
             "agent_minus_gittins": float(vs_gittins[0]),
             "agent_minus_thompson": float(vs_ts[0])}
  for k, v in means.items():
    if k != AGENT:
      metrics[f"{k}_mean_total_reward"] = v
  for k, p in params.items():
    if p != "-":
      metrics[f"{k}_tuned"] = p
  curves = {}
  for k in (AGENT, "gittins", "thompson", "ucb1", "random"):
    regret = np.cumsum(results[k]["best_mean"] - results[k]["mean_reward"], axis=1)
    mean, se = evaluation.mean_stderr(regret)
    curves[meta_evaluate.LABELS.get(k, k)] = (np.arange(1, regret.shape[1] + 1), mean,
                                              se)
  plot = evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_regret.png"), curves,
      title=f"{name}: cumulative regret on {num} test bandits", xlabel="pull",
      ylabel="cumulative regret (mean ± s.e.)",
      styles={AGENT: {"color": "black", "linewidth": 2.2}})
  return evaluation.Report(model=name, tables=[table], claims=claims, metrics=metrics,
                           plots=[plot])
