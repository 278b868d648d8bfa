"""SNAIL models: the block stack, the Omniglot embedding, the few-shot classifier.

`SnailStack` runs a sequence of TC and attention blocks (§3.1) with a full causal pass
or step by step from a cache. `FewShotSnail` is the §5.1 classifier: each image is
embedded by four conv blocks, concatenated with its one-hot label (zeros for the
query), and the stack reads the support set followed by the query; a 1x1 convolution
at the query's step gives the N logits. The same-budget baseline, a prototypical
network (Snell et al. 2017) with an encoder of the same architecture, trains beside it
on the same episodes and is part of the same checkpoint (`model.protonet`).
"""

import keras
import tensorflow as tf

from models.snail import config as config_lib
from models.snail import layers

__all__ = [
    "FewShotSnail",
    "SnailStack",
    "build_embedding",
    "build_from_config",
    "prototype_logits",
]


class SnailStack(keras.layers.Layer):
  """TC and attention blocks in sequence (§3.1), e.g. [("attention", 64, 32),
  ("tc", 128), ...], over sequences of up to `seq_len` steps."""

  def __init__(self, blocks, seq_len: int, dilation_start: int = 1,
               tie_key_query_init: bool = True, **kwargs):
    super().__init__(**kwargs)
    self.seq_len = seq_len
    self.blocks = []
    for i, spec in enumerate(blocks):
      if spec[0] == "tc":
        self.blocks.append(layers.TCBlock(seq_len, spec[1], dilation_start,
                                          name=f"tc_{i}"))
      elif spec[0] == "attention":
        self.blocks.append(layers.AttentionBlock(
            spec[1], spec[2], tie_key_query_init=tie_key_query_init,
            name=f"attention_{i}"))
      else:
        raise ValueError(f"block kinds are 'tc' and 'attention'; received: {spec!r}")

  def build(self, input_shape):
    shape = tuple(input_shape)
    for block in self.blocks:
      block.build(shape)
      shape = block.compute_output_shape(shape)

  def compute_output_shape(self, input_shape):
    shape = tuple(input_shape)
    for block in self.blocks:
      shape = block.compute_output_shape(shape)
    return shape

  def call(self, x):
    for block in self.blocks:
      x = block(x)
    return x

  def call_with_state(self, x, capacity: int):
    """Full pass over `x` `[B, T, C]` and the cache for steps T..capacity-1."""
    states = []
    for block in self.blocks:
      x, state = block.call_with_state(x, capacity)
      states.append(state)
    return x, states

  def initial_state(self, batch, capacity: int, dtype=tf.float32):
    return [block.initial_state(batch, capacity, dtype) for block in self.blocks]

  def step(self, x_t, states):
    """One step of incremental inference: `[B, C]` -> `[B, C_out]`, new states."""
    new = []
    for block, state in zip(self.blocks, states):
      x_t, state = block.step(x_t, state)
      new.append(state)
    return x_t, new


def build_embedding(filters: int, num_blocks: int, name: str) -> keras.Sequential:
  """The Omniglot embedding (§5.1, after Vinyals et al. 2016): `num_blocks` x
  {3x3 conv with `filters` channels, batch norm, ReLU, 2x2 max-pool}, flattened."""
  stack = []
  for i in range(num_blocks):
    stack += [keras.layers.Conv2D(filters, 3, padding="same", name=f"conv_{i}"),
              # Synchronized: under tf.distribute every replica normalises with
              # the global batch's moments, so a mirrored step equals one device's.
              keras.layers.BatchNormalization(synchronized=True, name=f"bn_{i}"),
              keras.layers.ReLU(name=f"relu_{i}"),
              keras.layers.MaxPool2D(2, name=f"pool_{i}")]
  stack.append(keras.layers.Flatten(name="flatten"))
  return keras.Sequential(stack, name=name)


def prototype_logits(support_emb, support_y, query_emb, way: int):
  """Prototypical networks (Snell et al. 2017, eq. 1-2): logits = -||f(x) - c_n||^2,
  c_n the mean embedding of class n's support examples.

  Args:
    support_emb: `[B, S, F]`; support_y: `[B, S]` int; query_emb: `[B, Q, F]`.
  """
  onehot = tf.one_hot(support_y, way, dtype=support_emb.dtype)  # [B, S, N]
  counts = tf.reduce_sum(onehot, axis=1)  # [B, N]
  protos = tf.einsum("bsn,bsf->bnf", onehot, support_emb) / counts[..., None]
  diff = query_emb[:, :, None, :] - protos[:, None, :, :]
  return -tf.reduce_sum(diff * diff, axis=-1)  # [B, Q, N]


class FewShotSnail(keras.Model):
  """SNAIL for N-way K-shot classification (§5.1), with its ProtoNet baseline.

      model = zoo.create("snail.glyphs_5way")
      logits = model.episode_logits(support_x, support_y, query_x)    # [B, Q, N]
      proto_logits = model.protonet_logits(support_x, support_y, query_x)

  Images are `[..., H, W, 1]` in [0, 1], ink bright.
  """

  def __init__(self, config: config_lib.FewShotConfig, **kwargs):
    super().__init__(**kwargs)
    self.config = config
    self.way = config.way
    self.embedding = build_embedding(config.embedding_filters, config.embedding_blocks,
                                     "embedding")
    self.stack = SnailStack(config.stack(), config.seq_len, config.dilation_start,
                            config.tie_key_query_init, name="snail")
    self.head = layers.CausalConv1x1(config.way, name="head")
    self.protonet = build_embedding(config.embedding_filters, config.embedding_blocks,
                                    "protonet")

  def build_all(self):
    c = self.config
    image = (None, c.image_size, c.image_size, 1)
    self.embedding.build(image)
    self.protonet.build(image)
    features = self.embedding.compute_output_shape(image)[-1]
    seq = (None, None, features + c.way)
    self.stack.build(seq)
    self.head.build(self.stack.compute_output_shape(seq))
    self.built = True
    return self

  def _embed(self, encoder, images, training):
    shape = tf.shape(images)
    flat = tf.reshape(images, tf.concat([[-1], shape[-3:]], 0))
    emb = encoder(flat, training=training)
    return tf.reshape(emb, tf.concat([shape[:-3], [emb.shape[-1]]], 0))

  def support_sequence(self, support_emb, support_y):
    """Stack inputs of the support steps: concat(embedding, one-hot label)."""
    return tf.concat([support_emb, tf.one_hot(support_y, self.way,
                                              dtype=support_emb.dtype)], axis=-1)

  def query_input(self, query_emb):
    """The query's step: its embedding and an all-zero label."""
    zeros = tf.zeros(tf.concat([tf.shape(query_emb)[:-1], [self.way]], 0),
                     query_emb.dtype)
    return tf.concat([query_emb, zeros], axis=-1)

  def sequence_logits(self, sequence):
    """Full causal pass: stack inputs `[B, T, F + N]` -> logits `[B, T, N]`."""
    return self.head(self.stack(sequence))

  def episode_logits(self, support_x, support_y, query_x, training=False):
    """Logits `[B, Q, N]` of each query (see `episode_outputs`)."""
    return self.episode_outputs(support_x, support_y, query_x, training)[0]

  def episode_outputs(self, support_x, support_y, query_x, training=False):
    """(Logits `[B, Q, N]` of each query read after the support set, support
    embeddings `[B, S, F]`, query embeddings `[B, Q, F]`).

    Query q's logits are those of the sequence (support set, query q) at its last
    step; the support set's pass is done once and its cache (§3.1's incremental
    form) serves every query, which is exact because the blocks are causal.

    Args:
      support_x: `[B, S, H, W, 1]` in the order the sequence presents them.
      support_y: `[B, S]` int in [0, N).
      query_x: `[B, Q, H, W, 1]`.
    """
    s = tf.shape(support_x)[1]
    both = self._embed(self.embedding, tf.concat([support_x, query_x], 1), training)
    support_emb, query_emb = both[:, :s], both[:, s:]
    _, states = self.stack.call_with_state(
        self.support_sequence(support_emb, support_y), capacity=s + 1)
    batch, queries = tf.shape(query_x)[0], tf.shape(query_x)[1]
    # Each query is a sequence of its own: repeat the support set's cache per query.
    states = tf.nest.map_structure(lambda t: tf.repeat(t, queries, axis=0), states)
    q_in = self.query_input(query_emb)
    q_in = tf.reshape(q_in, [batch * queries, q_in.shape[-1]])
    out, _ = self.stack.step(q_in, states)
    return (tf.reshape(self.head(out), [batch, queries, self.way]), support_emb,
            query_emb)

  def protonet_logits(self, support_x, support_y, query_x, training=False):
    """The baseline's logits `[B, Q, N]` (prototypical network, same encoder)."""
    s = tf.shape(support_x)[1]
    both = self._embed(self.protonet, tf.concat([support_x, query_x], 1), training)
    return prototype_logits(both[:, :s], support_y, both[:, s:], self.way)

  def call(self, inputs, training=False):
    support_x, support_y, query_x = inputs
    return self.episode_logits(support_x, support_y, query_x, training=training)


def build_from_config(config) -> keras.Model:
  """A built, untrained model of `config`."""
  if isinstance(config, config_lib.FewShotConfig):
    return FewShotSnail(config, name="snail_few_shot").build_all()
  raise TypeError(f"config must be a FewShotConfig; received: {type(config).__name__}")
