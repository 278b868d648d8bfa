"""Rules of the language as Keras 3 optimizers and as batched update functions.

Bello et al. (2017), §3.1: a rule r gives the update w <- w - lambda * r. The compiler
walks the (canonical) expression tree once per step; the optimizer holds exactly the
running averages the rule reads (`language.slots_of`): none for `mul(sign_g, g)`,
m for PowerSign, m and v for the Adam operand.
"""

import keras
import tensorflow as tf

from models.classic_optimizers import rules as classic_rules
from models.optimizer_search import language
from models.optimizer_search import ops

__all__ = ["RuleOptimizer", "batched_rule", "evaluate_rule"]


def evaluate_rule(node, operand_fn, uniform):
  """The value of rule `node`; `operand_fn(name)` gives each operand (computed once)."""
  cache = {}

  def walk(n):
    if isinstance(n, language.Operand):
      if n.name not in cache:
        cache[n.name] = operand_fn(n.name)
      return cache[n.name]
    if isinstance(n, language.Unary):
      return ops.apply_unary(n.fn, walk(n.x), uniform)
    return ops.apply_binary(n.fn, walk(n.x), walk(n.y))

  return walk(language.canonical(node))


def _as_rule(rule):
  return language.parse(rule) if isinstance(rule, str) else rule


def batched_rule(rule, name: str = "") -> classic_rules.Rule:
  """The rule as `models.classic_optimizers` functions over task batches.

  `init(params) -> state`, `update(grads, state, lr[B]) -> (updates, state)` with
  params `[B, ...]` and one learning rate per task, so `classic_optimizers.run_rule`
  and its tuning run a discovered rule exactly as they run Adam. Random operands draw
  from stateless seeds (step, tensor index).
  """
  node = language.canonical(_as_rule(rule))
  slots = language.slots_of(node)
  needs_w = bool(language.operands_of(node) & {"wd3", "wd4"})

  def init(params):
    zeros = {k: tuple(tf.zeros_like(p) for p in params) for k in slots}
    return (tf.zeros([], tf.float32), zeros, tuple(params) if needs_w else ())

  def update(grads, state, lr):
    t, slot_vals, ws = state
    t = t + 1.0
    step = tf.cast(t, tf.int32)
    new_slots = {k: [] for k in slots}
    updates, new_ws = [], []
    for i, g in enumerate(grads):
      s = ops.update_slots({k: slot_vals[k][i] for k in slots}, g)
      for k in slots:
        new_slots[k].append(s[k])
      w = ws[i] if needs_w else None
      seed = tf.stack([step, tf.constant(i, tf.int32)])
      noise = lambda shape, seed=seed: tf.random.stateless_normal(shape, seed)
      uniform = lambda shape, seed=seed: tf.random.stateless_uniform(shape, seed + 7919)
      value = evaluate_rule(node, lambda n, g=g, w=w, s=s: ops.operand(n, g, w, s, t, noise),
                            uniform)
      u = -classic_rules._per_task(lr, g) * value  # pylint: disable=protected-access
      updates.append(u)
      if needs_w:
        new_ws.append(w + u)
    return updates, (t, {k: tuple(v) for k, v in new_slots.items()}, tuple(new_ws))

  return classic_rules.Rule(name or language.to_text(node), init, update)


@keras.saving.register_keras_serializable(package="metazoo")
class RuleOptimizer(keras.optimizers.Optimizer):
  """A Keras 3 optimizer that applies a rule of the language: w <- w - lr * rule.

      opt = RuleOptimizer("mul(exp(mul(sign_g, sign_m)), g)", learning_rate=0.1)
      model.compile(optimizer=opt, loss="mse")

  Args:
    rule: the rule's text form (or a parsed `language.Node`).
    learning_rate: lambda of eq. 1 (a float or a Keras schedule).
    **kwargs: the usual `keras.optimizers.Optimizer` arguments.

  Raises:
    language.RuleSyntaxError: the rule does not parse (the message points at the token).
  """

  def __init__(self, rule, learning_rate=0.01, name="rule_optimizer", **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    self.rule = language.canonical(_as_rule(rule))
    self.slot_names = language.slots_of(self.rule)
    self._slots = {}

  def build(self, var_list):
    if self.built:
      return
    super().build(var_list)
    # Only the running averages the rule reads.
    for k in self.slot_names:
      self._slots[k] = [self.add_variable_from_reference(v, name=f"slot_{k}")
                        for v in var_list]

  def update_step(self, gradient, variable, learning_rate):
    lr = tf.cast(learning_rate, variable.dtype)
    g = tf.cast(gradient, variable.dtype)
    t = tf.cast(self.iterations + 1, variable.dtype)
    index = self._get_variable_index(variable)
    new = ops.update_slots({k: self._slots[k][index] for k in self.slot_names}, g)
    for k in self.slot_names:
      self.assign(self._slots[k][index], new[k])
    value = evaluate_rule(
        self.rule, lambda n: ops.operand(n, g, variable, new, t,
                                         lambda s: tf.random.normal(s, dtype=g.dtype)),
        lambda s: tf.random.uniform(s, dtype=g.dtype))
    self.assign_sub(variable, lr * value)

  def get_config(self):
    return dict(super().get_config(), rule=language.to_text(self.rule))
