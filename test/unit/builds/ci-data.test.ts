import { lrtsRuns, travisRuns } from '../../../bench/builds-data';

describe('CI datasets: start-time fields of a run', () => {
  it('reads a TravisTorrent pull request as a change of its own in the lane of its target branch', () => {
    // Prepare
    const csv = [
      'gh_project_name,tr_build_id,gh_build_started_at,gh_is_pr,gh_pull_req_num,git_branch,tr_duration,tr_num_jobs',
      'o/p,1,2015-01-01 10:00:00,True,42,master,600.0,3',
      'o/p,2,2015-01-01 11:00:00,False,,release-1.x,300.0,1',
    ].join('\n');
    // Act
    const [pr, push] = travisRuns(csv);
    // Assess
    expect(pr).toMatchObject({ changeKey: 'pr:42', lane: 'pr:master', jobs: 3, agentSeconds: 600 });
    expect(push).toMatchObject({ changeKey: 'branch:release-1.x', lane: 'push:release-1.x' });
  });

  it('reads an LRTS run as a pull request into its base branch', () => {
    const csv = [
      'project,pr_name,pr_base_branch,build_id,stage_id,build_timestamp,stage_duration_by_method_sum,num_changed_files,num_changed_line',
      'hive,PR-7,branch-3,2,single,1617292180,5384.4,3,40',
    ].join('\n');
    const [run] = lrtsRuns(csv);
    expect(run).toMatchObject({
      changeKey: 'PR-7',
      lane: 'pr:branch-3',
      buildId: 'PR-7#2',
      startMs: 1617292180000,
    });
  });
});
