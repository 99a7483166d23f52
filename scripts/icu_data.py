#!/usr/bin/env python3
"""Writes the ICU data the release binary links instead of the toolchain's full table.

    scripts/icu_data.py [--toolchain-lib DIR] [--out FILE] [--check]

Why (docs/operations.md, "Installing without Swift"): the dependencies use full Foundation
(PostgresNIO, PostgresKit, SQLiteKit, Hummingbird, swift-configuration, NIOFoundationCompat), and
any use of it links CoreFoundation, whose string encoding converters open ICU's data: the
toolchain's `icudt76_dat` (lib_FoundationICU.a), 34.0 MB, a third of the stripped binary. Most of
it is for locales and encodings the server never uses. This script takes that table from the
toolchain (objcopy), keeps the parts that do not depend on a language (time zones, calendars,
plural and unit rules, normalization, break rules without the CJK and South-East Asian
dictionaries and the Chinese/Japanese line-break tailorings, root collation) and the locales root,
en, en_US, en_US_POSIX and en_001, and writes the result (about 3.8 MB) in the same format. Also
left out: StringPrep profiles and the spoof checker's confusables (no code in the binary reads
them) and character names (only name transliteration reads them). CArtifactICUData defines
`icudt76_dat` from that file in release builds on Linux, so the linker takes it and never the
toolchain's member.

What is left out answers as ICU does for a locale or converter it does not have: formatting for
another locale (say de_DE) falls back to root (English names, "1,234.5"), a collation or
transliteration tailored to a language falls back to root, and the converters ICU alone provides
(Shift-JIS, EUC-*, GB18030, Big5, ISO-2022, EBCDIC, ...) are missing, so `String(data:encoding:)`
with one of those gives nil. UTF-8/16/32, ASCII, Latin-1, Windows-1252 and Mac Roman are
CoreFoundation's own and stay. Nothing in ArtifactStore formats for a locale other than
en_US_POSIX or decodes those encodings.

The item table is rewritten in ICU's common-data layout (header copied, sorted table of contents,
every item 16-byte aligned); written with every item kept, the output is byte-identical to the
toolchain's table (checked by --check). Python standard library and objcopy only.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ICU_VERSION = "76"
SYMBOL = f"icudt{ICU_VERSION}_dat"
MEMBER = "icu_packaged_data.cpp.o"
KEEP_LOCALES = {"root", "pool", "res_index", "en", "en_US", "en_US_POSIX", "en_001"}
LOCALE = re.compile(r"^([a-z]{2,3}(_[A-Za-z0-9]+)*|root|pool|res_index)$")
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.relpath(os.path.join(HERE, "..", "Sources", "Client", "CArtifactICUData", f"icudt{ICU_VERSION}l-filtered.dat"))


def toolchain_lib():
    swift = shutil.which("swift")
    if swift is None:
        sys.exit("error: swift is not on PATH; pass --toolchain-lib DIR (the toolchain's lib/swift_static/linux)")
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(swift))), "lib", "swift_static", "linux")


def extract(lib):
    """The toolchain's ICU data table: the .rodata of the archive member that defines it."""
    archive = os.path.join(lib, "lib_FoundationICU.a")
    if not os.path.isfile(archive):
        sys.exit(f"error: {archive} is missing (not a Linux Swift toolchain with static Foundation)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["ar", "x", archive, MEMBER], cwd=tmp, check=True)
        symbols = subprocess.run(["nm", os.path.join(tmp, MEMBER)], capture_output=True, text=True, check=True).stdout
        if f" {SYMBOL}\n" not in symbols:
            sys.exit(f"error: {archive} does not define {SYMBOL}: the toolchain's ICU is not {ICU_VERSION}; "
                     "update ICU_VERSION here and the symbol in Sources/Client/CArtifactICUData")
        data = os.path.join(tmp, "icudt.dat")
        subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", os.path.join(tmp, MEMBER), data], check=True)
        with open(data, "rb") as file:
            return file.read()


def items(table):
    header_size = struct.unpack_from("<H", table, 0)[0]
    if table[2:4] != b"\xda\x27" or table[12:16] != b"CmnD":
        sys.exit("error: the toolchain's ICU data is not an ICU common-data table")
    count = struct.unpack_from("<I", table, header_size)[0]
    entries = []
    for index in range(count):
        name_offset, data_offset = struct.unpack_from("<II", table, header_size + 4 + 8 * index)
        start = header_size + name_offset
        entries.append((table[start:table.index(b"\0", start)].decode(), header_size + data_offset))
    ends = [offset for _, offset in entries[1:]] + [len(table)]
    return table[:header_size], [(name, table[offset:end]) for (name, offset), end in zip(entries, ends)]


def keep(name):
    """Whether an item (icudt76l/[tree/]file.ext) stays: see the module doc."""
    parts = name.split("/")[1:]
    base, _, ext = parts[-1].rpartition(".")
    if ext == "cnv" or ext == "dict" or parts[0] == "translit":
        return False
    # StringPrep profiles and the spoof checker's confusables: the binary links no code that reads
    # them (no usprep_open, no uspoof_*). Character names: only u_charName reads them, for name
    # transliteration, whose rules are already left out.
    if ext == "spp" or parts[-1] in ("confusables.cfu", "unames.icu"):
        return False
    # Line-break rules tailored to Chinese and Japanese text (their dictionaries are left out too).
    if parts[0] == "brkitr" and ext == "brk" and ("_cj" in base or "phrase" in base):
        return False
    if ext == "res" and LOCALE.match(base):
        return base in KEEP_LOCALES
    return True


def write(header, kept):
    kept = sorted(kept, key=lambda item: item[0].encode())
    names = b"".join(name.encode() + b"\0" for name, _ in kept)
    offset = 4 + 8 * len(kept)
    name_offsets = []
    for name, _ in kept:
        name_offsets.append(offset)
        offset += len(name.encode()) + 1
    offset = (offset + 15) & ~15
    data_offsets = []
    for _, data in kept:
        data_offsets.append(offset)
        offset += (len(data) + 15) & ~15
    out = bytearray(header) + struct.pack("<I", len(kept))
    for name_offset, data_offset in zip(name_offsets, data_offsets):
        out += struct.pack("<II", name_offset, data_offset)
    out += names
    for data in [b""] + [data for _, data in kept]:
        out += data
        out += b"\xaa" * (-(len(out) - len(header)) % 16)
    return bytes(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--toolchain-lib", help="the toolchain's lib/swift_static/linux (default: found from swift on PATH)")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail unless --out is what this toolchain gives")
    args = parser.parse_args()
    table = extract(args.toolchain_lib or toolchain_lib())
    header, all_items = items(table)
    if write(header, all_items) != table:
        sys.exit("error: rewriting the toolchain's ICU data unchanged does not give the same bytes; the layout is not understood")
    filtered = write(header, [item for item in all_items if keep(item[0])])
    kept = sum(1 for item in all_items if keep(item[0]))
    if args.check:
        with open(args.out, "rb") as file:
            if file.read() != filtered:
                sys.exit(f"error: {args.out} is not this toolchain's filtered ICU data; run scripts/icu_data.py")
        print(f"{args.out}: up to date ({kept} of {len(all_items)} items, {len(filtered):,} of {len(table):,} bytes)")
        return
    with open(args.out, "wb") as file:
        file.write(filtered)
    print(f"{args.out}: {kept} of {len(all_items)} items, {len(filtered):,} of {len(table):,} bytes")


if __name__ == "__main__":
    main()
