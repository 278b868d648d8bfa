"""Tests of zoo.configs: checked overrides, params_override parsing, JSON form."""

import dataclasses
from typing import Optional

from absl.testing import absltest

from zoo import configs


@dataclasses.dataclass(frozen=True)
class _Config:
  units: int = 4
  rate: float = 0.1
  name: str = "a"
  flag: bool = False
  sizes: tuple = (1, 2)
  clip: Optional[float] = None

  def __post_init__(self):
    if self.units <= 0:
      raise ValueError(f"units must be positive; received: {self.units}")


class ConfigsTest(absltest.TestCase):

  def test_overrides_are_coerced_to_field_types(self):
    c = configs.apply_overrides(_Config(), {
        "units": "8", "rate": "1e-3", "flag": "true", "sizes": "20:30",
        "clip": "0.5", "name": "b"})
    self.assertEqual(c, _Config(units=8, rate=1e-3, name="b", flag=True,
                                sizes=(20, 30), clip=0.5))
    self.assertIsNone(configs.apply_overrides(c, {"clip": "none"}).clip)

  def test_unknown_key_lists_valid_keys(self):
    with self.assertRaisesRegex(configs.ConfigError,
                                r"Unknown config key\(s\) \['unit'\].*Valid keys: "
                                r"clip, flag, name, rate, sizes, units"):
      configs.apply_overrides(_Config(), {"unit": 3})

  def test_wrong_type_names_key_and_value(self):
    with self.assertRaisesRegex(configs.ConfigError, r"units.*int.*units='many'"):
      configs.apply_overrides(_Config(), {"units": "many"})
    with self.assertRaisesRegex(configs.ConfigError, "flag"):
      configs.apply_overrides(_Config(), {"flag": "maybe"})
    with self.assertRaisesRegex(configs.ConfigError, "units"):
      configs.apply_overrides(_Config(), {"units": 2.5})
    # Whole numbers written as floats are ints; others are never truncated.
    for text, units in (("1e3", 1000), ("15.0", 15), ("2.5e1", 25)):
      self.assertEqual(configs.apply_overrides(_Config(), {"units": text}).units, units)
    for text in ("2.55e1", "7.5", "inf"):
      with self.assertRaisesRegex(configs.ConfigError, f"units='{text}'"):
        configs.apply_overrides(_Config(), {"units": text})

  def test_invalid_combination_is_a_config_error(self):
    with self.assertRaisesRegex(configs.ConfigError, "units must be positive"):
      configs.apply_overrides(_Config(), {"units": "0"})

  def test_parse_params_override(self):
    self.assertEqual(configs.parse_params_override("a=1, b=x:y ,c=1e-3"),
                     {"a": "1", "b": "x:y", "c": "1e-3"})
    self.assertEqual(configs.parse_params_override(""), {})
    with self.assertRaisesRegex(configs.ConfigError, "key=value"):
      configs.parse_params_override("a=1,b")
    with self.assertRaisesRegex(configs.ConfigError, "twice"):
      configs.parse_params_override("a=1,a=2")

  def test_dict_round_trip(self):
    c = _Config(units=3, sizes=(5, 6), clip=1.0)
    self.assertEqual(configs.config_from_dict(_Config, configs.config_to_dict(c)), c)
    with self.assertRaisesRegex(configs.ConfigError, "Unknown config key"):
      configs.config_from_dict(_Config, {"bogus": 1})


if __name__ == "__main__":
  absltest.main()
