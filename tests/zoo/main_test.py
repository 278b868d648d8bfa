"""The CLI: bad flags exit non-zero before writing anything; list, info, card and a
fine-tune's lineage work."""

import os
import shutil

from absl.testing import absltest
from absl.testing import parameterized

from tests import cli_util


class BadFlagsTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("unknown_mode", ["--mode=bogus"], "Unknown --mode='bogus'"),
      ("malformed_mode", ["--mode=Bad-Mode"], "lowercase name"),
      ("unknown_model", ["--mode=train", "--model=l2l_lstm.quadratc10"],
       "Closest registered names: l2l_lstm.quadratic10"),
      ("unknown_override", ["--mode=train", "--params_override=hiden=3"],
       "Unknown config key"),
      ("bad_override_value", ["--mode=train", "--params_override=unroll_length=x"],
       "unroll_length"),
      ("inconsistent_override", ["--mode=train", "--params_override=unroll_length=30"],
       "multiple of unroll_length"),
      ("malformed_override", ["--mode=train", "--params_override=dim"], "key=value"),
      ("zero_steps", ["--mode=train", "--train_steps=0"], "train_steps"),
      ("negative_seed", ["--mode=train", "--seed=-1"], "seed"),
      ("unknown_strategy", ["--mode=train", "--distribution_strategy=gpu"],
       "distribution_strategy"),
      ("multi_worker_without_tf_config",
       ["--mode=train", "--distribution_strategy=multi_worker_mirrored"], "TF_CONFIG"),
      ("tpu_without_address", ["--mode=train", "--distribution_strategy=tpu"],
       "needs --tpu"),
      ("wildcard_for_train", ["--mode=train", "--model=l2l_lstm.*"],
       "takes one --model name"),
      ("positional_argument", ["--mode=train", "stray"], "Unexpected arguments"),
      ("finetune_override_that_changes_layers",
       ["--mode=finetune", "--params_override=hidden_sizes=8:20"],
       "layer 'lstm_0'"),
      ("output_dir_not_a_folder", ["--mode=train", "--output_dir=/dev/null"],
       "--output_dir='/dev/null' exists and is not a folder"),
      ("init_checkpoint_not_a_checkpoint",
       ["--mode=finetune", "--init_checkpoint=does_not_exist"], "has no config.json"),
  )
  def test_bad_flags_exit_nonzero_and_write_nothing(self, flags, message):
    cwd = self.create_tempdir().full_path
    defaults = ["--model=l2l_lstm.quadratic10", "--model_dir=run", "--output_dir=out"]
    result = cli_util.run_cli(defaults + flags, cwd=cwd, timeout=300)
    self.assertNotEqual(result.returncode, 0, msg=result.stdout)
    self.assertIn(message, result.stderr + result.stdout)
    self.assertEqual(os.listdir(cwd), [], "a rejected command wrote files")

  def test_train_needs_model_dir(self):
    cwd = self.create_tempdir().full_path
    result = cli_util.run_cli(["--mode=train", "--model=l2l_lstm.quadratic10"],
                              cwd=cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn("needs --model_dir", result.stderr)
    self.assertEqual(os.listdir(cwd), [])


class ListInfoTest(absltest.TestCase):

  def test_list_and_info(self):
    cwd = self.create_tempdir().full_path
    result = cli_util.run_cli(["--mode=list"], cwd=cwd)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    self.assertIn("l2l_lstm.quadratic10", result.stdout)
    result = cli_util.run_cli(["--mode=info", "--model=l2l_lstm.quadratic10"], cwd=cwd)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    self.assertIn("Learning to learn by gradient descent", result.stdout)
    self.assertEqual(os.listdir(cwd), [])


class CardTest(absltest.TestCase):

  def test_card_mode_rewrites_the_card_from_the_live_registration(self):
    import zoo  # pylint: disable=g-import-not-at-top
    name = "l2l_lstm.quadratic10"
    root = self.create_tempdir().full_path
    store = zoo.CheckpointStore(root)
    net = zoo.create(name)
    metadata = dict(zoo.model_card(name).metadata, metrics={"loss": 1.5})
    store.export(name, net, dict(zoo.model_card(name).config), metadata, "stale\n")
    result = cli_util.run_cli(["--mode=card", f"--model={name}",
                               f"--export_dir={root}"], cwd=root)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    store.verify(name)
    with open(os.path.join(store.path(name), "card.md")) as f:
      card = f.read()
    self.assertIn(zoo.get_spec(name).claim, card)
    self.assertIn("- loss: 1.5", card)  # The checkpoint's own metrics, not the live ones.
    self.assertNotIn("stale", card)


class FinetuneLineageTest(absltest.TestCase):

  def test_a_finetune_records_the_chain_of_runs_it_started_from(self):
    import json  # pylint: disable=g-import-not-at-top
    import zoo  # pylint: disable=g-import-not-at-top
    name = "l2l_lstm.quadratic10"
    root = self.create_tempdir().full_path
    shipped = zoo.model_card(name).metadata

    def finetune(tag, *extra):
      result = cli_util.run_cli(
          ["--mode=finetune", f"--model={name}", f"--model_dir={root}/{tag}",
           f"--export_dir={root}/export_{tag}", "--train_steps=2",
           "--noevaluate_after_train", *extra], cwd=root)
      self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
      folder = zoo.CheckpointStore(f"{root}/export_{tag}").path(name)
      with open(os.path.join(folder, "metadata.json")) as f:
        return folder, json.load(f)

    first_folder, first = finetune("a")
    self.assertEqual(first["mode"], "finetune")
    self.assertEqual(first["parent"]["source"], f"shipped {name}")
    self.assertEqual(first["parent"]["command"], shipped["command"])
    self.assertEqual(first["parent"]["steps"], shipped["steps"])
    _, second = finetune("b", f"--init_checkpoint={first_folder}")
    self.assertEqual(second["parent"]["source"], first_folder)
    self.assertEqual(second["parent"]["command"], first["command"])
    self.assertEqual(second["parent"]["parent"], first["parent"])  # The whole chain.
    with open(os.path.join(zoo.CheckpointStore(f"{root}/export_b").path(name),
                           "card.md")) as f:
      card = f.read()
    self.assertIn(f"started from {first_folder}, produced by: `{first['command']}`",
                  card)
    self.assertIn(f"produced by: `{shipped['command']}`", card)
    # Named by its folder, the shipped checkpoint is recorded as the shipped one, not
    # by where this checkout lives.
    _, third = finetune("c", f"--init_checkpoint={zoo.CheckpointStore().path(name)}")
    self.assertEqual(third["parent"]["source"], f"shipped {name}")

  def test_a_warm_start_from_another_shipped_model_names_it(self):
    import json  # pylint: disable=g-import-not-at-top
    import zoo  # pylint: disable=g-import-not-at-top
    # rl2.mdp_n25 has the same layers as rl2.mdp_n10; only the trial is longer.
    source, name = "rl2.mdp_n10", "rl2.mdp_n25"
    root = self.create_tempdir().full_path
    result = cli_util.run_cli(
        ["--mode=finetune", f"--model={name}",
         f"--init_checkpoint={zoo.CheckpointStore().path(source)}",
         f"--model_dir={root}/m", f"--export_dir={root}/export", "--train_steps=1",
         "--params_override=num_episodes=25,batch_size=4,num_validation_tasks=4",
         "--noevaluate_after_train"], cwd=root)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    folder = zoo.CheckpointStore(f"{root}/export").path(name)
    with open(os.path.join(folder, "metadata.json")) as f:
      metadata = json.load(f)
    with open(os.path.join(folder, "config.json")) as f:
      self.assertEqual(json.load(f)["num_episodes"], 25)
    self.assertEqual(metadata["parent"]["source"], f"shipped {source}")
    self.assertEqual(metadata["parent"]["command"],
                     zoo.model_card(source).metadata["command"])

  def test_a_warm_start_takes_this_models_config_and_refuses_unfit_weights(self):
    import json  # pylint: disable=g-import-not-at-top
    import zoo  # pylint: disable=g-import-not-at-top
    name = "rl2.mdp_n25"
    root = self.create_tempdir().full_path
    args = ["--mode=finetune", f"--model={name}", f"--model_dir={root}/m",
            f"--export_dir={root}/export", "--train_steps=1",
            "--params_override=batch_size=4,num_validation_tasks=4",
            "--noevaluate_after_train"]
    # Another model's folder gives its weights only: no override of num_episodes is
    # needed, the config is rl2.mdp_n25's own.
    result = cli_util.run_cli(
        args + [f"--init_checkpoint={zoo.CheckpointStore().path('rl2.mdp_n10')}"],
        cwd=root)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    with open(os.path.join(root, "export", name, "config.json")) as f:
      config = json.load(f)
    self.assertEqual(config["num_episodes"], 25)
    self.assertEqual(config["entropy_coef"], zoo.get_spec(name).config.entropy_coef)
    # A bandit agent's weights do not fit an MDP agent: a clear error, nothing written,
    # also when its folder was renamed (the folder's metadata names its model).
    bandit = zoo.CheckpointStore().path("rl2.bandit_k5_n10")
    renamed = os.path.join(root, "my_agent")
    shutil.copytree(bandit, renamed)
    for tag, folder in (("b", bandit), ("c", renamed)):
      result = cli_util.run_cli(
          [a.replace(f"{root}/", f"{root}/{tag}_") for a in args]
          + [f"--init_checkpoint={folder}"], cwd=root)
      self.assertNotEqual(result.returncode, 0, msg=tag)
      self.assertIn(folder, result.stderr)
      self.assertIn("does not fit the model", result.stderr)
      self.assertNotIn("Traceback", result.stderr)
      self.assertFalse(os.path.exists(os.path.join(root, f"{tag}_m")))
      self.assertFalse(os.path.exists(os.path.join(root, f"{tag}_export")))


if __name__ == "__main__":
  absltest.main()
