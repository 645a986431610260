#!/usr/bin/env bash
# Fails on a focused test (.only), a skip/todo without a reason, or a test body that calls no
# assertion (hack/lib/test-lint.ts says what counts). hack/test.sh runs it before any test.
#
# usage: hack/verify-tests.sh
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src testing e2e hack/lib -name '*.ts' -not -path '*/node_modules/*' -not -path 'e2e/artifacts/*' | sort)
exec node --import tsx hack/lib/verify-tests-main.ts "$PWD" "${files[@]}"
