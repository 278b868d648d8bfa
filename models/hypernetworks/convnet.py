"""The image classifiers of the static-hypernetwork experiment (§4.1), and their
parameter counts."""

import keras
import numpy as np
import tensorflow as tf

from models.hypernetworks import hyperconv

__all__ = ["ConvNet", "build_convnet", "kernel_param_counts"]


@keras.saving.register_keras_serializable(package="metazoo")
class ConvNet(keras.Model):
  """Convolutions (ReLU, optional 2x2 max-pooling), then a dense softmax layer.

  With `hyper=True` the convolutions after the first `plain_layers` are
  `HyperConv2D` layers sharing one `KernelGenerator`, as in the paper's MNIST
  network (§4.1: conv1 plain, conv2 generated); otherwise all are `Conv2D` with He
  initialisation, the same shape as the hyper layers' generated kernels.

  `model(images)` returns logits `[B, num_classes]` for images `[B, H, W, C]`.
  """

  def __init__(self, channels=(16, 32, 32), kernel_size: int = 3, pool_after=(0, 1, 1),
               plain_layers: int = 1, hyper: bool = True, basic_in: int = 16,
               basic_out: int = 16, embedding_size: int = 4, hidden_size: int = 0,
               image_shape=(8, 8, 1), num_classes: int = 10, batch_norm: bool = False,
               name: str = "convnet", **kwargs):
    super().__init__(name=name, **kwargs)
    self.channels = tuple(int(c) for c in channels)
    self.kernel_size = int(kernel_size)
    self.pool_after = tuple(int(p) for p in pool_after)
    self.plain_layers = int(plain_layers)
    self.hyper = bool(hyper)
    self.basic_in, self.basic_out = int(basic_in), int(basic_out)
    self.embedding_size, self.hidden_size = int(embedding_size), int(hidden_size)
    self.image_shape = tuple(int(s) for s in image_shape)
    self.num_classes = int(num_classes)
    self.batch_norm = bool(batch_norm)
    self.generator = None
    if self.hyper and self.plain_layers < len(self.channels):
      self.generator = hyperconv.KernelGenerator(
          self.kernel_size, self.basic_in, self.basic_out, self.embedding_size,
          self.hidden_size, name="kernel_generator")
    self.convs = []
    for j, filters in enumerate(self.channels):
      if self.generator is not None and j >= self.plain_layers:
        self.convs.append(hyperconv.HyperConv2D(filters, self.generator,
                                                name=f"hyper_conv{j + 1}"))
      else:
        self.convs.append(keras.layers.Conv2D(
            filters, self.kernel_size, padding="same", kernel_initializer="he_normal",
            name=f"conv{j + 1}"))
    # Built under a multi-replica strategy, the batch statistics are synchronised (the
    # global batch's, all-reduced), so a mirrored step equals a one-device step. On
    # one device the plain moments are kept: the synchronised ones round differently,
    # which changes what a recorded single-device training run reproduces.
    sync = tf.distribute.get_strategy().num_replicas_in_sync > 1
    self.norms = [keras.layers.BatchNormalization(synchronized=sync, name=f"bn{j + 1}")
                  for j in range(len(self.channels))] if self.batch_norm else []
    self.head = keras.layers.Dense(self.num_classes, name="head")
    self(tf.zeros((1,) + self.image_shape))  # Creates every weight.

  def call(self, images, training=False):
    x = images
    for j, (conv, pool) in enumerate(zip(self.convs, self.pool_after)):
      x = conv(x)
      if self.batch_norm:
        x = self.norms[j](x, training=training)
      x = tf.nn.relu(x)
      if pool:
        x = tf.nn.max_pool2d(x, 2, 2, "VALID")
    return self.head(tf.reshape(x, [tf.shape(x)[0], -1]))

  def get_config(self):
    return dict(super().get_config(), channels=list(self.channels),
                kernel_size=self.kernel_size, pool_after=list(self.pool_after),
                plain_layers=self.plain_layers, hyper=self.hyper,
                basic_in=self.basic_in, basic_out=self.basic_out,
                embedding_size=self.embedding_size, hidden_size=self.hidden_size,
                image_shape=list(self.image_shape), num_classes=self.num_classes,
                batch_norm=self.batch_norm)


def build_convnet(config, hyper=None) -> ConvNet:
  """The convnet of a `HyperConvConfig` (`hyper` overrides `config.hyper`)."""
  return ConvNet(channels=config.channels, kernel_size=config.kernel_size,
                 pool_after=config.pool_after, plain_layers=config.plain_layers,
                 hyper=config.hyper if hyper is None else hyper,
                 basic_in=config.basic_in, basic_out=config.basic_out,
                 embedding_size=config.embedding_size, hidden_size=config.hidden_size,
                 image_shape=config.image_shape, num_classes=config.num_classes,
                 batch_norm=config.batch_norm)


def _size(variables) -> int:
  return int(sum(np.prod(v.shape) for v in variables))


def kernel_param_counts(config) -> dict:
  """Parameters that make the kernels of the generated layers, hyper vs plain.

  The paper's count (§3.1): N_z per embedding, plus W_i, B_i, W_out and B_out once
  (shared), against f * f * N_in * N_out per plain kernel. Biases are not kernel
  parameters (both networks have the same ones). Also the whole networks' counts.
  """
  hyper = build_convnet(config, hyper=True)
  plain = build_convnet(config, hyper=False)
  generated = [c for c in hyper.convs if isinstance(c, hyperconv.HyperConv2D)]
  plain_kernels = [c.kernel for j, c in enumerate(plain.convs) if j >= config.plain_layers]
  hyper_kernel_params = (_size(hyper.generator.weights) if hyper.generator else 0) + \
      _size([c.z for c in generated])
  return {
      "hyper_kernel_params": hyper_kernel_params,
      "plain_kernel_params": _size(plain_kernels),
      "hyper_total_params": _size(hyper.trainable_weights),
      "plain_total_params": _size(plain.trainable_weights),
      "generated_layers": len(generated),
  }
