"""Child problems and the vectorised child runs that score sampled rules.

Bello et al. (2017), §3.2: the reward of a sampled rule is a child network's
validation accuracy after a short training run with that rule. Here a child is an MLP
on the 8x8 digits (the paper's is a small ConvNet on CIFAR-10). Many rules and
learning rates run as one batch of independent children in one compiled loop: the
rules' tokens are tensors, every operand / function is computed and each child
gathers its own choice (an interpreter of the token form), so new rules never
retrace. The reward is the best validation accuracy over a small learning-rate grid,
since the scale of a rule's output varies by orders of magnitude.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from models.classic_optimizers import runner
from models.optimizees import base
from models.optimizer_search import language
from models.optimizer_search import ops

__all__ = ["DigitsClassifier", "ChildRunner"]


@dataclasses.dataclass(frozen=True)
class DigitsClassifier(base.TaskFamily):
  """An MLP of any depth trained with minibatch cross-entropy on the 8x8 digits'
  train split; its objective is the error rate on `eval_split` (what the search
  rewards and the held-out comparison reports).

  Attributes:
    sizes: layer widths, input (64) to classes (10).
    activation: "relu", "sigmoid" or "tanh" between layers.
    batch_size, horizon: minibatches of each task (drawn from its seed).
    eval_split: "validation" or "test" split of the digits for the objective.
  """
  sizes: tuple = (64, 32, 10)
  activation: str = "relu"
  batch_size: int = 32
  horizon: int = 100
  eval_split: str = "validation"

  name = "digits_classifier"
  salt = 41

  def __post_init__(self):
    if self.activation not in ("relu", "sigmoid", "tanh"):
      raise ValueError(f"activation must be 'relu', 'sigmoid' or 'tanh'; received: "
                       f"{self.activation!r}")
    if self.eval_split not in ("validation", "test"):
      raise ValueError(f"eval_split must be 'validation' or 'test'; received: "
                       f"{self.eval_split!r}")
    if len(self.sizes) < 2 or self.sizes[0] != 64 or self.sizes[-1] != 10:
      raise ValueError(f"sizes must run from 64 inputs to 10 classes; received: "
                       f"{self.sizes}")

  def _arrays(self, split):
    from datasets import sklearn_digits  # pylint: disable=g-import-not-at-top
    with tf.init_scope():
      x, y = sklearn_digits.load_arrays(split)
    return tf.constant(x, tf.float32), tf.constant(y, tf.int32)

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, len(self.sizes))
    params = []
    for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
      params += [tf.random.stateless_normal([a, b], s[i]) / np.sqrt(a), tf.zeros([b])]
    n = int(self._arrays("train")[0].shape[0])
    batches = tf.random.stateless_uniform([self.horizon, self.batch_size], s[-1],
                                          minval=0, maxval=n, dtype=tf.int32)
    return {"batches": batches}, params

  def logits(self, x, params, per_task_inputs: bool):
    act = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid, "tanh": tf.tanh}[self.activation]
    h = x
    for i in range(0, len(params), 2):
      eq = "bni,bio->bno" if (per_task_inputs or i) else "ni,bio->bno"
      h = tf.einsum(eq, h, params[i]) + params[i + 1][:, None, :]
      if i + 2 < len(params):
        h = act(h)
    return h

  def stochastic_objective(self, task, params, step):
    x, y = self._arrays("train")
    idx = tf.gather(task["batches"], tf.math.floormod(step, self.horizon), axis=1)
    logits = self.logits(tf.gather(x, idx), params, per_task_inputs=True)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.gather(y, idx), logits)
    return tf.reduce_mean(ce, axis=-1)

  def objective(self, task, params):
    """Error rate on `eval_split`; a child whose outputs are not finite scores 1."""
    x, y = self._arrays(self.eval_split)
    logits = self.logits(x, params, per_task_inputs=False)
    correct = tf.logical_and(
        tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), y[None, :]),
        tf.reduce_all(tf.math.is_finite(logits), axis=-1))
    return 1.0 - tf.reduce_mean(tf.cast(correct, tf.float32), axis=-1)


def _gather(stack, index):
  """stack `[B, K, N]`, index `[B]` -> `[B, N]`: each child's own choice."""
  return tf.gather(stack, index, batch_dims=1)


def interpret_tokens(tokens, num_units: int, g, w, slots, t, noise, uniform):
  """The update direction of every child's rule at once (the token form, Fig. 2).

  Args:
    tokens: `[B, 5 * num_units]` int32, one rule per child.
    g, w: flat gradients and parameters `[B, N]`.
    slots: {"m", "v", "y"} running averages `[B, N]` after this step's gradient.
    t: float step count (>= 1). noise, uniform: samplers of a shape.

  Returns:
    `[B, N]`: each child's rule evaluated on its own operands.
  """
  operands = [ops.operand(name, g, w, slots, t, noise) for name in language.OPERANDS]
  unary_draw = uniform(tf.shape(g))
  outputs = []
  for k in range(num_units):
    cands = tf.stack(operands + outputs, axis=1)
    op1, op2, u1, u2, b = [tokens[:, 5 * k + i] for i in range(5)]
    args = []
    for op, u in ((op1, u1), (op2, u2)):
      x = _gather(cands, op)
      values = [ops.apply_unary(fn, x, lambda shape: unary_draw) for fn in language.UNARY]
      args.append(_gather(tf.stack(values, axis=1), u))
    values = [ops.apply_binary(fn, args[0], args[1]) for fn in language.BINARY]
    outputs.append(_gather(tf.stack(values, axis=1), b))
  return outputs[-1]


class ChildRunner:
  """Scores batches of rules in token form on a child family, in one compiled loop.

  `run(tokens [R, 5U]) -> accuracy [R, L, C]` trains C children (tasks `task_seeds`)
  per rule and learning rate for `steps` steps; `rewards(tokens) -> [R]` is the best
  mean accuracy over the learning rates.
  """

  def __init__(self, family, num_units: int, steps: int, learning_rates, task_seeds):
    self.family = family
    self.num_units = num_units
    self.steps = steps
    self.learning_rates = tf.constant(learning_rates, tf.float32)
    self.task_seeds = tf.convert_to_tensor(task_seeds, tf.int32)
    self._run = tf.function(self._run_impl, input_signature=[
        tf.TensorSpec([None, 5 * num_units], tf.int32)])

  def _run_impl(self, tokens):
    num_rules = tf.shape(tokens)[0]
    num_lr = tf.shape(self.learning_rates)[0]
    num_tasks = tf.shape(self.task_seeds)[0]
    task, params = self.family.sample(self.task_seeds)
    per = num_lr * num_tasks
    # Child order: rule-major, then learning rate, then task.
    tile = lambda x: tf.tile(x, tf.concat([[num_rules * num_lr],
                                           tf.ones([tf.rank(x) - 1], tf.int32)], 0))
    task = tf.nest.map_structure(tile, task)
    params = [tile(p) for p in params]
    tok = tf.repeat(tokens, per, axis=0)
    lr = tf.tile(tf.repeat(self.learning_rates, num_tasks), [num_rules])
    shapes = [tf.shape(p) for p in params]
    sizes = [int(np.prod(p.shape[1:])) for p in params]

    def flat(xs):
      return tf.concat([tf.reshape(x, [tf.shape(x)[0], -1]) for x in xs], axis=1)

    def init(params):
      z = tf.zeros_like(flat(params))
      return (tf.zeros([], tf.float32), {"m": z, "v": z, "y": z}, flat(params))

    def update(grads, state):
      t, slots, w = state
      t = t + 1.0
      g = flat(grads)
      slots = ops.update_slots(slots, g)
      seed = tf.stack([tf.cast(t, tf.int32), 0])
      # One draw per coordinate shared by every child, so a rule's reward does not
      # depend on where it sits in the batch.
      value = interpret_tokens(
          tok, self.num_units, g, w, slots, t,
          lambda shape: tf.broadcast_to(tf.random.stateless_normal(shape[1:], seed), shape),
          lambda shape: tf.broadcast_to(
              tf.random.stateless_uniform(shape[1:], seed + 7919), shape))
      u = -lr[:, None] * value
      parts = tf.split(u, sizes, axis=1)
      return [tf.reshape(p, s) for p, s in zip(parts, shapes)], (t, slots, w + u)

    errors = runner.run_updates(self.family, task, params, init, update, self.steps,
                                record_every=self.steps)[-1]
    return tf.reshape(1.0 - errors, [num_rules, num_lr, num_tasks])

  def run(self, tokens) -> np.ndarray:
    """Accuracy `[R, L, C]` of every rule, learning rate and child task."""
    return self._run(tf.convert_to_tensor(np.asarray(tokens, np.int32))).numpy()

  def rewards(self, tokens) -> np.ndarray:
    """The reward of each rule `[R]`: best mean accuracy over the learning rates."""
    return self.run(tokens).mean(axis=-1).max(axis=-1)
