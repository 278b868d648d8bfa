"""Meta-reinforcement learning: RL^2 (Duan et al. 2016) and Wang et al. (2016).

Modules:
  envs: batched task distributions (bandits, tabular MDPs, the two-step task), stepped
    inside compiled TF code, with per-task seeds and disjoint train / validation / test
    blocks.
  rollout: runs any step-by-step policy over whole trials in one `tf.while_loop`;
    `evaluate_policy` scores a policy on seeded tasks (the same tasks for every method).
  baselines: random, greedy, epsilon-greedy, UCB1, Thompson sampling, optimistic TS,
    Gittins indices; for MDPs PSRL, a model-based epsilon-greedy learner and value
    iteration on the true MDP.
  model: the recurrent actor-critic (GRU for RL^2, LSTM for Wang et al.).
  train: PPO (RL^2) and A2C (Wang et al.) with GAE over whole trials.
"""
