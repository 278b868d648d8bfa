"""`zoo.create` and `zoo.model_card`: the one-line entry points."""

import dataclasses
import json
from typing import Optional

from zoo import checkpoints
from zoo import configs
from zoo import registry

__all__ = ["ModelCard", "create", "get_config", "model_card"]


def get_config(name: str, pretrained: bool = True,
               store: Optional[checkpoints.CheckpointStore] = None, **overrides):
  """The config `create(name, pretrained, **overrides)` would build with.

  For a pretrained model this is the config stored with the shipped weights (which
  is what they fit), with `overrides` applied on top.
  """
  spec = registry.get_spec(name)
  base = spec.config
  if pretrained:
    store = store or checkpoints.CheckpointStore()
    stored = store.read_json(name, checkpoints.CONFIG_FILE)
    base = configs.config_from_dict(type(spec.config), stored)
  return configs.apply_overrides(base, overrides)


def create(name: str, pretrained: bool = True,
           store: Optional[checkpoints.CheckpointStore] = None, **overrides):
  """Builds the registered model `name`, with its shipped weights if `pretrained`.

      opt = zoo.create("l2l_lstm.quadratic10")
      untrained = zoo.create("l2l_lstm.quadratic10", pretrained=False, output_scale=0.05)

  Args:
    name: a registered `method.variant` name (see `zoo.list_models()`).
    pretrained: load the shipped checkpoint, after verifying its files.
    store: a checkpoint store other than the shipped one.
    **overrides: config fields to change; unknown keys raise with the valid ones.

  Returns:
    The Keras model, with `zoo_name` and `zoo_config` attributes.

  Raises:
    zoo.UnknownModelError: unknown name (the message lists the closest names).
    zoo.ConfigError: unknown override key or a value of the wrong type.
    zoo.CheckpointError: missing, altered or truncated files, or weights that do not
      fit the model built with these overrides (naming the layer).
  """
  spec = registry.get_spec(name)
  config = get_config(name, pretrained=pretrained, store=store, **overrides)
  model = spec.build(config)
  if pretrained:
    (store or checkpoints.CheckpointStore()).load_weights(model, name)
  model.zoo_name = name
  model.zoo_config = config
  return model


@dataclasses.dataclass
class ModelCard:
  """The card of a registered model: what it is, how it was trained, what it scores."""
  name: str
  paper: str
  summary: str
  claim: str
  deviations: tuple
  config: dict
  pretrained: bool
  metadata: Optional[dict] = None

  def stages(self) -> list:
    """The shipped checkpoint's record, then the record of each stage it was
    fine-tuned from (the `parent` chain, latest first); [] without a checkpoint."""
    records, stage = [], self.metadata
    while stage:
      records.append(stage)
      stage = stage.get("parent")
    return records

  def text(self) -> str:
    lines = [f"# {self.name}", "", self.summary, "", f"Paper: {self.paper}", ""]
    if self.claim:
      lines += [f"Claim checked by `--mode=evaluate`: {self.claim}", ""]
    if self.deviations:
      lines += ["Deviations from the paper:"]
      lines += [f"- {d}" for d in self.deviations] + [""]
    lines += ["Config:", "", "```json", json.dumps(self.config, indent=2,
                                                   sort_keys=True), "```", ""]
    if self.metadata:
      md = self.metadata
      lines += ["Shipped checkpoint:", ""]
      lines += [f"- command: `{md.get('command', '?')}`"]
      for key in ("seed", "steps", "wall_time_s", "git_commit", "created"):
        if key in md:
          lines.append(f"- {key}: {md[key]}")
      for parent in self.stages()[1:]:  # A fine-tune: the stages it started from.
        lines.append(f"- started from {parent.get('source', '?')}, produced by: "
                     f"`{parent.get('command', '?')}` (steps "
                     f"{parent.get('steps', '?')}, wall_time_s "
                     f"{parent.get('wall_time_s', '?')})")
      if "versions" in md:
        lines.append("- versions: " + ", ".join(
            f"{k} {v}" for k, v in sorted(md["versions"].items())))
      if md.get("metrics"):
        lines += ["", "Metrics (see `evaluation` for the protocol):", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(md["metrics"].items())]
      if md.get("evaluation"):
        lines += ["", f"Evaluation protocol: {md['evaluation']}"]
    else:
      lines += ["No shipped checkpoint."]
    return "\n".join(lines) + "\n"

  __str__ = text


def model_card(name: str,
               store: Optional[checkpoints.CheckpointStore] = None) -> ModelCard:
  """The model card of `name`, with the shipped checkpoint's metadata if there is one."""
  spec = registry.get_spec(name)
  store = store or checkpoints.CheckpointStore()
  metadata = None
  config = spec.config
  if store.has(name):
    metadata = store.read_json(name, checkpoints.METADATA_FILE)
    metadata.pop("variables", None)
    config = configs.config_from_dict(
        type(spec.config), store.read_json(name, checkpoints.CONFIG_FILE))
  return ModelCard(name=name, paper=spec.paper, summary=spec.summary, claim=spec.claim,
                   deviations=tuple(spec.deviations),
                   config=configs.config_to_dict(config),
                   pretrained=metadata is not None, metadata=metadata)
