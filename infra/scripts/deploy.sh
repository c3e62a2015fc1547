#!/usr/bin/env bash
# npm run deploy -- <env>   Preflight checks, then `cdk deploy` of that environment's stack.
# Every missing piece is reported at once, with what to do about it.
set -euo pipefail

ENV_NAME="${1:-}"
if [[ -z "$ENV_NAME" ]]; then
  echo "usage: npm run deploy -- <environment>   (e.g. dev, prod, prod-cn)" >&2
  exit 2
fi
shift || true
STACK="airflow-eks-${ENV_NAME}"
problems=()

need() { command -v "$1" >/dev/null 2>&1 || problems+=("$1 is not installed: $2"); }
need node "install Node.js >= 20.19"
need npm "install npm (comes with Node.js)"
need aws "install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"

if ((${#problems[@]} == 0)); then
  # Account and region the config expects for this environment.
  if ! expected="$(npx --no-install tsx -e "
    const { loadEnvironments } = require('./manifests-src/config');
    const e = loadEnvironments().find((x) => x.name === process.argv[1]);
    if (!e) { console.error('unknown environment ' + process.argv[1]); process.exit(3); }
    console.log(e.aws.account + ' ' + e.aws.region);" "$ENV_NAME" 2>&1)"; then
    echo "$expected" >&2
    exit 2
  fi
  read -r want_account want_region <<<"$expected"

  if ! identity="$(aws sts get-caller-identity --query Account --output text 2>&1)"; then
    problems+=("AWS credentials are not valid: ${identity}. Run 'aws configure' / 'aws sso login' or export AWS_PROFILE")
  elif [[ "$identity" != "$want_account" ]]; then
    problems+=("credentials are for account ${identity}, but environment ${ENV_NAME} is in account ${want_account}: switch AWS_PROFILE")
  fi
  current_region="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}"
  if [[ -n "$current_region" && "$current_region" != "$want_region" ]]; then
    problems+=("the CLI region is ${current_region}, but environment ${ENV_NAME} is in ${want_region}: export AWS_REGION=${want_region}")
  fi
  if ((${#problems[@]} == 0)); then
    if ! aws cloudformation describe-stacks --stack-name CDKToolkit --region "$want_region" >/dev/null 2>&1; then
      problems+=("the CDK bootstrap stack (CDKToolkit) is missing in ${want_account}/${want_region}: run 'npx cdk bootstrap aws://${want_account}/${want_region}'")
    fi
  fi
fi

if ((${#problems[@]} > 0)); then
  echo "Cannot deploy ${STACK}:" >&2
  for p in "${problems[@]}"; do echo "  - $p" >&2; done
  exit 1
fi

echo "Deploying ${STACK} to ${want_account}/${want_region}"
export AWS_REGION="$want_region"
npx --no-install cdk deploy "$STACK" --require-approval broadening "$@"
echo "Next: create the DAG repository credentials secret named in the GitSecretName output, then watch Argo CD sync."
