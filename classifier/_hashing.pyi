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
