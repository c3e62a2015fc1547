#!/usr/bin/env bash
# npm run destroy -- <env>   Deletes an environment's stack after saying what survives it, and asks first.
set -euo pipefail

ENV_NAME="${1:-}"
if [[ -z "$ENV_NAME" ]]; then
  echo "usage: npm run destroy -- <environment>" >&2
  exit 2
fi
STACK="airflow-eks-${ENV_NAME}"

cat <<MSG
About to delete stack ${STACK}.

Kept after deletion (delete by hand, they keep costing money):
  - Aurora: a final snapshot (or the whole cluster when deletion protection is on: turn
    infra.database.deletionProtection off and deploy first, or the delete fails)
  - EFS file system <cluster>-shared and its backups
  - ECR repositories (our images and the mirrors) and their images
  - CloudWatch log groups (<prefix>/containers, <prefix>/tasks, VPC flow logs)
  - KMS keys (scheduled for deletion only when you do it), the Airflow secret, the CodeCommit DAG repository
Deleted: the EKS cluster and everything Argo CD deployed into it, the cache, the VPC.
MSG

if [[ "${CONFIRM:-}" != "$STACK" ]]; then
  read -r -p "Type the stack name (${STACK}) to continue: " answer
  if [[ "$answer" != "$STACK" ]]; then
    echo "Not confirmed; nothing deleted." >&2
    exit 1
  fi
fi
npx --no-install cdk destroy "$STACK" --force
