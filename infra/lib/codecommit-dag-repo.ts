import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { Construct } from 'constructs';
import { KEEP_DATA } from './retention';
import { codeCommitRepoName, type EnvironmentConfig } from '../../manifests-src/config';

export interface DagRepoProps {
  readonly env: EnvironmentConfig;
}

/** True when the stack should create the CodeCommit DAG repository (the GitDagBundle then clones `dagRepoUrl`). */
export function wantsDagRepo(env: EnvironmentConfig): boolean {
  return env.infra.createCodeCommitRepo && !env.dags.repoUrl;
}

/** The CodeCommit repository holding DAGs; kept when the stack is deleted. */
export class DagRepo extends Construct {
  readonly repository: codecommit.Repository;
  constructor(scope: Construct, id: string, props: DagRepoProps) {
    super(scope, id);
    this.repository = new codecommit.Repository(this, 'Repository', {
      repositoryName: codeCommitRepoName(props.env),
      description: `Airflow DAGs for ${props.env.name}`,
    });
    this.repository.applyRemovalPolicy(KEEP_DATA);
  }
}
