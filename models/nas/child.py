"""The child network: a sampled architecture as a Keras model, and its training.

Zoph & Le (2016), §3.3: a layer's inputs are the earlier layers its anchor point
selected, concatenated in depth. Three "compilation failures" are repaired as the
paper does: a layer with no input takes the image; outputs that no layer uses are
concatenated into the final layer (with the last layer's output); inputs of different
spatial sizes (strides) are zero-padded to the largest. Each convolution is followed
by batch normalization and ReLU (§4.1). The final layer is a dense softmax classifier.

The reward of a child (§3.2, §4.1) is the maximum validation accuracy over its last
`reward_epochs` epochs, cubed.
"""

import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from models.nas import search_space as space_lib

__all__ = ["ChildTraining", "build_child", "count_repairs", "train_child"]


@dataclasses.dataclass(frozen=True)
class ChildTraining:
  """How a child is trained and scored.

  Attributes:
    epochs: passes over the training split.
    batch_size: minibatch size.
    learning_rate: Adam's step size.
    reward_epochs: the reward is max validation accuracy over this many last epochs.
    reward_power: ... raised to this power (paper: 3).
  """
  epochs: int = 8
  batch_size: int = 64
  learning_rate: float = 3e-3
  reward_epochs: int = 3
  reward_power: float = 3.0

  def __post_init__(self):
    for name in ("epochs", "batch_size", "reward_epochs"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.reward_epochs > self.epochs:
      raise ValueError(f"reward_epochs ({self.reward_epochs}) must be <= epochs "
                       f"({self.epochs})")
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be positive; received: {self.learning_rate}")


def _pad_to(x, sizes, rank):
  """Zero-pads the spatial dims of `x` (at the end) up to `sizes`."""
  have = tuple(int(d) for d in x.shape[1:1 + rank])
  if have == tuple(sizes):
    return x
  pads = tuple((0, s - h) for s, h in zip(sizes, have))
  if rank == 1:
    return keras.layers.ZeroPadding1D(pads[0])(x)
  return keras.layers.ZeroPadding2D(pads)(x)


def _concat(tensors, rank):
  """Depth concatenation, zero-padding mismatched sizes first (the paper's repair)."""
  if len(tensors) == 1:
    return tensors[0]
  sizes = tuple(max(int(t.shape[1 + d]) for t in tensors) for d in range(rank))
  return keras.layers.Concatenate(axis=-1)([_pad_to(t, sizes, rank) for t in tensors])


def count_repairs(arch: space_lib.Architecture) -> dict:
  """How many of each repair building `arch` needs (for the description and tests)."""
  used = {j for layer in arch.layers for j in layer.inputs}
  last = len(arch.layers) - 1
  return {
      "image_inputs": sum(1 for i, layer in enumerate(arch.layers)
                          if i > 0 and not layer.inputs),
      "dangling_outputs": sum(1 for i in range(last) if i not in used),
  }


def build_child(arch: space_lib.Architecture, input_shape, num_classes: int = 10,
                name: str = "child") -> keras.Model:
  """A functional Keras model of `arch` for inputs of `input_shape`.

  Args:
    arch: the architecture (see `search_space.Architecture`).
    input_shape: `(length,)` or `(length, channels)` for 1-D signals (Conv1D,
      filter heights ignored), `(height, width, channels)` for images (Conv2D).
    num_classes: outputs of the softmax layer.

  Returns:
    A model mapping inputs to logits `[B, num_classes]`.
  """
  input_shape = tuple(int(d) for d in input_shape)
  if len(input_shape) not in (1, 2, 3):
    raise ValueError(f"input_shape must be (L,), (L, C) or (H, W, C); received: "
                     f"{input_shape}")
  if not arch.layers:
    raise ValueError("arch has no layers")
  inputs = keras.Input(input_shape)
  image = inputs
  if len(input_shape) == 1:
    image = keras.layers.Reshape(input_shape + (1,), name="image")(inputs)
  rank = 1 if len(input_shape) <= 2 else 2
  outputs = []
  for i, layer in enumerate(arch.layers):
    # Repair 1: a layer that no anchor selected takes the image.
    x = _concat([outputs[j] for j in layer.inputs] or [image], rank)
    if rank == 1:
      conv = keras.layers.Conv1D(layer.num_filters, layer.filter_width, layer.stride,
                                 padding="same", use_bias=False, name=f"conv{i}")
    else:
      conv = keras.layers.Conv2D(layer.num_filters,
                                 (layer.filter_height, layer.filter_width),
                                 layer.stride, padding="same", use_bias=False,
                                 name=f"conv{i}")
    x = conv(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
    outputs.append(keras.layers.ReLU(name=f"relu{i}")(x))
  # Repair 2: outputs nobody uses join the last layer's in the final layer.
  used = {j for layer in arch.layers for j in layer.inputs}
  final = [outputs[j] for j in range(len(outputs) - 1) if j not in used] + [outputs[-1]]
  x = keras.layers.Flatten(name="flatten")(_concat(final, rank))  # Repair 3 is inside _concat.
  logits = keras.layers.Dense(num_classes, name="softmax")(x)
  return keras.Model(inputs, logits, name=name)


def _accuracy(model, x, y):
  logits = model(x, training=False)
  return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y),
                                tf.float32))


def train_child(arch: space_lib.Architecture, data: dict, training: ChildTraining,
                seed: int, eval_split: str = "validation") -> dict:
  """Trains a child on data["train"] and scores it on data[eval_split] every epoch.

  The whole epoch is one compiled call (a `tf.range` loop inside `tf.function`).

  Args:
    arch: the architecture.
    data: {split: (x, y)} NumPy arrays; labels int.
    training: epochs, batch size, learning rate, reward definition.
    seed: initial weights and minibatch order.
    eval_split: "validation" during search (the reward); "test" only when
      retraining the final architectures.

  Returns:
    {"accuracies": per-epoch accuracy on `eval_split`, "reward": (max over the
    last `reward_epochs`)^power, "params": count, "seconds": wall time}.
  """
  t0 = time.time()
  keras.utils.set_random_seed(seed)
  x_train, y_train = (tf.constant(a) for a in data["train"])
  x_eval = tf.constant(data[eval_split][0])
  y_eval = tf.constant(data[eval_split][1].astype(np.int32))
  y_train = tf.cast(y_train, tf.int32)
  model = build_child(arch, data["train"][0].shape[1:])
  optimizer = keras.optimizers.Adam(training.learning_rate)
  optimizer.build(model.trainable_variables)
  n = int(x_train.shape[0])
  batches = n // training.batch_size
  loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

  @tf.function
  def epoch(order):
    total = tf.constant(0.0)
    for b in tf.range(batches):
      idx = order[b * training.batch_size:(b + 1) * training.batch_size]
      xb, yb = tf.gather(x_train, idx), tf.gather(y_train, idx)
      with tf.GradientTape() as tape:
        loss = loss_fn(yb, model(xb, training=True))
      grads = tape.gradient(loss, model.trainable_variables)
      optimizer.apply_gradients(zip(grads, model.trainable_variables))
      total += loss
    return total / tf.cast(batches, tf.float32), _accuracy(model, x_eval, y_eval)

  rng = np.random.default_rng(seed)
  accuracies, losses = [], []
  for _ in range(training.epochs):
    loss, acc = epoch(tf.constant(rng.permutation(n).astype(np.int32)))
    losses.append(float(loss))
    accuracies.append(float(acc))
  best = max(accuracies[-training.reward_epochs:])
  return {"accuracies": accuracies, "train_loss": losses[-1],
          "reward": float(best ** training.reward_power),
          "params": int(model.count_params()), "seconds": time.time() - t0}
