#!/usr/bin/env bash
# Regenerates docs/errors.md from the error code enums (ErrorCode: meaning, httpStatus, exitStatus).
# The same test, without the variable, fails when the document and the code disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTIFACTSTORE_WRITE_ERRORS_DOC=1 swift test --filter ErrorCatalogTests "$@"
