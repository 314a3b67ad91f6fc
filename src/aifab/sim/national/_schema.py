"""The generic codec of typed result blocks now lives in :mod:`aifab._schema` (every
stage's result tree uses it); the twin's modules import it from here."""

from aifab._schema import FieldError, decode, decode_block, encode

__all__ = ["FieldError", "decode", "decode_block", "encode"]
