"""TFDS builders for the data the zoo builds offline."""
