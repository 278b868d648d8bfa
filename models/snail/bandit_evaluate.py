"""Evaluation of the SNAIL bandit agent (Mishra et al. 2017, §5.2, Table 3).

The same protocol, tasks and tuned baselines as the meta-RL package's bandit
evaluation (`models.meta_rl.evaluate`): baselines with a parameter (epsilon-greedy,
UCB1, the Gittins index's discount) are tuned on validation bandits; SNAIL and every
baseline play the same held-out test bandits (the block of `--seed`, 1000 by
default) with the same reward noise. The paper column is Mishra et al.'s Table 3
(its Gittins, random and SNAIL entries; the other baselines' numbers there are Duan
et al.'s).
"""

from models.meta_rl import evaluate as meta_evaluate
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
  return meta_evaluate.evaluate_bandit(net, config, context, name, agent=AGENT,
                                       paper=_paper(config.env()),
                                       paper_source="Mishra et al. Table 3")
