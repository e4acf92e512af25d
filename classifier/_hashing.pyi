from collections.abc import Sequence

def hash_texts(
    texts: Sequence[str],
    bits: int,
    char_low: int,
    char_high: int,
    word_low: int,
    word_high: int,
    positions: bool,
    /,
) -> tuple[
    bytearray, bytearray, bytearray, bytearray, bytearray, bytearray, bytearray, bytearray
]: ...
def token_weights(
    columns: object,
    starts: object,
    ends: object,
    token_starts: object,
    token_ends: object,
    value_columns: object,
    value_values: object,
    coefs: tuple[object, ...],
    /,
) -> tuple[bytearray, ...]: ...
def decisions(
    rows: object,
    columns: object,
    scale: object,
    meta: object,
    n_rows: int,
    n_features: int,
    weights: tuple[object, ...],
    /,
) -> tuple[bytearray, ...]: ...
def row_token_weights(
    columns: object,
    starts: object,
    ends: object,
    token_starts: object,
    token_ends: object,
    row_columns: object,
    scale: float,
    coefs: tuple[object, ...],
    /,
) -> tuple[bytearray, ...]: ...
def obfuscation_hints(text: str, /) -> int: ...
