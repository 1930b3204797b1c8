#!/usr/bin/env bash
# Schema and policy validation of every dist/<env>/ (issue 2).
#   1. installs the validators (pinned, cached outside the repo, keyed by version);
#   2. generates kubeconform's strict JSON schemas offline from schemas/kubernetes/<version>/_definitions.json
#      and the CRDs in schemas/crds/ (Gateway API, cert-manager, Prometheus Operator);
#   3. self-test: known-bad fixtures must FAIL each validator with the expected message and a
#      known-good fixture must pass, so a validator that silently passes breaks the build;
#   4. runs `npm run synth` when dist/ is missing, then validates every dist/<env>/ with
#      kubeconform -strict, kube-score and Checkov; exits non-zero on any finding;
#   5. the Helm chart of every dist/<env>/: scripts/ci/helm.sh (helm lint --strict, helm template
#      equal to dist/<env>).
# Usage: bash scripts/ci/validate-manifests.sh [--resynth]
# Env: TODO_CACHE (cache root, default ~/.cache/todo-cdk8s), K8S_DEFINITIONS (definitions file).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CACHE=${TODO_CACHE:-$HOME/.cache/todo-cdk8s}
K8S_SCHEMA_VERSION=v1.33.0
DEFS=${K8S_DEFINITIONS:-$ROOT/schemas/kubernetes/$K8S_SCHEMA_VERSION/_definitions.json}
# the custom resources the manifests use (schemas/README.md): their schemas come from these CRDs
CRD_DIRS=("$ROOT/schemas/crds/gateway-api-v1.4.1" "$ROOT/schemas/crds/cert-manager-v1.21.1" "$ROOT/schemas/crds/prometheus-operator-v0.93.0")
K8S_VERSION=v1.33 # for kube-score's deprecated-API check; the schemas come from DEFS

KUBECONFORM_VERSION=v0.7.0
KUBE_SCORE_VERSION=v1.20.0
CHECKOV_VERSION=3.3.30

FIXTURES=$ROOT/scripts/validation/fixtures
EXCEPTIONS=$ROOT/.policy-exceptions.conf
export BC_SKIP_MAPPING=TRUE # Checkov: do not try to download its guideline mapping (no internet here)

resynth=false
for arg in "$@"; do
  case "$arg" in
    --resynth) resynth=true ;;
    *) echo "validate-manifests: unknown argument '$arg' (known: --resynth)" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
die() { echo "validate-manifests: $*" >&2; exit 1; }

# --- 1. tools --------------------------------------------------------------------------------------
source "$ROOT/scripts/ci/go-tool.sh" # go_tool NAME PKG VERSION -> the binary's path; builds once per version

checkov_tool() {
  local dir="$CACHE/checkov-$CHECKOV_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    # a venv cannot be moved after creation, so a marker file says the install finished
    command -v python3 >/dev/null || die "python3 is needed to install Checkov $CHECKOV_VERSION"
    local t0 log="$CACHE/checkov-$CHECKOV_VERSION.log"; t0=$(now)
    rm -rf "$dir" && mkdir -p "$CACHE"
    { python3 -m venv "$dir" && nice -n 10 "$dir/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"; } >"$log" 2>&1 \
      || { cat "$log" >&2; die "pip install checkov==$CHECKOV_VERSION failed (python3 -m venv needs python3-venv on Debian)"; }
    rm -f "$log"
    touch "$dir/.complete"
    echo "installed checkov $CHECKOV_VERSION in $(since "$t0") (pip, cached in $dir)" >&2
  fi
  echo "$dir/bin/checkov"
}

t0=$(now)
KUBECONFORM=$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION") || die "cannot install kubeconform"
KUBE_SCORE=$(go_tool kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION") || die "cannot install kube-score"
CHECKOV=$(checkov_tool)
echo "tools ready in $(since "$t0"): kubeconform $KUBECONFORM_VERSION, kube-score $KUBE_SCORE_VERSION, checkov $CHECKOV_VERSION"

# --- 2. schemas ------------------------------------------------------------------------------------
[ -f "$DEFS" ] || die "Kubernetes definitions not found at $DEFS (set K8S_DEFINITIONS)"
GEN=$ROOT/scripts/validation/gen-k8s-jsonschema.mjs
crd_files=()
for d in "${CRD_DIRS[@]}"; do crd_files+=("$d"/*.yaml); done
key=$(cat "$DEFS" "$GEN" "${crd_files[@]}" | sha256sum | cut -c1-16) # regenerate when an input or the generator changes
SCHEMAS=$CACHE/schemas/k8s-$key
t0=$(now)
[ -f "$SCHEMAS/SOURCE" ] || node "$GEN" "$DEFS" "$SCHEMAS" "${CRD_DIRS[@]}"
echo "schemas ready in $(since "$t0"): $SCHEMAS"
SCHEMA_LOCATION="$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json"

run_kubeconform() { "$KUBECONFORM" -strict -schema-location "$SCHEMA_LOCATION" "$@"; }

# Exceptions: .policy-exceptions.conf, "SCOPE TOOL CHECK  # reason" (SCOPE = * or an environment).
mapfile -t KUBE_SCORE_ALL < <("$KUBE_SCORE" list | cut -d, -f1)
mapfile -t KUBE_SCORE_OPTIONAL < <("$KUBE_SCORE" list | awk -F, '$NF == "optional" { print $1 }')
[ "${#KUBE_SCORE_OPTIONAL[@]}" -gt 0 ] || die "kube-score list shows no optional test: has its output format changed?"
# exceptions TOOL ENV -> the checks excepted for that tool in that environment, one a line
exceptions() {
  local tool=$1 env=$2 scope t check rest lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case "$line" in '' | '#'*) continue ;; esac
    read -r scope t check rest <<<"$line"
    local where=".policy-exceptions.conf:$lineno"
    [[ "$rest" == '#'?* ]] || die "$where: every exception needs a '# reason' after the check name"
    case "$t" in
      kube-score) printf '%s\n' "${KUBE_SCORE_ALL[@]}" | grep -qxF -- "$check" || die "$where: kube-score has no test '$check'" ;;
      checkov) [[ "$check" =~ ^CKV2?_K8S_[0-9]+$ ]] || die "$where: '$check' is not a Checkov Kubernetes check id" ;;
      *) die "$where: the tool must be kube-score or checkov, got '$t'" ;;
    esac
    [ "$t" = "$tool" ] && { [ "$scope" = '*' ] || [ "$scope" = "$env" ]; } && echo "$check"
  done <"$EXCEPTIONS"
  return 0
}

# prints the findings (non-OK lines) and returns non-zero when there are any
run_kube_score() {
  local env=$1 out rc=0 t; shift
  local -a flags=()
  local -A ignored=()
  for t in $(exceptions kube-score "$env"); do ignored[$t]=1; done
  # every optional test on (kube-score refuses --all-default-optional beside --ignore-test)
  for t in "${KUBE_SCORE_OPTIONAL[@]}"; do [ -n "${ignored[$t]:-}" ] || flags+=("--enable-optional-test=$t"); done
  for t in "${!ignored[@]}"; do printf '%s\n' "${KUBE_SCORE_OPTIONAL[@]}" | grep -qxF -- "$t" || flags+=("--ignore-test=$t"); done
  out=$("$KUBE_SCORE" score --output-format ci --color never --kubernetes-version "$K8S_VERSION" \
    --disable-ignore-checks-annotations --exit-one-on-warning "${flags[@]}" "$@") || rc=$?
  grep -v -e '^\[OK\]' -e '^\[SKIPPED\]' <<<"$out" || true
  return "$rc"
}

run_checkov() {
  local env=$1 skips; shift
  skips=$(exceptions checkov "$env" | paste -sd, -)
  "$CHECKOV" --framework kubernetes --quiet --compact --skip-download ${skips:+--skip-check "$skips"} "$@"
}

# --- 3. self-test ----------------------------------------------------------------------------------
t0=$(now)
selftest_fail=0
expect_fail() { # LABEL EXPECTED-SUBSTRING CMD...
  local label=$1 expected=$2 out rc=0; shift 2
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "SELF-TEST FAILED: $label passed but must fail"; selftest_fail=1
  elif ! grep -qF -- "$expected" <<<"$out"; then
    echo "SELF-TEST FAILED: $label failed without the expected '$expected':"; echo "$out"; selftest_fail=1
  fi
}
expect_pass() { # LABEL CMD...
  local label=$1 out; shift
  out=$("$@" 2>&1) || { echo "SELF-TEST FAILED: $label must pass:"; echo "$out"; selftest_fail=1; }
}
header() { sed -n "s/^# $1: //p" "$2" | head -n1; }

n=0
for f in "$FIXTURES"/bad-kubeconform/*.yaml; do
  expect_fail "kubeconform $(basename "$f")" "$(header expect "$f")" run_kubeconform "$f"; n=$((n + 1))
done
bad=$FIXTURES/bad-policy/insecure.yaml
expect_fail "kube-score $(basename "$bad")" "$(header expect-kube-score "$bad")" run_kube_score selftest "$bad"
expect_fail "checkov $(basename "$bad")" "$(header expect-checkov "$bad")" run_checkov selftest -f "$bad"
expect_pass "kubeconform good/" run_kubeconform -summary "$FIXTURES/good"
expect_pass "kube-score good/" run_kube_score selftest "$FIXTURES"/good/*.yaml
expect_pass "checkov good/" run_checkov selftest -d "$FIXTURES/good"
[ "$selftest_fail" -eq 0 ] || die "the validators' self-test failed: their verdicts on dist/ cannot be trusted"
echo "self-test passed in $(since "$t0"): $n bad fixtures rejected by kubeconform, 1 by kube-score and checkov, good fixtures accepted by all three"

# --- 4. dist/ --------------------------------------------------------------------------------------
if $resynth || [ ! -d dist ] || [ -z "$(ls -A dist 2>/dev/null)" ]; then
  echo "synthesizing: npm run synth"
  npm run --silent synth
fi
shopt -s nullglob globstar
envs=(dist/*/)
[ "${#envs[@]}" -gt 0 ] || die "dist/ holds no environment directory after synth"

declare -A summary
failed=0
for dir in "${envs[@]}"; do
  env=$(basename "$dir")
  files=("$dir"**/*.yaml "$dir"**/*.yml) # subfolders too (00-namespace/)
  [ "${#files[@]}" -gt 0 ] || { summary[$env]="no manifests"; failed=1; continue; }
  echo
  echo "=== $env (${#files[@]} files) ==="
  t0=$(now)
  kc=ok ks=ok ck=ok
  echo "--- kubeconform -strict"
  run_kubeconform -summary -output text "${files[@]}" || { kc=FAIL; failed=1; }
  echo "--- kube-score"
  run_kube_score "$env" "${files[@]}" || { ks=FAIL; failed=1; }
  echo "--- checkov"
  run_checkov "$env" -d "$dir" || { ck=FAIL; failed=1; }
  summary[$env]="kubeconform $kc, kube-score $ks, checkov $ck ($(since "$t0"))"
done

# --- 5. the Helm chart of every dist/<env>/ ---------------------------------------------------------
echo
echo "=== Helm chart (scripts/ci/helm.sh) ==="
t0=$(now)
helm_result=ok
bash "$ROOT/scripts/ci/helm.sh" || { helm_result=FAIL; failed=1; }

echo
echo "=== summary ==="
for dir in "${envs[@]}"; do env=$(basename "$dir"); printf '%-12s %s\n' "$env" "${summary[$env]}"; done
printf '%-12s %s\n' "helm chart" "lint --strict, template = dist/<env>: $helm_result ($(since "$t0"))"
if [ "$failed" -ne 0 ]; then
  echo "validate-manifests: findings above; fix the constructs, or add an exception with its reason to .policy-exceptions.conf"
  exit 1
fi
echo "validate-manifests: every environment passed"
