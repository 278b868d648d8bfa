"""SGD, SGD with (Nesterov) momentum, RMSprop and Adam as pure functions.

Each rule is `init(params) -> state` and `update(grads, state, lr) -> (updates,
state)`, where `params` and `grads` are lists of tensors with a leading task axis
`[B, ...]` and `lr` is `[B]` (one learning rate per task). The arithmetic follows
Keras 3's optimizers exactly (the tests compare them step by step), so "tuned Adam"
here is the Adam a Keras user gets.
"""

import dataclasses
import functools
from typing import Callable

import tensorflow as tf

__all__ = ["RULES", "Rule", "get_rule"]


@dataclasses.dataclass(frozen=True)
class Rule:
  name: str
  init: Callable
  update: Callable


def _per_task(lr, like):
  """Broadcasts `lr` `[B]` against a tensor `[B, ...]`."""
  return tf.reshape(lr, [-1] + [1] * (len(like.shape) - 1))


def sgd() -> Rule:
  def init(params):
    return ()

  def update(grads, state, lr):
    return [-_per_task(lr, g) * g for g in grads], state

  return Rule("sgd", init, update)


def nesterov(momentum: float = 0.9) -> Rule:
  """Keras `SGD(momentum=0.9, nesterov=True)`: m <- mu m - lr g; w += mu m - lr g."""
  def init(params):
    return tuple(tf.zeros_like(p) for p in params)

  def update(grads, state, lr):
    new_m = tuple(momentum * m - _per_task(lr, g) * g for g, m in zip(grads, state))
    updates = [momentum * m - _per_task(lr, g) * g for g, m in zip(grads, new_m)]
    return updates, new_m

  return Rule("nesterov", init, update)


def momentum(mu: float = 0.9) -> Rule:
  """Keras `SGD(momentum=0.9)` (heavy ball): m <- mu m - lr g; w += m."""
  def init(params):
    return tuple(tf.zeros_like(p) for p in params)

  def update(grads, state, lr):
    new_m = tuple(mu * m - _per_task(lr, g) * g for g, m in zip(grads, state))
    return list(new_m), new_m

  return Rule("momentum", init, update)


def rmsprop(rho: float = 0.9, epsilon: float = 1e-7) -> Rule:
  """Keras `RMSprop`: v <- rho v + (1 - rho) g^2; w -= lr g / (sqrt(v) + eps)."""
  def init(params):
    return tuple(tf.zeros_like(p) for p in params)

  def update(grads, state, lr):
    new_v = tuple(rho * v + (1.0 - rho) * tf.square(g) for g, v in zip(grads, state))
    updates = [-_per_task(lr, g) * g / (tf.sqrt(v) + epsilon)
               for g, v in zip(grads, new_v)]
    return updates, new_v

  return Rule("rmsprop", init, update)


def adam(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7) -> Rule:
  """Keras `Adam`: bias correction folded into the step size, eps outside the sqrt."""
  def init(params):
    zeros = tuple(tf.zeros_like(p) for p in params)
    return (tf.zeros([], tf.float32), zeros, zeros)

  def update(grads, state, lr):
    t, ms, vs = state
    t = t + 1.0
    new_m = tuple(m + (g - m) * (1.0 - beta_1) for g, m in zip(grads, ms))
    new_v = tuple(v + (tf.square(g) - v) * (1.0 - beta_2) for g, v in zip(grads, vs))
    # Keras: alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t).
    correction = tf.sqrt(1.0 - tf.pow(beta_2, t)) / (1.0 - tf.pow(beta_1, t))
    updates = [-_per_task(lr, m) * correction * m / (tf.sqrt(v) + epsilon)
               for m, v in zip(new_m, new_v)]
    return updates, (t, new_m, new_v)

  return Rule("adam", init, update)


RULES = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "rmsprop": rmsprop,
    "adam": adam,
}


@functools.lru_cache(maxsize=None)
def get_rule(name: str) -> Rule:
  """The rule `name` with Keras' default hyper-parameters (one shared instance)."""
  if name not in RULES:
    raise ValueError(f"Unknown optimizer rule {name!r}; valid: {sorted(RULES)}")
  return RULES[name]()
