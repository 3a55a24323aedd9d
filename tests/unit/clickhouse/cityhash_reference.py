#!/usr/bin/env python3
"""Prints the CityHash128 v1.0.2 vectors of cityhash_test.cpp, computed by an implementation that is not
ours: the `clickhouse-cityhash` package (PyPI), the Python binding of the CityHash 1.0.2 C++ source that
ClickHouse bundles, which clickhouse-driver uses for the checksums of compressed frames.

    python3 -m venv /tmp/cityhash && /tmp/cityhash/bin/pip install clickhouse-cityhash==1.0.2.6
    /tmp/cityhash/bin/python tests/unit/clickhouse/cityhash_reference.py

The package returns one 128-bit integer whose upper 64 bits are the first 8 bytes of a frame's checksum
on the wire (clickhouse-driver writes it as '<QQ' of (h >> 64, h & mask)); cityhash_test.cpp calls those
bytes `low`, as CityHash's uint128 calls them `first`.
"""
from clickhouse_cityhash.cityhash import CityHash128

MASK = (1 << 64) - 1

# Lengths around every branch of CityHash128: 0, < 4, < 8, <= 16 (CityMurmur), < 128 and the 128-byte
# loop with each kind of tail, and a frame-sized input.
LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 191, 192,
           193, 200, 255, 256, 257, 1000, 1024, 4099, 65543]
PATTERNS = {
    "kMixed": lambda i: (i * 131 + 7) & 0xFF,  # every byte value, high bit set in half of them
    "kZeros": lambda i: 0,
    "kOnes": lambda i: 0xFF,
}
TEXTS = ["a", "abc", "ClickHouse", "compressed frame checksum", "The quick brown fox jumps over the lazy dog"]


def row(h):
    return f"0x{h >> 64:016x}ULL, 0x{h & MASK:016x}ULL"


def main():
    print("constexpr PatternVector kPatternVectors[] = {")
    for name, byte in PATTERNS.items():
        data = bytes(byte(i) for i in range(max(LENGTHS)))
        for n in LENGTHS:
            print(f"    {{Pattern::{name}, {n}, {row(CityHash128(data[:n]))}}},")
    print("};")
    print("constexpr TextVector kTextVectors[] = {")
    for text in TEXTS:
        print(f'    {{"{text}", {row(CityHash128(text.encode()))}}},')
    print("};")


if __name__ == "__main__":
    main()
