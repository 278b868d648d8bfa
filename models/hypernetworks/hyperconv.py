"""Static hypernetworks: convolution kernels generated from learned layer embeddings.

Ha, Dai & Le (2016), §3.1: the kernel K^j of layer j (f x f x N_in x N_out) is not a
free parameter but the output of a two-layer linear network g applied to a small
layer embedding z^j (N_z numbers):

    a_i^j = W_i z^j + B_i,             i = 1..N_in    (W_i: d x N_z, B_i: d)
    K_i^j = <W_out, a_i^j> + B_out                    (W_out: f*f*N_out x d)
    K^j   = (K_1^j K_2^j ... K_N_in^j)                                   (eq. 2)

W_i, B_i, W_out and B_out belong to the generator and are shared by every layer it
serves; each layer owns only its embeddings. Layers wider than the generator's basic
kernel (N_in x N_out, 16 x 16 in the paper's residual networks) tile several basic
kernels, each from its own embedding: a layer with 32 inputs and 64 outputs holds
2 x 4 embeddings.

Initialisation (not stated in the paper; see `KernelGenerator`): chosen so that a
generated kernel has He variance 2 / fan_in at the start, like a plain layer's.
"""

import keras
import tensorflow as tf

__all__ = [
    "HyperConv2D",
    "KernelGenerator",
    "generate_kernels",
    "tile_kernels",
]


def generate_kernels(z, w_in, b_in, w_out, b_out, kernel_size: int):
  """Basic kernels from layer embeddings, eq. 2 of §3.1.

  Args:
    z: embeddings `[..., N_z]`.
    w_in: the W_i stacked, `[N_in, N_z, d]`.
    b_in: the B_i stacked, `[N_in, d]`.
    w_out: `[d, f * f * N_out]`.
    b_out: `[f * f * N_out]`.
    kernel_size: f.

  Returns:
    Kernels `[..., f, f, N_in, N_out]`, one per embedding.
  """
  f = kernel_size
  a = tf.einsum("...z,izd->...id", z, w_in) + b_in  # a_i = W_i z + B_i: [..., N_in, d]
  k = tf.einsum("...id,dk->...ik", a, w_out) + b_out  # K_i: [..., N_in, f*f*N_out]
  n_in = w_in.shape[0]
  lead = tf.shape(k)[:-2]
  k = tf.reshape(k, tf.concat([lead, [n_in, f, f, -1]], 0))  # [..., N_in, f, f, N_out]
  rank = len(k.shape)
  # [..., N_in, f, f, N_out] -> [..., f, f, N_in, N_out]
  perm = list(range(rank - 4)) + [rank - 3, rank - 2, rank - 4, rank - 1]
  return tf.transpose(k, perm)


def tile_kernels(kernels):
  """Assembles a `[T_in, T_out, f, f, N_in, N_out]` grid of basic kernels into one
  `[f, f, T_in * N_in, T_out * N_out]` kernel (input tile t, output tile u at rows
  t * N_in.. and columns u * N_out..)."""
  t_in, t_out, f1, f2, n_in, n_out = kernels.shape
  k = tf.transpose(kernels, [2, 3, 0, 4, 1, 5])  # [f, f, T_in, N_in, T_out, N_out]
  return tf.reshape(k, [f1, f2, t_in * n_in, t_out * n_out])


@keras.saving.register_keras_serializable(package="metazoo")
class KernelGenerator(keras.layers.Layer):
  """The shared two-layer linear hypernetwork g of §3.1 (W_i, B_i, W_out, B_out).

      generator = KernelGenerator(kernel_size=3, in_channels=16, out_channels=16,
                                  embedding_size=4)
      conv2 = HyperConv2D(32, generator)   # 16 -> 32 channels: 1 x 2 basic kernels
      conv3 = HyperConv2D(32, generator)   # 32 -> 32 channels: 2 x 2 basic kernels

  Calling it maps embeddings `[..., N_z]` to basic kernels `[..., f, f, N_in, N_out]`.

  Variance-preserving initialisation: with z ~ N(0, s^2), W_i ~ N(0, 1/N_z),
  B_i = 0, W_out ~ N(0, 2 / (d f^2 N_in)) and B_out = 0, every entry of a generated
  basic kernel has variance s^2 * 2 / (f^2 N_in), so z ~ N(0, 1) gives He variance
  2 / fan_in for a layer of N_in inputs, and a layer that tiles T_in basic kernels
  along its inputs draws its embeddings with s^2 = 1 / T_in (`HyperConv2D`). The
  paper gives no initialisation; small constant-scale weights (0.01) left most
  digit runs at chance, because the generated kernels start orders of magnitude
  too small and the product structure shrinks their gradients as well.

  Args:
    kernel_size: f.
    in_channels: N_in of a basic kernel.
    out_channels: N_out of a basic kernel.
    embedding_size: N_z.
    hidden_size: d (the paper uses d = N_z; 0 means N_z).
  """

  def __init__(self, kernel_size: int, in_channels: int = 16, out_channels: int = 16,
               embedding_size: int = 4, hidden_size: int = 0, **kwargs):
    super().__init__(**kwargs)
    for key, value in (("kernel_size", kernel_size), ("in_channels", in_channels),
                       ("out_channels", out_channels),
                       ("embedding_size", embedding_size)):
      if int(value) <= 0:
        raise ValueError(f"{key} must be positive; received: {key}={value}")
    if hidden_size < 0:
      raise ValueError(f"hidden_size must be >= 0; received: hidden_size={hidden_size}")
    self.kernel_size = int(kernel_size)
    self.in_channels = int(in_channels)
    self.out_channels = int(out_channels)
    self.embedding_size = int(embedding_size)
    self.hidden_size = int(hidden_size) or self.embedding_size
    self._build_weights()

  def _build_weights(self):
    f, n_in, n_out = self.kernel_size, self.in_channels, self.out_channels
    n_z, d = self.embedding_size, self.hidden_size
    normal = keras.initializers.RandomNormal
    self.w_in = self.add_weight(name="w_in", shape=(n_in, n_z, d),
                                initializer=normal(stddev=(1.0 / n_z) ** 0.5))
    self.b_in = self.add_weight(name="b_in", shape=(n_in, d), initializer="zeros")
    self.w_out = self.add_weight(
        name="w_out", shape=(d, f * f * n_out),
        initializer=normal(stddev=(2.0 / (d * f * f * n_in)) ** 0.5))
    self.b_out = self.add_weight(name="b_out", shape=(f * f * n_out,),
                                 initializer="zeros")
    self.built = True

  def build(self, input_shape):
    del input_shape  # Built in the constructor: the weights do not depend on z.

  def call(self, z):
    return generate_kernels(z, self.w_in, self.b_in, self.w_out, self.b_out,
                            self.kernel_size)

  def get_config(self):
    return dict(super().get_config(), kernel_size=self.kernel_size,
                in_channels=self.in_channels, out_channels=self.out_channels,
                embedding_size=self.embedding_size, hidden_size=self.hidden_size)


@keras.saving.register_keras_serializable(package="metazoo")
class HyperConv2D(keras.layers.Layer):
  """A 2-D convolution whose kernel a shared `KernelGenerator` makes from embeddings.

  The layer owns only its embeddings z (`[T_in, T_out, N_z]`, one per basic kernel
  of the tiling) and a bias; the kernel is `tile_kernels(generator(z))`, recomputed
  at each call so gradients reach z and the generator. Several layers may share one
  generator (the paper's W_out shared across layers); the generator's weights then
  appear once in the model.

  Args:
    filters: output channels, a multiple of the generator's `out_channels`.
    generator: the `KernelGenerator` (its kernel size is this layer's).
    strides, padding: as in `keras.layers.Conv2D`.
    use_bias: add a (plain, not generated) bias, as the paper's layers do.
  """

  def __init__(self, filters: int, generator: KernelGenerator, strides: int = 1,
               padding: str = "same", use_bias: bool = True, **kwargs):
    super().__init__(**kwargs)
    if not isinstance(generator, KernelGenerator):
      raise TypeError(f"generator must be a KernelGenerator; received: "
                      f"generator={generator!r}")
    if filters <= 0 or filters % generator.out_channels:
      raise ValueError(
          f"filters must be a positive multiple of the generator's out_channels "
          f"({generator.out_channels}); received: filters={filters}")
    if padding.lower() not in ("same", "valid"):
      raise ValueError(f"padding must be 'same' or 'valid'; received: padding={padding!r}")
    self.filters = int(filters)
    self.generator = generator
    self.strides = int(strides)
    self.padding = padding.upper()
    self.use_bias = bool(use_bias)

  def build(self, input_shape):
    in_channels = int(input_shape[-1])
    gen = self.generator
    if in_channels % gen.in_channels:
      raise ValueError(
          f"{self.name}: the input's channels ({in_channels}) must be a multiple of the "
          f"generator's in_channels ({gen.in_channels})")
    self.tiles = (in_channels // gen.in_channels, self.filters // gen.out_channels)
    # z ~ N(0, 1 / T_in): the generated kernel then has He variance for fan-in
    # f^2 * T_in * N_in (see KernelGenerator).
    self.z = self.add_weight(
        name="z", shape=self.tiles + (gen.embedding_size,),
        initializer=keras.initializers.RandomNormal(stddev=(1.0 / self.tiles[0]) ** 0.5))
    if self.use_bias:
      self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
    self.built = True

  @property
  def kernel(self):
    """The generated kernel `[f, f, in_channels, filters]`."""
    return tile_kernels(self.generator(self.z))

  def call(self, x):
    y = tf.nn.conv2d(x, self.kernel, strides=self.strides, padding=self.padding)
    if self.use_bias:
      y = y + self.bias
    return y

  def compute_output_shape(self, input_shape):
    f = self.generator.kernel_size
    dims = []
    for size in input_shape[1:3]:
      if size is None:
        dims.append(None)
      elif self.padding == "SAME":
        dims.append(-(-size // self.strides))
      else:
        dims.append((size - f) // self.strides + 1)
    return (input_shape[0], *dims, self.filters)

  def get_config(self):
    return dict(super().get_config(), filters=self.filters, strides=self.strides,
                padding=self.padding.lower(), use_bias=self.use_bias,
                generator=keras.saving.serialize_keras_object(self.generator))

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
    return cls(**config)
