"""The CLI for the HyperNetwork entries: sampling text, bad action arguments, info."""

from absl.testing import absltest

from tests import cli_util

LM = "hypernetworks.pydoc_hyperlstm"


class SampleModeTest(absltest.TestCase):

  def test_sample_prints_generated_text(self):
    cwd = self.create_tempdir().full_path
    result = cli_util.run_cli(
        ["--mode=sample", f"--model={LM}",
         "--action_args=length=120,temperature=0.8,prime=The"], cwd=cwd)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    text = result.stdout.strip()
    self.assertTrue(text.startswith("The"), msg=text)
    self.assertGreaterEqual(len(text), 123)
    # Mostly words, not noise: the model was trained on English prose.
    words = text.split()
    self.assertGreater(sum(w.isalpha() for w in words) / len(words), 0.4, msg=text)

  def test_bad_action_arguments_are_usage_errors(self):
    cwd = self.create_tempdir().full_path
    for args, message in (("lenght=5", "lenght"),
                          ("temperature=hot", "temperature must be float; received: "
                                              "temperature='hot'")):
      result = cli_util.run_cli(["--mode=sample", f"--model={LM}",
                                 f"--action_args={args}"], cwd=cwd)
      self.assertNotEqual(result.returncode, 0)
      self.assertIn(message, result.stderr)

  def test_modes_of_other_entries_are_refused(self):
    cwd = self.create_tempdir().full_path
    result = cli_util.run_cli(["--mode=tune", f"--model={LM}"], cwd=cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn("Unknown --mode='tune'", result.stderr)
    self.assertIn("sample", result.stderr)

  def test_info_lists_the_extra_modes(self):
    cwd = self.create_tempdir().full_path
    result = cli_util.run_cli(["--mode=info", "--model=hypernetworks.*"], cwd=cwd)
    self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
    self.assertIn("Extra modes: tune", result.stdout)
    self.assertIn("Extra modes: sample", result.stdout)
    self.assertIn("1609.09106", result.stdout)


if __name__ == "__main__":
  absltest.main()
