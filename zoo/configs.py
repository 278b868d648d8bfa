"""Configs: frozen dataclasses, checked overrides, and their JSON form.

Every registered model has a frozen dataclass config. Users change it in two ways:
keyword overrides (`zoo.create(name, unroll_length=10)`) and the CLI's
`--params_override=a=1,b=2`. Both go through `apply_overrides`, which refuses an
unknown key with the list of valid ones and coerces strings to the field's type.
"""

import dataclasses
import json
import types
import typing
from typing import Any, Mapping

__all__ = [
    "ConfigError",
    "apply_overrides",
    "config_from_dict",
    "config_to_dict",
    "config_to_json",
    "parse_params_override",
]


class ConfigError(ValueError):
  """A config key or value that does not fit the model's config."""


def _field_types(config_cls) -> dict:
  hints = typing.get_type_hints(config_cls)
  return {f.name: hints[f.name] for f in dataclasses.fields(config_cls)}


def _auto(value):
  """int, float or str, whichever a command-line item (or JSON value) reads as."""
  if not isinstance(value, str):
    return value
  for kind in (int, float):
    try:
      return kind(value)
    except ValueError:
      pass
  return value


def _coerce(key: str, value: Any, field_type: Any) -> Any:
  """Converts `value` (often a string from the command line) to `field_type`."""
  origin = typing.get_origin(field_type)
  args = typing.get_args(field_type)
  if origin in (typing.Union, types.UnionType):  # Optional[X], X | None
    if value is None or (isinstance(value, str) and value.lower() == "none"):
      return None
    non_none = [a for a in args if a is not type(None)]
    return _coerce(key, value, non_none[0])
  if origin in (tuple, list) or field_type in (tuple, list):
    if isinstance(value, str):
      parts = [p for p in value.replace(";", ":").split(":") if p]
    else:
      parts = list(value)
    if args and args[0] is not Ellipsis:
      return tuple(_coerce(key, p, args[0]) for p in parts)
    return tuple(_auto(p) for p in parts)  # A bare `tuple`: infer each item.
  try:
    if field_type is bool:
      if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
          return True
        if lowered in ("false", "0", "no"):
          return False
        raise ValueError(value)
      if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
      raise ValueError(value)
    if field_type is int:
      if isinstance(value, bool):
        raise ValueError(value)
      number = value
      if isinstance(value, str) and any(c in value.lower() for c in ".e"):
        number = float(value)  # "1e6", "15.0": whole numbers written as floats.
      if isinstance(number, float) and not number.is_integer():
        raise ValueError(value)  # Never truncated: "2.55e1" is not an int.
      return int(number)
    if field_type is float:
      return float(value)
    if field_type is str:
      if not isinstance(value, str):
        raise ValueError(value)
      return value
  except (TypeError, ValueError) as e:
    raise ConfigError(
        f"Config key '{key}' expects {getattr(field_type, '__name__', field_type)}; "
        f"received: {key}={value!r}") from e
  return value


def apply_overrides(config, overrides: Mapping[str, Any]):
  """Returns `config` with `overrides` applied, each key checked and coerced.

  Raises:
    ConfigError: naming the unknown key and listing the valid ones, or naming a key
      whose value does not convert to the field's type.
  """
  return _build(type(config), overrides, base=config)


def _build(config_cls, values: Mapping[str, Any], base=None):
  """`config_cls(**values)` (or `base` with `values` replaced), keys checked and
  values coerced; a `__post_init__` that rejects the combination -> ConfigError."""
  types = _field_types(config_cls)
  unknown = sorted(k for k in values if k not in types)
  if unknown:
    raise ConfigError(
        f"Unknown config key(s) {unknown} for {config_cls.__name__}. "
        f"Valid keys: {', '.join(sorted(types))}.")
  coerced = {k: _coerce(k, v, types[k]) for k, v in values.items()}
  try:
    if base is not None:
      return dataclasses.replace(base, **coerced)
    return config_cls(**coerced)
  except ValueError as e:
    raise ConfigError(f"Invalid config {config_cls.__name__}: {e}") from e


def parse_params_override(text: str) -> dict:
  """Parses `a=1,b=2` (Model Garden's `--params_override` form) into a dict.

  Tuple values use ':' between items: `hidden_sizes=20:20`.
  """
  result = {}
  if not text or not text.strip():
    return result
  for item in text.split(","):
    item = item.strip()
    if not item:
      continue
    if "=" not in item:
      raise ConfigError(
          f"params_override items must look like key=value; received: {item!r}")
    key, value = item.split("=", 1)
    key = key.strip()
    if key in result:
      raise ConfigError(f"params_override sets '{key}' twice")
    result[key] = value.strip()
  return result


def config_to_dict(config) -> dict:
  """A JSON-ready dict (tuples become lists; `config_from_dict` turns them back)."""
  return {k: list(v) if isinstance(v, tuple) else v
          for k, v in dataclasses.asdict(config).items()}


def config_from_dict(config_cls, data: Mapping[str, Any]):
  """Builds `config_cls` from a dict (e.g. a checkpoint's config.json)."""
  return _build(config_cls, data)


def config_to_json(config) -> str:
  return json.dumps(config_to_dict(config), indent=2, sort_keys=True) + "\n"
