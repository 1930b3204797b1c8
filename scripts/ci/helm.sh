#!/usr/bin/env bash
# The Helm chart of every environment (npm run helm-chart), checked with Helm itself:
#   1. helm $HELM_VERSION, built from its Go module and cached like kubeconform (scripts/ci/go-tool.sh);
#   2. for each dist/<env>/: the chart of dist/<env> (npm run helm-chart -- --from dist/<env>);
#      helm lint --strict; helm template equals dist/<env> object by object, minus the
#      prerequisites (prerequisites.yaml), plus the smoke-test hook (scripts/ci/helm-compare.ts);
#      the same with every image value set to another reference (--set images.<key>=...);
#      a release namespace other than the environment's, an empty image and an unknown value are refused;
#   3. self-test: a chart whose template was changed by one field must fail the comparison.
# Closes with `helm-chart: N passed, M failed`. validate-manifests.sh runs it after its own checks.
# Usage: bash scripts/ci/helm.sh               (synthesizes when dist/ is empty)
#        bash scripts/ci/helm.sh --print-helm  (only builds or finds helm; prints its path)
# Env: TODO_CACHE (cache root, default ~/.cache/todo-cdk8s).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# Helm 4 (GA since November 2025): `helm test --logs` reads the test Pod's log before the
# hook-succeeded deletion (since 4.1), server-side apply by default.
HELM_VERSION=v4.3.2
source "$ROOT/scripts/ci/go-tool.sh"

die() { echo "helm: $*" >&2; echo "helm-chart: 0 passed, 1 failed"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

t0=$(now)
HELM=$(go_tool helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION") || die "cannot install helm $HELM_VERSION"
if [ "${1:-}" = --print-helm ]; then echo "$HELM"; exit 0; fi
[ $# -eq 0 ] || die "unknown argument '$1' (known: --print-helm)"
echo "helm $HELM_VERSION ready in $(since "$t0"): $HELM"

if [ ! -d dist ] || [ -z "$(ls -A dist 2>/dev/null)" ]; then npm run --silent synth; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -s "${2:-}" ] && sed 's/^/       /' "$2"; return 0; }
compare() { npx --no-install tsx scripts/ci/helm-compare.ts "$@"; }

shopt -s nullglob
envs=(dist/*/)
[ "${#envs[@]}" -gt 0 ] || die "dist/ holds no environment"
for dir in "${envs[@]}"; do
  env=$(basename "$dir") ns="todo-$(basename "$dir")" release="todo-$(basename "$dir")"
  chart="$work/$release" out="$work/$env"
  mkdir -p "$out"
  if ! npm run --silent helm-chart -- --env "$env" --from "dist/$env" --outdir "$work" >"$out/chart.out" 2>&1; then
    fail "$env: npm run helm-chart -- --env $env --from dist/$env" "$out/chart.out"
    continue
  fi
  ns=$(sed -n 's/.*if ne .Release.Namespace "\([^"]*\)".*/\1/p' "$chart/templates/namespace-guard.yaml") # the env's namespace

  if "$HELM" lint --strict --namespace "$ns" "$chart" >"$out/lint.out" 2>&1; then
    pass "$env: helm lint --strict ($(grep -c '^\[INFO\]' "$out/lint.out") info notes)"
  else
    fail "$env: helm lint --strict" "$out/lint.out"
  fi

  if "$HELM" template "$release" "$chart" --namespace "$ns" >"$out/rendered.yaml" 2>"$out/template.out" &&
    compare --env "$env" --dist "dist/$env" --chart "$chart" --rendered "$out/rendered.yaml" >"$out/compare.out" 2>&1; then
    pass "$env: helm template = dist/$env: $(cat "$out/compare.out")"
  else
    cat "$out/compare.out" >>"$out/template.out" 2>/dev/null
    fail "$env: helm template = dist/$env" "$out/template.out"
  fi

  # every image value set to another reference: each container of that image and the hook follow it
  sets=() images=()
  for key in $(sed -n 's/^  \([A-Za-z0-9]*\): .*/\1/p' "$chart/values.yaml"); do
    sets+=("--set" "images.$key=registry.example.com/override/$key@sha256:$(printf '%064d' 1)")
    images+=("--image" "$key=registry.example.com/override/$key@sha256:$(printf '%064d' 1)")
  done
  if [ "${#sets[@]}" -gt 0 ] && "$HELM" template "$release" "$chart" --namespace "$ns" "${sets[@]}" >"$out/rendered-set.yaml" 2>"$out/set.out" &&
    compare --env "$env" --dist "dist/$env" --chart "$chart" --rendered "$out/rendered-set.yaml" "${images[@]}" >"$out/compare-set.out" 2>&1; then
    pass "$env: helm template --set images.*: $(( ${#sets[@]} / 2 )) image values reach their containers and the hook"
  else
    cat "$out/compare-set.out" >>"$out/set.out" 2>/dev/null
    fail "$env: helm template --set images.*" "$out/set.out"
  fi

  # refused: another namespace (its objects are synthesized for $ns), an empty image, an unknown value
  refused=""
  : >"$out/refused.out"
  refuses() { # LABEL EXPECTED-MESSAGE HELM-TEMPLATE-ARGS...: helm template fails, saying EXPECTED-MESSAGE
    local label=$1 expected=$2; shift 2
    if ! "$HELM" template "$release" "$chart" "$@" >/dev/null 2>"$out/refuse-$label.out" && grep -qF -- "$expected" "$out/refuse-$label.out"; then
      refused+=" $label"
    else
      { echo "--- $label: expected a failure with: $expected"; cat "$out/refuse-$label.out"; } >>"$out/refused.out"
    fi
  }
  refuses namespace "installs into namespace $ns only" --namespace default
  refuses empty-image "at '/images/backend': minLength" --namespace "$ns" --set images.backend=
  refuses unknown-value "additional properties 'image' not allowed" --namespace "$ns" --set image.tag=1
  if [ "$refused" = " namespace empty-image unknown-value" ]; then
    pass "$env: refused: release namespace default, images.backend='', image.tag (not a value)"
  else
    echo "refused only:${refused:- nothing}" >>"$out/refused.out"
    fail "$env: refuses another namespace, an empty image, an unknown value" "$out/refused.out"
  fi
done

# self-test: one field changed in a template must fail the comparison (with the field named)
env=$(basename "${envs[0]}") release="todo-$(basename "${envs[0]}")"
if [ -d "$work/$release" ]; then
  bad="$work/selftest/$release"
  mkdir -p "$work/selftest" && cp -r "$work/$release" "$bad"
  ns=$(sed -n 's/.*if ne .Release.Namespace "\([^"]*\)".*/\1/p' "$bad/templates/namespace-guard.yaml")
  file=$(grep -l 'imagePullPolicy:' "$bad"/templates/*.yaml | head -n 1)
  sed -i '0,/imagePullPolicy: [A-Za-z]*/s//imagePullPolicy: Never/' "$file"
  "$HELM" template "$release" "$bad" --namespace "$ns" >"$work/selftest/rendered.yaml" 2>"$work/selftest/out"
  if compare --env "$env" --dist "dist/$env" --chart "$bad" --rendered "$work/selftest/rendered.yaml" >"$work/selftest/compare.out" 2>&1; then
    fail "self-test: a changed imagePullPolicy in $(basename "$file") passed the comparison"
  elif grep -q 'imagePullPolicy: "[A-Za-z]*" vs "Never"' "$work/selftest/compare.out"; then
    pass "self-test: a changed imagePullPolicy in $(basename "$file") fails the comparison, named"
  else
    fail "self-test: the comparison failed without naming the changed field" "$work/selftest/compare.out"
  fi
fi

echo "helm-chart: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
