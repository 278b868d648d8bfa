"""Static hypernetwork layers: the generated kernels against NumPy, their tiling,
their initial variance, weight sharing, parameter counts and errors."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.hypernetworks import config as config_lib
from models.hypernetworks import convnet
from models.hypernetworks import hyperconv


def _np_kernels(z, w_in, b_in, w_out, b_out, f):
  """Eq. 2 of §3.1 written out per input channel i, for one embedding z [N_z]."""
  n_in = w_in.shape[0]
  n_out = w_out.shape[1] // (f * f)
  kernel = np.zeros((f, f, n_in, n_out))
  for i in range(n_in):
    a_i = w_in[i].T @ z + b_in[i]  # a_i = W_i z + B_i, W_i: [d, N_z].
    k_i = w_out.T @ a_i + b_out  # K_i = <W_out, a_i> + B_out: [f * f * N_out].
    kernel[:, :, i, :] = k_i.reshape(f, f, n_out)
  return kernel


class GenerateKernelsTest(absltest.TestCase):

  def test_matches_numpy_reference(self):
    rng = np.random.RandomState(0)
    f, n_in, n_out, n_z, d = 3, 4, 5, 2, 3
    z = rng.randn(n_z)
    w_in, b_in = rng.randn(n_in, n_z, d), rng.randn(n_in, d)
    w_out, b_out = rng.randn(d, f * f * n_out), rng.randn(f * f * n_out)
    got = hyperconv.generate_kernels(*(tf.constant(a, tf.float64) for a in
                                       (z, w_in, b_in, w_out, b_out)), f)
    self.assertEqual(got.shape, (f, f, n_in, n_out))
    np.testing.assert_allclose(got.numpy(), _np_kernels(z, w_in, b_in, w_out, b_out, f),
                               rtol=1e-10)
    # Leading axes of z are batch axes: one kernel per embedding.
    zs = rng.randn(2, 3, n_z)
    many = hyperconv.generate_kernels(*(tf.constant(a, tf.float64) for a in
                                        (zs, w_in, b_in, w_out, b_out)), f).numpy()
    self.assertEqual(many.shape, (2, 3, f, f, n_in, n_out))
    np.testing.assert_allclose(many[1, 2], _np_kernels(zs[1, 2], w_in, b_in, w_out,
                                                       b_out, f), rtol=1e-10)

  def test_tiling_places_each_basic_kernel(self):
    rng = np.random.RandomState(1)
    basic = rng.randn(2, 3, 3, 3, 4, 5)  # [T_in, T_out, f, f, N_in, N_out]
    big = hyperconv.tile_kernels(tf.constant(basic)).numpy()
    self.assertEqual(big.shape, (3, 3, 8, 15))
    for t in range(2):
      for u in range(3):
        np.testing.assert_array_equal(big[:, :, 4 * t:4 * t + 4, 5 * u:5 * u + 5],
                                      basic[t, u])


class HyperConv2DTest(absltest.TestCase):

  def test_convolves_with_the_generated_kernel(self):
    keras.utils.set_random_seed(0)
    gen = hyperconv.KernelGenerator(3, in_channels=4, out_channels=4, embedding_size=2)
    layer = hyperconv.HyperConv2D(8, gen)
    x = tf.random.normal([2, 6, 6, 8])
    y = layer(x)
    self.assertEqual(y.shape, (2, 6, 6, 8))
    self.assertEqual(layer.z.shape, (2, 2, 2))  # 8 -> 8 channels: 2 x 2 basic kernels.
    layer.bias.assign(tf.range(8, dtype=tf.float32))
    kernel = layer.kernel.numpy()
    self.assertEqual(kernel.shape, (3, 3, 8, 8))
    np.testing.assert_allclose(
        kernel[:, :, 4:, :4],
        _np_kernels(layer.z.numpy()[1, 0], *(v.numpy() for v in gen.weights), 3),
        rtol=1e-5, atol=1e-6)
    expected = tf.nn.conv2d(x, kernel, 1, "SAME") + np.arange(8)
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    self.assertEqual(layer.compute_output_shape((None, 6, 6, 8)), (None, 6, 6, 8))

  def test_initial_kernels_have_he_variance(self):
    """z ~ N(0, 1/T_in) and the generator's initialisation give Var = 2 / fan_in, for
    an untiled layer and for one that tiles two basic kernels along its inputs."""
    for in_channels, filters in ((16, 16), (32, 16)):
      variances = []
      for seed in range(40):
        keras.utils.set_random_seed(seed)
        gen = hyperconv.KernelGenerator(3, 16, 16, embedding_size=4)
        layer = hyperconv.HyperConv2D(filters, gen)
        layer.build((None, 8, 8, in_channels))
        variances.append(np.mean(layer.kernel.numpy() ** 2))
      fan_in = 9 * in_channels
      self.assertAlmostEqual(np.mean(variances) * fan_in / 2.0, 1.0, delta=0.15,
                             msg=f"{in_channels} -> {filters}")

  def test_generator_is_shared_and_counted_once(self):
    config = config_lib.HyperConvConfig(channels=(16, 32, 32), batch_norm=False)
    model = convnet.build_convnet(config)
    paths = [v.path for v in model.weights]
    self.assertLen(paths, len(set(paths)))
    self.assertEqual(sum(p.startswith("kernel_generator/") for p in paths), 4)
    self.assertIs(model.convs[1].generator, model.convs[2].generator)
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(model(tf.ones([2, 8, 8, 1])) ** 2)
    grads = tape.gradient(loss, model.generator.trainable_weights)
    self.assertTrue(all(g is not None and np.any(g.numpy()) for g in grads))

  def test_errors_name_the_argument(self):
    gen = hyperconv.KernelGenerator(3, 16, 16)
    with self.assertRaisesRegex(ValueError, "filters=24"):
      hyperconv.HyperConv2D(24, gen)
    with self.assertRaisesRegex(TypeError, "generator must be a KernelGenerator"):
      hyperconv.HyperConv2D(16, "gen")
    with self.assertRaisesRegex(ValueError, r"input's channels \(8\)"):
      hyperconv.HyperConv2D(16, gen)(tf.zeros([1, 4, 4, 8]))
    with self.assertRaisesRegex(ValueError, "embedding_size=0"):
      hyperconv.KernelGenerator(3, embedding_size=0)
    with self.assertRaisesRegex(ValueError, "basic_in=16"):
      config_lib.HyperConvConfig(channels=(8, 8), pool_after=(0, 1))


class ParameterCountTest(absltest.TestCase):

  def test_paper_mnist_count(self):
    """§4.1: conv2's 7x7x16x16 = 12,544 weights, generated by about 4,240."""
    config = config_lib.HyperConvConfig(
        dataset="mnist", channels=(16, 16), kernel_size=7, pool_after=(1, 1),
        embedding_size=4)
    counts = convnet.kernel_param_counts(config)
    self.assertEqual(counts["plain_kernel_params"], 12544)
    # N_z + d (N_z + 1) N_in + f^2 N_out (d + 1) = 4 + 320 + 3920.
    self.assertEqual(counts["hyper_kernel_params"], 4244)

  def test_tiled_count(self):
    config = config_lib.HyperConvConfig(channels=(32, 64, 64), embedding_size=8)
    counts = convnet.kernel_param_counts(config)
    self.assertEqual(counts["plain_kernel_params"], 9 * 32 * 64 + 9 * 64 * 64)
    # W_i, B_i, W_out, B_out once, and 2 x 4 + 4 x 4 embeddings of 8.
    self.assertEqual(counts["hyper_kernel_params"],
                     16 * 8 * 8 + 16 * 8 + 8 * 144 + 144 + 24 * 8)


if __name__ == "__main__":
  absltest.main()
