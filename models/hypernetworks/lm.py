"""Character-level language models (§4.4): embedding, one recurrent layer, softmax.

    model = CharLM(VOCAB_SIZE, cell="hyperlstm", units=256)
    logits, state = model(ids)                 # ids [B, T] -> logits [B, T, V]
    bpc = bits_per_char(model, valid_ids)       # whole split, state carried along
    text = sample(model, prime="The ", length=300, temperature=0.8, seed=0)
"""

import math

import keras
import numpy as np
import tensorflow as tf

from datasets import pydoc_chars
from models.hypernetworks import cells

__all__ = ["CharLM", "bits_per_char", "build_lm", "sample"]


@keras.saving.register_keras_serializable(package="metazoo")
class CharLM(keras.Model):
  """A character language model around a `HyperLSTMCell` or `LayerNormLSTMCell`.

  The recurrent layer is a plain `keras.layers.RNN` over the cell; `call` takes and
  returns the cell's state, so text can be read (or generated) in pieces.

  Args:
    vocab_size: characters in the vocabulary.
    cell: "hyperlstm" or "lstm".
    units, hyper_units, embedding_size, layer_norm, recurrent_dropout,
      hyper_scale_init: the cell's (see `cells`).
    embedding_dim: size of the input character embedding.
  """

  def __init__(self, vocab_size: int, cell: str = "hyperlstm", units: int = 256,
               hyper_units: int = 64, embedding_size: int = 4, layer_norm: bool = False,
               recurrent_dropout: float = 0.0, hyper_scale_init: float = 0.1,
               embedding_dim: int = 64, name: str = "char_lm", **kwargs):
    super().__init__(name=name, **kwargs)
    if cell not in ("hyperlstm", "lstm"):
      raise ValueError(f"cell must be 'hyperlstm' or 'lstm'; received: cell={cell!r}")
    self.vocab_size = int(vocab_size)
    self.cell_type = cell
    self.units = int(units)
    self.hyper_units = int(hyper_units)
    self.embedding_size = int(embedding_size)
    self.layer_norm = bool(layer_norm)
    self.recurrent_dropout = float(recurrent_dropout)
    self.hyper_scale_init = float(hyper_scale_init)
    self.embedding_dim = int(embedding_dim)
    self.embedding = keras.layers.Embedding(self.vocab_size, self.embedding_dim,
                                            name="embedding")
    if cell == "hyperlstm":
      self.cell = cells.HyperLSTMCell(
          self.units, self.hyper_units, self.embedding_size, layer_norm=self.layer_norm,
          recurrent_dropout=self.recurrent_dropout,
          hyper_scale_init=self.hyper_scale_init, name="hyperlstm_cell")
    else:
      self.cell = cells.LayerNormLSTMCell(
          self.units, layer_norm=self.layer_norm,
          recurrent_dropout=self.recurrent_dropout, name="lstm_cell")
    self.rnn = keras.layers.RNN(self.cell, return_sequences=True, return_state=True,
                                name="rnn")
    self.head = keras.layers.Dense(self.vocab_size, name="head")
    self(tf.zeros([1, 1], tf.int32))  # Creates every weight.

  def initial_state(self, batch_size: int) -> list:
    return [tf.zeros([batch_size, s]) for s in self.cell.state_size]

  def set_dropout_seed(self, seed):
    """Seeds the candidate-dropout masks of the next training calls (`[2]` int64)."""
    self.cell.set_dropout_seed(seed)

  def call(self, ids, state=None, training=False):
    """Logits `[B, T, vocab_size]` of the next character, and the final state."""
    outputs = self.rnn(self.embedding(ids), initial_state=state, training=training)
    return self.head(outputs[0]), list(outputs[1:])

  def get_config(self):
    return dict(super().get_config(), vocab_size=self.vocab_size, cell=self.cell_type,
                units=self.units, hyper_units=self.hyper_units,
                embedding_size=self.embedding_size, layer_norm=self.layer_norm,
                recurrent_dropout=self.recurrent_dropout,
                hyper_scale_init=self.hyper_scale_init, embedding_dim=self.embedding_dim)


def build_lm(config) -> CharLM:
  """The language model of a `CharLMConfig`, over `pydoc_chars.VOCAB`."""
  return CharLM(pydoc_chars.VOCAB_SIZE, cell=config.cell, units=config.units,
                hyper_units=config.hyper_units, embedding_size=config.embedding_size,
                layer_norm=config.layer_norm, recurrent_dropout=config.recurrent_dropout,
                hyper_scale_init=config.hyper_scale_init,
                embedding_dim=config.embedding_dim)


def _chunk_fn(model):
  """Compiled `(inputs, targets, state) -> (summed nats, state)`, cached on the model."""
  def chunk(inputs, targets, state):
    logits, state = model(inputs, state=state)
    nats = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits)
    return tf.reduce_sum(nats), state
  return model.__dict__.setdefault("_zoo_chunk", tf.function(chunk,
                                                              reduce_retracing=True))


def bits_per_char(model, ids, streams: int = 32, chunk: int = 128) -> dict:
  """Bits per character of `model` on the character ids `ids`.

  The text is cut into `streams` contiguous streams read in parallel, `chunk`
  characters at a time with the state carried from chunk to chunk (so every
  prediction but the first of each stream has the whole stream before it);
  the few characters past `streams` equal parts are left out.

  Returns:
    {"bpc": bits per predicted character, "chars": characters predicted}.
  """
  ids = np.asarray(ids, dtype=np.int32)
  length = (len(ids) - 1) // streams
  if length < 1:
    raise ValueError(f"{len(ids)} characters are too few for streams={streams}")
  inputs = ids[:streams * length].reshape(streams, length)
  targets = ids[1:streams * length + 1].reshape(streams, length)
  fn = _chunk_fn(model)
  state = model.initial_state(streams)
  total = 0.0
  for start in range(0, length, chunk):
    nats, state = fn(tf.constant(inputs[:, start:start + chunk]),
                     tf.constant(targets[:, start:start + chunk]), state)
    total += float(nats)
  count = streams * length
  return {"bpc": total / count / math.log(2.0), "chars": count}


def sample(model, prime: str = "The ", length: int = 300, temperature: float = 0.8,
           seed: int = 0) -> str:
  """Text generated by `model` after reading `prime`, one character at a time.

  Each character is drawn from softmax(logits / temperature) with a stateless seed
  (seed, position), so the same arguments give the same text.

  Args:
    prime: the text to continue ("" starts after a newline).
    length: characters to generate.
    temperature: > 0; lower is more conservative.
    seed: the sampling seed.

  Returns:
    The prime followed by the generated characters.
  """
  if length < 0:
    raise ValueError(f"length must be >= 0; received: length={length}")
  if not temperature > 0:
    raise ValueError(f"temperature must be positive; received: temperature={temperature}")
  context = pydoc_chars.encode(prime or "\n").astype(np.int32)

  @tf.function
  def step(char, state, position):
    logits, state = model(tf.reshape(char, [1, 1]), state=state)
    draw = tf.random.stateless_categorical(
        logits[:, -1] / temperature, 1,
        seed=tf.stack([tf.constant(seed, tf.int64), position]))
    return tf.cast(draw[0, 0], tf.int32), state

  fn = model.__dict__.setdefault("_zoo_sample_steps", {}).setdefault(
      (seed, float(temperature)), step)
  state = model.initial_state(1)
  position = tf.constant(0, tf.int64)
  for char in context:  # Read the prime; the draw after its last character is kept.
    nxt, state = fn(tf.constant(char), state, position)
  out = []
  for position in range(length):
    out.append(int(nxt))
    nxt, state = fn(nxt, state, tf.constant(position + 1, tf.int64))
  return (prime if prime else "") + pydoc_chars.decode(out)
