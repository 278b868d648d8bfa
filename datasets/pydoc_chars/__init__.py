"""A character corpus built offline from the installed CPython's pydoc topics."""

from datasets.pydoc_chars.pydoc_chars_dataset_builder import Builder
from datasets.pydoc_chars.pydoc_chars_dataset_builder import decode
from datasets.pydoc_chars.pydoc_chars_dataset_builder import encode
from datasets.pydoc_chars.pydoc_chars_dataset_builder import load_ids
from datasets.pydoc_chars.pydoc_chars_dataset_builder import load_metadata
from datasets.pydoc_chars.pydoc_chars_dataset_builder import VOCAB
from datasets.pydoc_chars.pydoc_chars_dataset_builder import VOCAB_SIZE

__all__ = ["Builder", "VOCAB", "VOCAB_SIZE", "decode", "encode", "load_ids",
           "load_metadata"]
