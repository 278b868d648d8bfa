"""The controller: an RNN that writes update rules token by token.

Bello et al. (2017), §3.2 and Fig. 2: a recurrent network emits, for each unit of the
rule, (op1, op2, u1, u2, b) from a softmax over the choices of that position; each
token's embedding is the next step's input. We keep a population of S independent
controllers in one model (weights with a leading axis S), one per search seed, so the
several searches of the evaluation train in the same compiled steps and share one
batch of child runs.

The model also carries the search record as non-trainable weights (every sampled
rule's tokens and reward, for the controller and for random search at the same
number of child runs), so the shipped checkpoint holds the searches it came from.
"""

import keras
import tensorflow as tf

from models.optimizer_search import language

__all__ = ["RuleController", "build_from_config", "gru_step", "position_logits"]

# The kind of each of a unit's five tokens (op1, op2, u1, u2, b): operand, unary, binary.
_KIND = (0, 0, 1, 1, 2)


def gru_step(x, h, kernel_zr, bias_zr, kernel_n, bias_n):
  """A GRU step batched over controllers: x `[S, K, E]`, h `[S, K, H]`.

  z, r = sigmoid([x, h] W_zr + b_zr); n = tanh([x, r * h] W_n + b_n);
  h' = (1 - z) * n + z * h  (Cho et al. 2014).
  """
  zr = tf.sigmoid(tf.einsum("ski,sio->sko", tf.concat([x, h], -1), kernel_zr)
                  + bias_zr[:, None, :])
  z, r = tf.split(zr, 2, axis=-1)
  n = tf.tanh(tf.einsum("ski,sio->sko", tf.concat([x, r * h], -1), kernel_n)
              + bias_n[:, None, :])
  return (1.0 - z) * n + z * h


def position_logits(h, head_w, head_b, position: int, num_units: int):
  """Logits of token `position` `[S, K, choices]`: its kind's softmax head, with the
  operands o_j of later units masked out (unit k reads o_1..o_{k-1} only)."""
  num_ops = len(language.OPERANDS)
  kind = _KIND[position % 5]
  logits = tf.einsum("skh,shc->skc", h, head_w[kind]) + head_b[kind][:, None, :]
  if kind == 0:
    unit = position // 5
    choices = num_ops + num_units - 1
    valid = tf.range(choices) < num_ops + unit
    logits = tf.where(valid, logits, tf.fill(tf.shape(logits), -1e9))
  return logits, kind


@keras.saving.register_keras_serializable(package="metazoo")
class RuleController(keras.Model):
  """S controllers (GRU, `hidden` units) that sample rules of `num_units` units.

  Call on tokens `[S, K, 5U]` (int32) to get their log-probabilities and the entropy
  of each position's distribution, both `[S, K]` (teacher forcing). `sample` draws
  new rules.

  Args:
    num_controllers: S, the population (one per search seed).
    num_units: units per rule (U); 5U tokens.
    hidden, embedding: GRU and token-embedding sizes.
    log_capacity: samples the search record holds per controller.
  """

  def __init__(self, num_controllers: int = 3, num_units: int = 2, hidden: int = 32,
               embedding: int = 16, log_capacity: int = 1, **kwargs):
    super().__init__(**kwargs)
    self.num_controllers = num_controllers
    self.num_units = num_units
    self.hidden = hidden
    self.embedding = embedding
    self.log_capacity = log_capacity
    self.num_tokens = 5 * num_units
    self.vocab = language.token_vocab_sizes(num_units)
    # Token ids of the three kinds share one embedding table; the last id is <start>.
    self.offsets = (0, self.vocab[0], self.vocab[0] + self.vocab[1])
    self.start_id = sum(self.vocab)

  def build(self, input_shape=None):
    if self.built:
      return
    s, h, e = self.num_controllers, self.hidden, self.embedding
    uniform = keras.initializers.RandomUniform(-0.1, 0.1)
    self.embed = self.add_weight(name="embed", shape=(s, self.start_id + 1, e),
                                 initializer=uniform)
    self.kernel_zr = self.add_weight(name="kernel_zr", shape=(s, e + h, 2 * h),
                                     initializer=uniform)
    self.bias_zr = self.add_weight(name="bias_zr", shape=(s, 2 * h), initializer="zeros")
    self.kernel_n = self.add_weight(name="kernel_n", shape=(s, e + h, h),
                                    initializer=uniform)
    self.bias_n = self.add_weight(name="bias_n", shape=(s, h), initializer="zeros")
    # Heads start at zero: the first samples are uniform over the valid choices.
    self.head_w = [self.add_weight(name=f"head_w{i}", shape=(s, h, c), initializer="zeros")
                   for i, c in enumerate(self.vocab)]
    self.head_b = [self.add_weight(name=f"head_b{i}", shape=(s, c), initializer="zeros")
                   for i, c in enumerate(self.vocab)]
    # Search state: the reward baseline b (an exponential moving average) per
    # controller, and the record of every sample (controller and random search).
    n, t = self.log_capacity, self.num_tokens
    self.baseline = self.add_weight(name="baseline", shape=(s,), initializer="zeros",
                                    trainable=False)
    self.num_logged = self.add_weight(name="num_logged", shape=(), initializer="zeros",
                                      trainable=False)
    self.log_tokens = self.add_weight(name="log_tokens", shape=(s, n, t),
                                      initializer="zeros", trainable=False)
    self.log_rewards = self.add_weight(name="log_rewards", shape=(s, n),
                                       initializer="zeros", trainable=False)
    self.random_tokens = self.add_weight(name="random_tokens", shape=(s, n, t),
                                         initializer="zeros", trainable=False)
    self.random_rewards = self.add_weight(name="random_rewards", shape=(s, n),
                                          initializer="zeros", trainable=False)
    super().build(input_shape)

  def _input(self, previous, position: int):
    """Embeddings `[S, K, E]` of the previous tokens (kind-offset ids)."""
    if position == 0:
      ids = previous  # Already <start>.
    else:
      kind = _KIND[(position - 1) % 5]
      ids = previous + self.offsets[kind]
    return tf.gather(self.embed, ids, batch_dims=1)

  def _step(self, previous, h, position):
    x = self._input(previous, position)
    h = gru_step(x, h, self.kernel_zr, self.bias_zr, self.kernel_n, self.bias_n)
    logits, _ = position_logits(h, self.head_w, self.head_b, position, self.num_units)
    return logits, h

  def call(self, tokens):
    """Log-probability and summed entropy `[S, K]` of rules `tokens` `[S, K, 5U]`."""
    tokens = tf.cast(tokens, tf.int32)
    k = tf.shape(tokens)[1]
    h = tf.zeros([self.num_controllers, k, self.hidden])
    previous = tf.fill([self.num_controllers, k], self.start_id)
    logp = tf.zeros([self.num_controllers, k])
    entropy = tf.zeros([self.num_controllers, k])
    for p in range(self.num_tokens):
      logits, h = self._step(previous, h, p)
      log_probs = tf.nn.log_softmax(logits)
      logp += tf.gather(log_probs, tokens[:, :, p], batch_dims=2)
      entropy -= tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)
      previous = tokens[:, :, p]
    return logp, entropy

  def sample(self, num: int, seed):
    """`num` rules per controller from stateless `seed` `[2]`: tokens `[S, num, 5U]`
    (int32) and their log-probabilities `[S, num]`."""
    h = tf.zeros([self.num_controllers, num, self.hidden])
    previous = tf.fill([self.num_controllers, num], self.start_id)
    tokens, logp = [], tf.zeros([self.num_controllers, num])
    for p in range(self.num_tokens):
      logits, h = self._step(previous, h, p)
      flat = tf.reshape(logits, [-1, tf.shape(logits)[-1]])
      choice = tf.random.stateless_categorical(
          flat, 1, tf.random.experimental.stateless_fold_in(seed, p), dtype=tf.int32)
      choice = tf.reshape(choice, [self.num_controllers, num])
      logp += tf.gather(tf.nn.log_softmax(logits), choice, batch_dims=2)
      tokens.append(choice)
      previous = choice
    return tf.stack(tokens, axis=-1), logp

  def greedy(self):
    """The most likely rule of each controller (token by token): `[S, 5U]`."""
    h = tf.zeros([self.num_controllers, 1, self.hidden])
    previous = tf.fill([self.num_controllers, 1], self.start_id)
    tokens = []
    for p in range(self.num_tokens):
      logits, h = self._step(previous, h, p)
      previous = tf.argmax(logits, axis=-1, output_type=tf.int32)
      tokens.append(previous[:, 0])
    return tf.stack(tokens, axis=-1)

  def get_config(self):
    return dict(super().get_config(), num_controllers=self.num_controllers,
                num_units=self.num_units, hidden=self.hidden, embedding=self.embedding,
                log_capacity=self.log_capacity)


def build_from_config(config) -> RuleController:
  """A fresh, built controller population for a `SearchConfig`."""
  model = RuleController(num_controllers=config.num_controllers,
                         num_units=config.num_units, hidden=config.hidden,
                         embedding=config.embedding,
                         log_capacity=config.train_steps * config.samples_per_step)
  model.build()
  return model
