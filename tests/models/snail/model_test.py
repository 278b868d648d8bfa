"""The few-shot SNAIL: cached queries equal the full sequence, ProtoNet math, configs."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.snail import config as config_lib
from models.snail import model as model_lib

TINY = config_lib.FewShotConfig(way=3, max_shots=2, embedding_filters=4,
                                blocks=("a8x4", "t6", "a8x4"))


def _episode(seed, way=3, shots=2, queries=4):
  rng = np.random.default_rng(seed)
  sx = rng.uniform(size=(2, way * shots, 28, 28, 1)).astype(np.float32)
  sy = np.stack([rng.permutation(np.repeat(np.arange(way), shots)) for _ in range(2)])
  qx = rng.uniform(size=(2, queries, 28, 28, 1)).astype(np.float32)
  return tf.constant(sx), tf.constant(sy.astype(np.int32)), tf.constant(qx)


class FewShotSnailTest(absltest.TestCase):

  def test_each_query_equals_its_own_full_sequence(self):
    model = model_lib.build_from_config(TINY)
    sx, sy, qx = _episode(0)
    logits = model.episode_logits(sx, sy, qx).numpy()
    self.assertEqual(logits.shape, (2, 4, 3))
    emb_s = model._embed(model.embedding, sx, False)
    emb_q = model._embed(model.embedding, qx, False)
    for q in range(4):
      seq = tf.concat([model.support_sequence(emb_s, sy),
                       model.query_input(emb_q[:, q:q + 1])], axis=1)
      full = model.sequence_logits(seq).numpy()[:, -1]
      np.testing.assert_allclose(logits[:, q], full, atol=1e-4)

  def test_query_depends_on_support_labels(self):
    model = model_lib.build_from_config(TINY)
    sx, sy, qx = _episode(1)
    a = model.episode_logits(sx, sy, qx).numpy()
    b = model.episode_logits(sx, (sy + 1) % 3, qx).numpy()
    self.assertGreater(np.abs(a - b).max(), 1e-4)

  def test_prototype_logits_match_numpy(self):
    rng = np.random.default_rng(2)
    s_emb = rng.normal(size=(2, 6, 5)).astype(np.float32)
    q_emb = rng.normal(size=(2, 3, 5)).astype(np.float32)
    sy = np.array([[0, 1, 2, 0, 1, 2], [2, 2, 1, 0, 0, 1]], np.int32)
    got = model_lib.prototype_logits(s_emb, sy, q_emb, 3).numpy()
    for b in range(2):
      protos = np.stack([s_emb[b][sy[b] == n].mean(0) for n in range(3)])
      want = -((q_emb[b][:, None] - protos[None]) ** 2).sum(-1)
      np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-5)

  def test_tcml_variant_has_no_attention(self):
    tcml = config_lib.FewShotConfig(way=3, max_shots=2, embedding_filters=4,
                                    blocks=("a8x4", "t6", "t6"), attention=False,
                                    dilation_start=0)
    model = model_lib.build_from_config(tcml)
    self.assertEqual([type(b).__name__ for b in model.stack.blocks], ["TCBlock"] * 2)
    self.assertEqual(model.stack.blocks[0].dilations, [1, 2, 4])
    sx, sy, qx = _episode(3)
    self.assertEqual(model.episode_logits(sx, sy, qx).shape, (2, 4, 3))


class ConfigTest(absltest.TestCase):

  def test_parse_block(self):
    self.assertEqual(config_lib.parse_block("a64x32"), ("attention", 64, 32))
    self.assertEqual(config_lib.parse_block("t128"), ("tc", 128))
    with self.assertRaisesRegex(ValueError, "'b12'"):
      config_lib.parse_block("b12")

  def test_seq_len_is_n_times_k_max_plus_one(self):
    self.assertEqual(config_lib.FewShotConfig(way=5, max_shots=5).seq_len, 26)
    self.assertEqual(config_lib.FewShotConfig(way=20, max_shots=5).seq_len, 101)

  def test_errors_name_the_field(self):
    with self.assertRaisesRegex(ValueError, "way=1"):
      config_lib.FewShotConfig(way=1)
    with self.assertRaisesRegex(ValueError, r"min_shots \(3\).*max_shots \(2\)"):
      config_lib.FewShotConfig(min_shots=3, max_shots=2)
    with self.assertRaisesRegex(ValueError, "'x9'"):
      config_lib.FewShotConfig(blocks=("t4", "x9"))
    with self.assertRaisesRegex(ValueError, "image_size=8"):
      config_lib.FewShotConfig(image_size=8)
    with self.assertRaisesRegex(ValueError, "num_validation_episodes=1"):
      config_lib.FewShotConfig(num_validation_episodes=1)
    with self.assertRaisesRegex(TypeError, "FewShotConfig"):
      model_lib.build_from_config(object())


if __name__ == "__main__":
  absltest.main()
