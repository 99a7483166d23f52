#!/usr/bin/env python3
"""Fails when a Swift Testing suite under Tests/ has no `.timeLimit` trait.

Why: a test that hangs (a lost continuation, a server that never answers) would otherwise hang
the whole `swift test` run and CI with it. Every `@Suite(...)` must carry `.timeLimit(...)`, and
every `@Test` must sit in a type that is such a suite (directly, through an extension in another
file, or nested inside one), so no test runs without a limit.

A limit is also at least MINIMUM_MINUTES. Swift Testing starts every test of a run at once and a
test's limit runs from its start, so it counts the time the test waits for one of the two
threads of a CI machine, behind every CPU-bound test queued before it. In full runs that wait
has reached 80 s before a trivial test ran its first line; a one-minute limit then fails a test
that has nothing wrong with it.

Usage: scripts/check-test-time-limits.py [Tests]   (exit 0 when every suite has a limit)
"""

import pathlib
import re
import sys

MINIMUM_MINUTES = 5
LIMIT = re.compile(r"\.timeLimit\(\.minutes\((\d+)\)\)")

TYPE = re.compile(r"^(?:(?:public|internal|private|fileprivate|final)\s+)*(struct|class|enum|actor|extension)\s+([A-Za-z_][\w.]*)")


def attribute_text(source: str, start: int) -> str:
    """The text of the `@Suite(...)` attribute starting at `start`, parentheses balanced."""
    open_paren = source.index("(", start)
    depth = 0
    for index in range(open_paren, len(source)):
        if source[index] == "(":
            depth += 1
        elif source[index] == ")":
            depth -= 1
            if depth == 0:
                return source[start : index + 1]
    return source[start:]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests")
    problems: list[str] = []
    limited: set[str] = set()
    # For each @Test: the names of the types and extensions enclosing it, and where it is.
    tests: list[tuple[tuple[str, ...], str]] = []

    for path in sorted(root.rglob("*.swift")):
        source = path.read_text(encoding="utf-8")
        lines = source.split("\n")
        # Suites: the attribute, then the type it is attached to.
        for match in re.finditer(r"@Suite\b", source):
            line_number = source.count("\n", 0, match.start()) + 1
            text = attribute_text(source, match.start()) if source[match.end() : match.end() + 1] == "(" else "@Suite"
            after = source[match.start() + len(text) :]
            declared = next((TYPE.match(line.strip()) for line in after.split("\n") if TYPE.match(line.strip())), None)
            name = declared.group(2) if declared else "?"
            if ".timeLimit(" in text:
                limited.add(name)
            else:
                problems.append(f"{path}:{line_number}: suite {name} has no .timeLimit trait")
        # Every limit, on a suite or a test, is minutes and at least the minimum.
        for match in re.finditer(r"\.timeLimit\(", source):
            line_number = source.count("\n", 0, match.start()) + 1
            limit = LIMIT.match(source, match.start())
            if not limit or int(limit.group(1)) < MINIMUM_MINUTES:
                problems.append(
                    f"{path}:{line_number}: a time limit under {MINIMUM_MINUTES} minutes counts the wait for a thread, not the test"
                )
        # Tests: the innermost type or extension that encloses each @Test, by brace depth.
        stack: list[tuple[str, int]] = []
        depth = 0
        in_multiline_string = False
        for number, raw in enumerate(lines, 1):
            # Braces inside string literals, regex literals and comments do not count.
            if raw.count('"""') % 2 == 1:
                in_multiline_string = not in_multiline_string
                continue
            if in_multiline_string:
                continue
            # Raw strings (`#"{"a":1}"#`) first: their quotes and braces are not escaped.
            line = re.sub(r'#".*?"#|"(?:\\.|[^"\\])*"|#/.*?/#|//.*$', "", raw)
            stripped = line.strip()
            declared = TYPE.match(stripped)
            if declared and "{" in stripped:
                stack.append((declared.group(2).split(".")[-1], depth))
            if stripped.startswith("@Test"):
                if not stack:
                    problems.append(f"{path}:{number}: @Test outside any suite (free test functions get no time limit)")
                else:
                    tests.append((tuple(name for name, _ in stack), f"{path}:{number}"))
            depth += line.count("{") - line.count("}")
            while stack and depth <= stack[-1][1]:
                stack.pop()

    # An enclosing suite's limit applies to every test nested in it.
    reported: set[tuple[str, ...]] = set()
    for chain, where in tests:
        if not any(name in limited for name in chain) and chain not in reported:
            reported.add(chain)
            problems.append(f"{where}: a test in {'.'.join(chain)}, which is in no suite with a .timeLimit trait")

    for problem in sorted(set(problems)):
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"{len(set(problems))} problem(s): every @Suite needs .timeLimit(.minutes(N)), N at least {MINIMUM_MINUTES}",
            file=sys.stderr,
        )
        return 1
    print(f"every suite under {root} has a time limit ({len(limited)} suites)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
