"""The NAS controller: an autoregressive 2-layer LSTM with anchor-point attention.

Zoph & Le (2016), §3.1 and §3.3. The controller emits an architecture one token at a
time; each token is a softmax over that hyper-parameter's choices, and the embedding
of the sampled choice is the next input. After the tokens of layer i comes its
anchor point, whose hidden state h_i decides for every earlier layer j

    P(layer j feeds layer i) = sigmoid(v^T tanh(W_prev h_j + W_curr h_i))     (§3.3)

The same pass scores given actions (teacher forcing), which is what REINFORCE
differentiates: log P(a_{1:T}; theta_c) = sum_t log P(a_t | a_{1:t-1}; theta_c).

Weights are U(-0.08, 0.08) (§4.1). The token softmaxes, embeddings and the anchor
weights are shared across layers, so the same controller samples any depth (the
growing-depth schedule of §4.1).
"""

import keras
import tensorflow as tf

from models.l2l_lstm.model import lstm_step

__all__ = ["AnchorAttention", "Controller", "SearchRecord", "StackedLSTM", "TokenSoftmax",
           "anchor_logits", "token_step"]

_INIT = keras.initializers.RandomUniform(-0.08, 0.08)


def anchor_logits(anchors, h_i, w_prev, w_curr, v):
  """v^T tanh(W_prev h_j + W_curr h_i) for every earlier anchor j (§3.3).

  Args:
    anchors: `[B, i, units]`, the anchor states h_j of layers j < i.
    h_i: `[B, units]`, the current anchor state.
    w_prev, w_curr: `[units, attention]`; v: `[attention]`.
  Returns:
    Logits `[B, i]` of the skip-connection sigmoids.
  """
  keys = tf.einsum("bju,ua->bja", anchors, w_prev)
  query = tf.matmul(h_i, w_curr)[:, None, :]
  return tf.einsum("bja,a->bj", tf.tanh(keys + query), v)


def token_step(lstm, head, x, state, action=None, seed=None):
  """One token of an autoregressive controller (§3.1).

  Runs the LSTM on input `x`, takes the softmax over the token's choices, samples a
  choice (stateless, from `seed`) unless `action` gives it, and returns
  (choice [B] int32, log P(choice) [B], entropy of the softmax [B], the choice's
  embedding (the next input) [B, units], the new LSTM state).
  """
  h, state = lstm(x, state)
  logits = head(h)
  if action is None:
    action = tf.cast(tf.random.stateless_categorical(logits, 1, seed)[:, 0], tf.int32)
  log_p = tf.nn.log_softmax(logits)
  entropy = -tf.reduce_sum(tf.exp(log_p) * log_p, axis=-1)
  return (action, tf.gather(log_p, action, batch_dims=1), entropy,
          tf.gather(head.embedding, action), state)


class StackedLSTM(keras.layers.Layer):
  """Holds the controller's LSTM layers; the math is `lstm_step`."""

  def __init__(self, units: int = 35, num_layers: int = 2, **kwargs):
    super().__init__(**kwargs)
    self.units = units
    self.num_layers = num_layers

  def build(self, input_shape):
    u = self.units
    self.kernels = [self.add_weight(name=f"kernel{k}", shape=(2 * u, 4 * u),
                                    initializer=_INIT) for k in range(self.num_layers)]
    self.biases = [self.add_weight(name=f"bias{k}", shape=(4 * u,), initializer=_INIT)
                   for k in range(self.num_layers)]

  def call(self, x, state):
    new_state = []
    for kernel, bias, (h, c) in zip(self.kernels, self.biases, state):
      h, c = lstm_step(x, h, c, kernel, bias)
      new_state.append((h, c))
      x = h
    return x, new_state


class TokenSoftmax(keras.layers.Layer):
  """One hyper-parameter's softmax classifier and the embedding of its choices."""

  def __init__(self, num_choices: int, units: int = 35, **kwargs):
    super().__init__(**kwargs)
    self.num_choices = num_choices
    self.units = units

  def build(self, input_shape):
    self.kernel = self.add_weight(name="kernel", shape=(self.units, self.num_choices),
                                  initializer=_INIT)
    self.bias = self.add_weight(name="bias", shape=(self.num_choices,),
                                initializer=_INIT)
    self.embedding = self.add_weight(name="embedding",
                                     shape=(self.num_choices, self.units),
                                     initializer=_INIT)

  def call(self, h):
    return tf.matmul(h, self.kernel) + self.bias


class AnchorAttention(keras.layers.Layer):
  """W_prev, W_curr and v of the anchor points (§3.3); the math is `anchor_logits`."""

  def __init__(self, units: int = 35, **kwargs):
    super().__init__(**kwargs)
    self.units = units

  def build(self, input_shape):
    u = self.units
    self.w_prev = self.add_weight(name="w_prev", shape=(u, u), initializer=_INIT)
    self.w_curr = self.add_weight(name="w_curr", shape=(u, u), initializer=_INIT)
    self.v = self.add_weight(name="v", shape=(u,), initializer=_INIT)

  def call(self, anchors, h_i):
    return anchor_logits(anchors, h_i, self.w_prev, self.w_curr, self.v)


class SearchRecord(keras.layers.Layer):
  """The search's children, kept with the controller's weights (non-trainable).

  Row k of arm a (0: controller, 1: random search) holds child k's action sequence
  (padded with -1), its depth and its reward, so a shipped controller carries the
  search that trained it.
  """

  def __init__(self, capacity: int, max_actions: int, **kwargs):
    super().__init__(**kwargs)
    self.capacity = capacity
    self.max_actions = max_actions

  def build(self, input_shape):
    zeros = keras.initializers.Zeros()
    self.actions = self.add_weight(
        name="actions", shape=(2, self.capacity, self.max_actions),
        initializer=keras.initializers.Constant(-1.0), trainable=False)
    self.rewards = self.add_weight(name="rewards", shape=(2, self.capacity),
                                   initializer=zeros, trainable=False)
    self.depths = self.add_weight(name="depths", shape=(2, self.capacity),
                                  initializer=zeros, trainable=False)
    self.counts = self.add_weight(name="counts", shape=(2,), initializer=zeros,
                                  trainable=False)

  def call(self, x):
    return x

  def write(self, arm: int, index: int, actions, depth: int, reward: float):
    if index >= self.capacity:
      raise ValueError(f"the search record holds {self.capacity} children per arm; "
                       f"child {index} does not fit (raise record_capacity)")
    row = list(actions) + [-1] * (self.max_actions - len(actions))
    self.actions[arm, index].assign(tf.constant(row, tf.float32))
    self.rewards[arm, index].assign(reward)
    self.depths[arm, index].assign(float(depth))
    self.counts[arm].assign(max(float(self.counts[arm]), float(index + 1)))

  def read(self, arm: int) -> list:
    """[(actions, depth, reward)] of arm `arm`'s children, in order."""
    n = int(self.counts[arm])
    actions = self.actions[arm, :n].numpy().astype(int)
    return [([a for a in row if a >= 0], int(d), float(r)) for row, d, r in zip(
        actions, self.depths[arm, :n].numpy(), self.rewards[arm, :n].numpy())]


@keras.saving.register_keras_serializable(package="metazoo")
class Controller(keras.Model):
  """The controller RNN of Zoph & Le (2016) over a `SearchSpace`'s tokens.

      controller = Controller(token_sizes=(4, 4), max_layers=6)
      actions, log_probs, entropy = controller.sample(8, num_layers=4, seed=[0, 1])
      log_probs2, entropy2 = controller(actions, num_layers=4)   # equal to the above

  Args:
    token_sizes: the number of choices of each per-layer token, in emitted order.
    max_layers: the deepest architecture it will sample (sizes the search record).
    units: LSTM units (paper: 35), also the embedding and attention size.
    lstm_layers: stacked LSTM layers (paper: 2).
    record_capacity: children per arm the search record holds.
  """

  def __init__(self, token_sizes=(4, 4), max_layers: int = 6, units: int = 35,
               lstm_layers: int = 2, record_capacity: int = 512,
               name: str = "nas_controller", **kwargs):
    super().__init__(name=name, **kwargs)
    self.token_sizes = tuple(int(n) for n in token_sizes)
    self.max_layers = int(max_layers)
    self.units = int(units)
    self.lstm_layers = int(lstm_layers)
    self.record_capacity = int(record_capacity)
    self.lstm = StackedLSTM(self.units, self.lstm_layers, name="lstm")
    self.heads = [TokenSoftmax(n, self.units, name=f"token{t}")
                  for t, n in enumerate(self.token_sizes)]
    self.attention = AnchorAttention(self.units, name="anchor")
    self.record = SearchRecord(self.record_capacity, self.num_actions(self.max_layers),
                               name="search_record")
    for layer in [self.lstm, self.attention, self.record] + self.heads:
      layer.build(None)
    self.go = self.add_weight(name="go", shape=(self.units,), initializer=_INIT)
    self.built = True

  def num_actions(self, num_layers: int) -> int:
    n = int(num_layers)
    return n * len(self.token_sizes) + n * (n - 1) // 2

  def _run(self, batch, num_layers, actions=None, seed=None):
    """One pass over the action sequence; samples where `actions` is None.

    Returns (actions [B, A] int32, log P(actions) [B], entropy [B]).
    """
    u = self.units
    zeros = tf.zeros([batch, u])
    state = [(zeros, zeros) for _ in range(self.lstm_layers)]
    go = tf.tile(self.go[None, :], [batch, 1])
    x = go
    log_prob = tf.zeros([batch])
    entropy = tf.zeros([batch])
    taken, anchors, pos = [], [], 0

    def seed_at(p):
      return tf.random.experimental.stateless_fold_in(seed, p)

    for i in range(num_layers):
      for head in self.heads:
        a, log_p, ent, x, state = token_step(
            self.lstm, head, x, state,
            action=None if actions is None else actions[:, pos],
            seed=None if actions is not None else seed_at(pos))
        log_prob += log_p  # log P(a_t | a_{1:t-1}).
        entropy += ent
        taken.append(a[:, None])
        pos += 1
      h_i, state = self.lstm(x, state)  # The anchor point of layer i.
      x = go
      if i > 0:
        prev = tf.stack(anchors, axis=1)
        z = self.attention(prev, h_i)  # [B, i]
        if actions is None:
          bits = tf.cast(tf.random.stateless_uniform([batch, i], seed_at(pos))
                         < tf.sigmoid(z), tf.int32)
        else:
          bits = actions[:, pos:pos + i]
        b = tf.cast(bits, tf.float32)
        log_prob += tf.reduce_sum(b * tf.math.log_sigmoid(z)
                                  + (1 - b) * tf.math.log_sigmoid(-z), axis=-1)
        p = tf.sigmoid(z)
        entropy -= tf.reduce_sum(p * tf.math.log_sigmoid(z)
                                 + (1 - p) * tf.math.log_sigmoid(-z), axis=-1)
        # Next input: the mean anchor state of the selected layers (go if none).
        count = tf.reduce_sum(b, axis=-1, keepdims=True)
        mean = tf.einsum("bj,bju->bu", b, prev) / tf.maximum(count, 1.0)
        x = tf.where(count > 0, mean, go)
        taken.append(bits)
        pos += i
      anchors.append(h_i)
    return tf.concat(taken, axis=1), log_prob, entropy

  def call(self, actions, num_layers=None):
    """(log P(actions) [B], entropy [B]) of a batch of action sequences."""
    actions = tf.cast(tf.convert_to_tensor(actions), tf.int32)
    if num_layers is None:
      num_layers = self._layers_of(int(actions.shape[-1]))
    _, log_prob, entropy = self._run(tf.shape(actions)[0], num_layers, actions=actions)
    return log_prob, entropy

  def sample(self, batch: int, num_layers: int, seed):
    """(actions [B, A], log P [B], entropy [B]) of `batch` sampled architectures.

    `seed` is a stateless seed `[2]`: the same seed and weights give the same sample.
    """
    if not 1 <= num_layers <= self.max_layers:
      raise ValueError(f"num_layers must be in [1, {self.max_layers}]; received: "
                       f"{num_layers}")
    return self._run(batch, num_layers, seed=tf.convert_to_tensor(seed, tf.int32))

  def _layers_of(self, num_actions: int) -> int:
    for n in range(1, self.max_layers + 1):
      if self.num_actions(n) == num_actions:
        return n
    raise ValueError(f"{num_actions} actions is no architecture depth up to "
                     f"max_layers={self.max_layers}")

  def get_config(self):
    return dict(super().get_config(), token_sizes=list(self.token_sizes),
                max_layers=self.max_layers, units=self.units,
                lstm_layers=self.lstm_layers, record_capacity=self.record_capacity)
