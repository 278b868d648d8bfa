"""Scoring sampled rules: a cache keyed by canonical text and a pool of child runs.

Bello et al. (2017), §3.2: the controller's samples are scored by training children;
many samples repeat once the controller concentrates, so each distinct rule (by its
canonical text form) is trained once. The uncached rules of a batch are split over
`num_workers` threads, each running a vectorised `children.ChildRunner` on its share
(TensorFlow runs ops outside the GIL, so the threads overlap).
"""

import concurrent.futures
import json
import os

import numpy as np

from models.optimizer_search import language

__all__ = ["RewardCache", "Scorer", "random_tokens", "rule_text"]


def rule_text(tokens, num_units: int) -> str:
  """The canonical text of a rule in token form (the cache key)."""
  return language.to_text(language.canonical(language.rule_from_tokens(tokens, num_units)))


def random_tokens(rng: np.random.Generator, shape, num_units: int) -> np.ndarray:
  """Uniformly random valid rules `shape + [5U]`: each token uniform over its choices
  (unit k's operands over the operands and o_1..o_{k-1}); the random-search baseline."""
  num_ops, num_unary, num_binary = language.token_vocab_sizes(1)
  cols = []
  for k in range(num_units):
    high = (num_ops + k, num_ops + k, num_unary, num_unary, num_binary)
    cols += [rng.integers(0, h, size=shape) for h in high]
  return np.stack(cols, axis=-1).astype(np.int32)


class RewardCache:
  """Canonical rule text -> reward, saved as JSON (atomically) in the search folder."""

  def __init__(self, path=None):
    self.path = path
    self.rewards = {}
    if path and os.path.exists(path):
      with open(path) as f:
        self.rewards = json.load(f)

  def save(self):
    if not self.path:
      return
    tmp = self.path + ".tmp"
    with open(tmp, "w") as f:
      json.dump(self.rewards, f, sort_keys=True)
    os.replace(tmp, self.path)


class Scorer:
  """Rewards of rules in token form, through the cache and a thread pool of runners.

  Args:
    runner: a `children.ChildRunner` (`rewards(tokens [R, 5U]) -> [R]`).
    num_units: units per rule.
    cache: a `RewardCache` (None: a fresh in-memory one).
    num_workers: threads; each scores an equal share of the uncached rules.
  """

  def __init__(self, runner, num_units: int, cache=None, num_workers: int = 1):
    if num_workers < 1:
      raise ValueError(f"num_workers must be >= 1; received: {num_workers}")
    self.runner = runner
    self.num_units = num_units
    self.cache = cache or RewardCache()
    self.num_workers = num_workers
    self.child_runs = 0  # Rules actually trained (cache misses).
    self._pool = (concurrent.futures.ThreadPoolExecutor(num_workers)
                  if num_workers > 1 else None)

  def score_new(self, rows) -> np.ndarray:
    """Rewards of distinct rules `[R, 5U]`, without the cache, over the workers."""
    rows = np.asarray(rows, np.int32)
    if len(rows) == 0:
      return np.zeros([0], np.float32)
    if self._pool is None or len(rows) < 2:
      return self.runner.rewards(rows)
    chunks = np.array_split(rows, min(self.num_workers, len(rows)))
    return np.concatenate(list(self._pool.map(self.runner.rewards, chunks)))

  def score(self, tokens):
    """Rewards `tokens.shape[:-1]` of rules `[..., 5U]`; returns (rewards, cache hits)."""
    tokens = np.asarray(tokens, np.int32)
    flat = tokens.reshape(-1, tokens.shape[-1])
    texts = [rule_text(t, self.num_units) for t in flat]
    new = {}
    for text, row in zip(texts, flat):
      if text not in self.cache.rewards and text not in new:
        new[text] = row
    if new:
      rewards = self.score_new(np.stack(list(new.values())))
      self.child_runs += len(new)
      for text, r in zip(new, rewards):
        self.cache.rewards[text] = float(r)
    out = np.array([self.cache.rewards[t] for t in texts], np.float32)
    return out.reshape(tokens.shape[:-1]), len(texts) - len(new)

  def close(self):
    if self._pool is not None:
      self._pool.shutdown()
