"""The controller as a KerasTuner oracle: the populate / end-trial protocol."""

from absl.testing import absltest
import keras
import keras_tuner
import numpy as np

from models.nas import config as config_lib
from models.nas import oracle as oracle_lib

CONFIG = config_lib.NASConfig(children_per_step=2, initial_layers=2, max_layers=3,
                              grow_every=4, learning_rate=0.05)
TrialStatus = keras_tuner.engine.trial.TrialStatus


class OracleProtocolTest(absltest.TestCase):

  def _oracle(self, max_trials=10):
    keras.utils.set_random_seed(0)
    oracle = oracle_lib.ControllerOracle(CONFIG, seed=1, max_trials=max_trials,
                                         objective="val_accuracy")
    oracle._set_project_dir(self.create_tempdir().full_path, "nas")  # pylint: disable=protected-access
    return oracle

  def test_populate_and_end_trials_train_the_controller(self):
    oracle = self._oracle()
    before = [w.numpy().copy() for w in oracle.controller.trainable_variables]
    depths = []
    for k in range(4):
      trial = oracle.create_trial(f"tuner{k}")
      self.assertEqual(trial.status, TrialStatus.RUNNING)
      arch = oracle_lib.architecture_of(CONFIG, trial.hyperparameters.values)
      depths.append(len(arch.layers))
      oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5 + 0.1 * k})
      trial.status = TrialStatus.COMPLETED
      oracle.end_trial(trial)
      # One REINFORCE update per children_per_step finished trials.
      self.assertEqual(oracle.updates, (k + 1) // 2)
    self.assertEqual(depths, [2, 2, 2, 2])
    self.assertEqual(oracle.config.depth_at(4), 3)
    trial = oracle.create_trial("tuner9")
    self.assertLen(oracle_lib.architecture_of(CONFIG, trial.hyperparameters.values).layers,
                   3)
    after = [w.numpy() for w in oracle.controller.trainable_variables]
    self.assertTrue(any(not np.allclose(a, b) for a, b in zip(before, after)))
    # The baseline is the moving average of the rewards (accuracy cubed).
    self.assertBetween(oracle.baseline, 0.5**3, 0.8**3)

  def test_failed_trials_score_zero_and_max_trials_stops(self):
    oracle = self._oracle(max_trials=2)
    for k in range(2):
      trial = oracle.create_trial(f"t{k}")
      trial.status = TrialStatus.FAILED
      trial.message = "out of memory"
      oracle.end_trial(trial)
    self.assertEqual(oracle.updates, 1)
    self.assertEqual(oracle.create_trial("t9").status, TrialStatus.STOPPED)

  def test_state_and_controller_weights_reload(self):
    oracle = self._oracle()
    for k in range(2):
      trial = oracle.create_trial(f"t{k}")
      oracle.update_trial(trial.trial_id, {"val_accuracy": 0.9})
      trial.status = TrialStatus.COMPLETED
      oracle.end_trial(trial)
    fresh = oracle_lib.ControllerOracle(CONFIG, seed=1, max_trials=10)
    fresh._set_project_dir(oracle._directory, "nas")  # pylint: disable=protected-access
    fresh.reload()
    self.assertEqual((fresh.sampled, fresh.updates), (2, 1))
    self.assertAlmostEqual(fresh.baseline, oracle.baseline)
    for a, b in zip(fresh.controller.weights, oracle.controller.weights):
      np.testing.assert_array_equal(a.numpy(), b.numpy())


class TunerTest(absltest.TestCase):

  def test_keras_tuner_runs_a_search_with_the_oracle(self):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 96).astype(np.int32)
    x = rng.normal(size=(96, 12)).astype(np.float32)
    x[:, 6] += np.where(y == 1, 2.0, -2.0)
    config = config_lib.NASConfig(children_per_step=2, initial_layers=1, max_layers=2)
    oracle = oracle_lib.ControllerOracle(config, seed=0, max_trials=4)
    tuner = keras_tuner.Tuner(oracle=oracle,
                              hypermodel=oracle_lib.make_hypermodel(config, (12,), 2),
                              directory=self.create_tempdir().full_path,
                              project_name="nas", overwrite=True)
    tuner.search(x[:64], y[:64], validation_data=(x[64:], y[64:]), epochs=2,
                 batch_size=32, verbose=0)
    self.assertLen(oracle.end_order, 4)
    self.assertEqual(oracle.updates, 2)
    best = tuner.get_best_hyperparameters(1)[0]
    arch = oracle_lib.architecture_of(config, best.values)
    self.assertNotEmpty(arch.describe(rank=1))
    self.assertIsInstance(tuner.get_best_models(1)[0], keras.Model)


if __name__ == "__main__":
  absltest.main()
