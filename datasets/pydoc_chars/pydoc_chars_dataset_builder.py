"""TFDS builder of a character corpus: the pydoc topics of the installed CPython.

CPython's standard library carries `pydoc_data.topics`, the text `help()` shows for
language topics (about 465,000 characters of English technical prose with code
examples in Python 3.11). The builder reads the installed module when the data is
prepared, so nothing is downloaded; because the text changes between Python
releases, the builder config is named after the interpreter's version
(`python3.11.7`), and the prepared data records that version and the corpus' sha256
in its metadata.

The corpus is every topic's text in the sorted order of the topic names, typographic
quotes and dashes replaced by their ASCII forms and any other non-ASCII character by
the unknown symbol, over a fixed vocabulary (`VOCAB`: newline, the 95 printable ASCII
characters, unknown), so a model trained on one Python's corpus reads another's.
It is cut into contiguous blocks of `BLOCK_CHARS` characters; block k goes to
validation if k % 10 == 8, to test if k % 10 == 9 and to train otherwise (80/10/10),
so each split samples every part of the documentation while the text inside a block
stays contiguous.
"""

import functools
import hashlib
import platform
from typing import Optional

import numpy as np
import tensorflow_datasets as tfds

from datasets import data_dir as data_dir_lib

__all__ = [
    "BLOCK_CHARS",
    "Builder",
    "SPLITS",
    "UNKNOWN",
    "VOCAB",
    "VOCAB_SIZE",
    "corpus_text",
    "decode",
    "encode",
    "load_ids",
    "load_metadata",
]

BLOCK_CHARS = 4096
SPLITS = ("train", "validation", "test")
UNKNOWN = "\x00"  # Shown as "?" by `decode`.
# Index 0 is the newline, 1..95 the printable ASCII characters, 96 the unknown symbol.
VOCAB = "\n" + "".join(chr(c) for c in range(32, 127)) + UNKNOWN
VOCAB_SIZE = len(VOCAB)
_INDEX = {ch: i for i, ch in enumerate(VOCAB)}
_ASCII_FORMS = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                "\u2013": "-", "\u2014": "--", "\u2026": "...", "\t": "    "}


def _normalise(text: str) -> str:
  text = "".join(_ASCII_FORMS.get(ch, ch) for ch in text)
  return "".join(ch if ch in _INDEX else UNKNOWN for ch in text)


def corpus_text() -> str:
  """The whole corpus from the installed `pydoc_data.topics`, normalised to `VOCAB`."""
  from pydoc_data import topics  # pylint: disable=g-import-not-at-top
  return _normalise("".join(topics.topics[name] for name in sorted(topics.topics)))


def encode(text: str) -> np.ndarray:
  """Character ids (`uint8`) of `text`; characters outside `VOCAB` map as the corpus'
  do (ASCII forms of typographic quotes and dashes, else unknown)."""
  return np.array([_INDEX[ch] for ch in _normalise(text)], dtype=np.uint8)


def decode(ids) -> str:
  """The text of character ids; the unknown symbol prints as "?"."""
  chars = []
  for i in np.asarray(ids).reshape(-1):
    if not 0 <= int(i) < VOCAB_SIZE:
      raise ValueError(f"character ids must be in [0, {VOCAB_SIZE}); received: {int(i)}")
    chars.append(VOCAB[int(i)])
  return "".join(chars).replace(UNKNOWN, "?")


def split_of_block(k: int) -> str:
  return {8: "validation", 9: "test"}.get(k % 10, "train")


def _config_name() -> str:
  return "python" + platform.python_version()


class Builder(tfds.core.GeneratorBasedBuilder):
  """pydoc topics of the running Python, as blocks of character ids."""

  name = "pydoc_chars"
  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Blocks of 4096 characters, 80/10/10 by block index."}
  BUILDER_CONFIGS = [tfds.core.BuilderConfig(
      name=_config_name(),
      description=f"pydoc_data.topics of Python {platform.python_version()}")]

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=(__doc__ + f"\nBuilt from Python {platform.python_version()}'s "
                     "pydoc_data.topics."),
        features=tfds.features.FeaturesDict({
            "block": np.int64,
            "ids": tfds.features.Tensor(shape=(None,), dtype=np.uint8),
        }),
        metadata=tfds.core.MetadataDict(),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the corpus comes with the interpreter.
    text = corpus_text()
    ids = np.array([_INDEX[ch] for ch in text], dtype=np.uint8)
    self.info.metadata["python_version"] = platform.python_version()
    self.info.metadata["corpus_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    self.info.metadata["corpus_chars"] = len(text)
    self.info.metadata["vocab"] = VOCAB
    blocks = [(k, ids[s:s + BLOCK_CHARS]) for k, s in
              enumerate(range(0, len(ids), BLOCK_CHARS))]
    return {split: self._generate_examples([b for b in blocks
                                            if split_of_block(b[0]) == split])
            for split in SPLITS}

  def _generate_examples(self, blocks):
    for k, block in blocks:
      yield k, {"block": k, "ids": block}


@functools.lru_cache(maxsize=None)
def _builder(data_dir: str) -> Builder:
  tfds.disable_progress_bar()
  builder = Builder(data_dir=data_dir)
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  return builder


@functools.lru_cache(maxsize=None)
def _load(split: str, data_dir: str) -> np.ndarray:
  data = tfds.as_numpy(_builder(data_dir).as_dataset(split=split))
  blocks = sorted((int(ex["block"]), ex["ids"]) for ex in data)
  ids = np.concatenate([b for _, b in blocks]).astype(np.int32)
  ids.setflags(write=False)
  return ids


def load_ids(split: str, data_dir: Optional[str] = None) -> np.ndarray:
  """The character ids `[n]` (int32) of `split`, in corpus order, preparing the data
  (from the installed Python's pydoc topics) if needed."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {list(SPLITS)}; received: {split!r}")
  return _load(split, data_dir or data_dir_lib.default_data_dir())


def load_metadata(data_dir: Optional[str] = None) -> dict:
  """Python version, corpus sha256 and size the prepared data was built from."""
  metadata = _builder(data_dir or data_dir_lib.default_data_dir()).info.metadata
  return {k: metadata[k] for k in ("python_version", "corpus_sha256", "corpus_chars")}
