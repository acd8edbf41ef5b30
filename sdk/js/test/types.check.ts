// Compiled (not run) by `npm run build`: the published declarations let a TypeScript caller narrow
// { data, error } and read the fields with their wire names; misuse must not compile.
import { Butterbase, type ButterbaseError, type Connection, type ExecuteResult, type ProxyResponse, type ToolkitConfig } from '@butterbase/sdk';

export async function usage(bb: Butterbase): Promise<string[]> {
  const config = await bb.integrations.configure('gmail', { scopes: [], displayName: 'Gmail' });
  if (config.error) {
    const e: ButterbaseError = config.error;
    return [e.code, e.message, String(e.status), ...(e.details ?? []).map((d) => d.field)];
  }
  const row: ToolkitConfig = config.data;
  // @ts-expect-error rows are snake_case on the wire
  row.toolkitSlug;

  const connected = await bb.integrations.connect('gmail', { redirectUrl: 'https://yourapp.com/settings' });
  const authUrl: string | undefined = connected.data?.authUrl;
  // @ts-expect-error redirectUrl is required
  await bb.integrations.connect('gmail', {});

  const raw = await bb.integrations.proxy<{ login: string }>({ toolkit: 'github', method: 'GET', path: '/user', query: { per_page: 5, tags: ['a', 'b'] } });
  const answer: ProxyResponse<{ login: string }> | null = raw.data;
  const upstream: number | undefined = answer?.status;
  const base64: string | undefined = answer?.bodyBase64;
  // @ts-expect-error TRACE is not a proxy method
  await bb.integrations.proxy({ toolkit: 'github', method: 'TRACE', path: '/user' });
  // @ts-expect-error path is required
  await bb.integrations.proxy({ toolkit: 'github', method: 'GET' });
  void upstream; void base64;

  const waited = await bb.integrations.waitForConnection('ca_x', { timeoutMs: 1000, intervalMs: 100 });
  const status: 'initiated' | 'connected' | 'failed' | 'expired' | undefined = waited.data?.status;

  const run = await bb.integrations.asUser('u_1').execute<{ messageId: string }>('GMAIL_SEND_EMAIL', { to: 'a@b.c', subject: 's', body: 'b' });
  if (run.data) {
    const result: ExecuteResult<{ messageId: string }> = run.data;
    const id: string = result.data.messageId;
    const failure = result.successful ? null : result.error?.code;
    return [row.toolkit_slug, authUrl ?? '', status ?? '', id, failure ?? '', result.executionId];
  }
  const list = await bb.integrations.listConnections({ toolkit: 'gmail', status: 'active' });
  const rows: Connection[] = list.data?.items ?? [];
  // @ts-expect-error status is one of the contract's values
  await bb.integrations.listConnections({ status: 'sleeping' });
  const gone = await bb.integrations.disconnect(rows[0]?.id ?? '');
  return rows.map((c) => `${c.account_label} ${c.last_used_at ?? ''} ${gone.data?.disconnected}`);
}
