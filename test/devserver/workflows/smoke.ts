import * as wf from '@temporalio/workflow';

const { echo } = wf.proxyActivities<{ echo(s: string): Promise<string> }>({ startToCloseTimeout: '10s' });
export const go = wf.defineSignal<[string]>('go');

export async function smoke(days: number): Promise<string> {
  let got = '';
  wf.setHandler(go, (s) => {
    got = s;
  });
  await wf.sleep(`${days} days`);
  await wf.condition(() => got !== '');
  return await echo(got);
}
