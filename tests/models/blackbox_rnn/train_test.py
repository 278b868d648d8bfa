"""Meta-training: a short run lowers the validation regret; the step traces once."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import config as config_lib
from models.blackbox_rnn import model as model_lib
from models.blackbox_rnn import tasks as tasks_lib
from models.blackbox_rnn import train as train_lib
from zoo import distribute
from zoo import training

SMALL = dict(dim=2, horizon=8, hidden_sizes=(32,), meta_batch_size=32,
             rff_features=256, num_validation_tasks=32, log_every=50,
             checkpoint_every=50)


class MetaTrainingTest(absltest.TestCase):

  def test_short_meta_training_lowers_the_validation_regret(self):
    keras.utils.set_random_seed(0)
    config = config_lib.BlackboxConfig(train_steps=150, validate_every=150,
                                       meta_learning_rate=3e-3, **SMALL)
    strategy = distribute.get_distribution_strategy()
    with strategy.scope():
      net = model_lib.build_from_config(config)
    val = tasks_lib.gp_tasks(config.family(), "validation", 0, 32)
    _, ys = train_lib.propose_on_rff(net, val.rff, config.horizon)
    before = np.median(val.regret(ys)[:, -1])
    context = training.TrainContext(model_dir=self.create_tempdir().full_path,
                                    strategy=strategy, log=lambda _: None)
    metrics = train_lib.train(net, config, context)
    _, ys = train_lib.propose_on_rff(net, val.rff, config.horizon)
    after = np.median(val.regret(ys)[:, -1])
    self.assertEqual(metrics["train_steps"], 150)
    self.assertLess(after, 0.7 * before)
    self.assertAlmostEqual(after, metrics["best_validation_median_regret"], places=5)

  def test_compiled_step_traces_once_and_changes_the_weights(self):
    keras.utils.set_random_seed(0)  # The initial weights decide where the 8 queries go.
    config = config_lib.BlackboxConfig(memory_heads=1, pointer=True, **SMALL)
    net = model_lib.build_from_config(config)
    meta_opt = keras.optimizers.Adam(1e-3)
    meta_opt.build(net.trainable_variables)
    step = train_lib.make_train_step(net, meta_opt, config.family(), config,
                                     distribute.get_distribution_strategy())
    before = [w.numpy() for w in net.trainable_variables]
    for s in range(3):
      out = step(tf.constant(s, tf.int64))
    self.assertTrue(np.isfinite(float(out["meta_loss"])))
    self.assertLess(float(out["best_value"]), 0.0)  # The best of 8 GP values.
    self.assertEqual(step.experimental_get_tracing_count(), 1)
    for b, w in zip(before, net.trainable_variables):
      self.assertFalse(np.array_equal(b, w.numpy()), w.path)

  def test_config_errors(self):
    for kwargs, message in (
        (dict(dim=7), "dim must be in 1..6; received: dim=7"),
        (dict(loss="max"), "loss must be one of"),
        (dict(kernels=("cosine",)), "kernels must be a non-empty tuple"),
        (dict(length_scale_min=0.5, length_scale_max=0.1), "length_scale_min=0.5"),
        (dict(pointer=True), "pointer=True needs memory_heads > 0"),
        (dict(gp_ei_initial_points=(20,)), "gp_ei_initial_points"),
    ):
      with self.assertRaisesRegex(ValueError, message):
        config_lib.BlackboxConfig(**kwargs)


if __name__ == "__main__":
  absltest.main()
