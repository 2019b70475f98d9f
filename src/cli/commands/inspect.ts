/** Read-only commands: `status`, `logs`, `info`, `params`. */
import type { Command } from 'commander';
import type { LogsParams } from '../../client/resources/workflows.js';
import { inputVariables, type WorkflowLogEntry } from '../../protocol/index.js';
import { abortableDelay } from '../../util/abortable-delay.js';
import { numberOption, OptionError } from '../config/environment.js';
import { EXIT } from '../../exit-codes.js';
import { staleRunNote } from './stale-run.js';
import { colour, printJson, runCommand, unixTime, withCommonOptions, type CommonFlags } from '../command-kit.js';
import { table } from '../text-table.js';

export function registerInspect(program: Command): void {
  const status = program
    .command('status')
    .argument('<run-id>', 'workflow_run_id (from a run, the batch output or logs)')
    .description('show a run: status, inputs, outputs, time and tokens')
    .option('--watch', 'poll until the run finishes');
  withCommonOptions(status).addHelpText(
    'after',
    '\nExamples:\n  difyrun status 3c90c3cc-0d44-4b50-8888-8dd25736052a\n  difyrun status 3c90c3cc-0d44-4b50-8888-8dd25736052a --watch --json\n\nExit codes: 0 succeeded or still running · 1 failed or stopped · 2 no run with this id · 3 auth error ·\n4 could not reach or use the server.',
  );
  status.action((runId: string, flags: CommonFlags & { watch?: boolean }) =>
    runCommand('status', flags, async ({ client }) => {
      let detail = await client.workflows.get(runId);
      const never = new AbortController().signal;
      // On a terminal the progress line is rewritten in place; in a log, one line per poll.
      const inPlace = Boolean(process.stderr.isTTY);
      let polled = false;
      const nowSeconds = () => Math.floor(Date.now() / 1000);
      // A run Dify calls running past its own time limit was stopped (Dify never records it): not watched forever.
      while (flags.watch && detail.status === 'running' && staleRunNote(detail, nowSeconds()) === undefined) {
        if (!flags.json)
          process.stderr.write(inPlace ? `\r\u001b[2Krunning… ${detail.total_steps} steps so far` : `running… ${detail.total_steps} steps so far\n`);
        polled = true;
        await abortableDelay(1000, never);
        detail = await client.workflows.get(runId);
      }
      if (polled && inPlace && !flags.json) process.stderr.write('\r\u001b[2K');
      if (flags.json) printJson(detail);
      else {
        const c = colour(process.stdout);
        process.stdout.write(
          [
            `run       ${detail.id}`,
            `status    ${detail.status === 'succeeded' ? c.green(detail.status) : detail.status === 'running' ? detail.status : c.red(detail.status)}${detail.error ? ` — ${detail.error}` : ''}`,
            `created   ${unixTime(detail.created_at)}    finished ${unixTime(detail.finished_at)}`,
            `elapsed   ${detail.elapsed_time.toFixed(3)} s    tokens ${detail.total_tokens}    steps ${detail.total_steps}`,
            `inputs    ${JSON.stringify(Object.fromEntries(Object.entries(detail.inputs).filter(([key]) => !key.startsWith('sys.'))))}`,
            `outputs   ${JSON.stringify(detail.outputs, null, 2).replace(/\n/g, '\n          ')}`,
          ].join('\n') + '\n',
        );
      }
      const stale = staleRunNote(detail, nowSeconds());
      if (stale !== undefined) process.stderr.write(`note: ${stale}\n`);
      return detail.status === 'failed' || detail.status === 'stopped' ? EXIT.failed : EXIT.ok;
    }),
  );

  const logs = program
    .command('logs')
    .description('list runs, newest first')
    .option('--status <status>', 'succeeded, failed or stopped')
    .option('--keyword <text>', 'search inputs, outputs and user')
    .option('--user <name>', 'only runs started with this user')
    .option('--since <time>', 'ISO time or a duration ago (30m, 2h, 7d)')
    .option('--until <time>', 'ISO time or a duration ago')
    .option('--limit <n>', 'runs per page (1-100)', '20')
    .option('--all', 'every page, not just the first');
  withCommonOptions(logs).addHelpText('after', '\nExamples:\n  difyrun logs --status failed --since 2h\n  difyrun logs --user difyrun-row42 --all --json');
  logs.action((flags: CommonFlags & { status?: string; keyword?: string; user?: string; since?: string; until?: string; limit: string; all?: boolean }) =>
    runCommand('logs', flags, async ({ client }) => {
      if (flags.status !== undefined && !['succeeded', 'failed', 'stopped'].includes(flags.status)) {
        throw new OptionError(`--status must be succeeded, failed or stopped, got "${flags.status}"`);
      }
      const params: LogsParams = {
        status: flags.status as LogsParams['status'],
        keyword: flags.keyword,
        endUserSessionId: flags.user,
        createdAtAfter: flags.since === undefined ? undefined : parseTime(flags.since, '--since'),
        createdAtBefore: flags.until === undefined ? undefined : parseTime(flags.until, '--until'),
        limit: numberOption(flags.limit, '--limit', 20, { min: 1, integer: true }),
      };
      if ((params.limit ?? 20) > 100) throw new OptionError(`--limit must be at most 100, got "${flags.limit}"`);
      const entries: WorkflowLogEntry[] = [];
      let total = 0;
      if (flags.all) for await (const entry of client.workflows.iterateLogs(params)) entries.push(entry);
      else {
        const page = await client.workflows.logs(params);
        entries.push(...page.data);
        total = page.total;
      }
      const more = !flags.all && total > entries.length ? `${entries.length} of ${total} runs (--all for every page)\n` : '';
      if (flags.json) {
        for (const entry of entries) process.stdout.write(`${JSON.stringify(entry)}\n`);
        process.stderr.write(more);
        return;
      }
      const rows = entries.map((entry) => [
        unixTime(entry.created_at),
        entry.workflow_run.id,
        entry.workflow_run.status,
        `${entry.workflow_run.elapsed_time.toFixed(2)} s`,
        String(entry.workflow_run.total_tokens),
        entry.created_by_end_user?.session_id ?? entry.created_by_account?.email ?? '-',
      ]);
      process.stdout.write(`${table(['TIME', 'RUN ID', 'STATUS', 'ELAPSED', 'TOKENS', 'USER'], rows)}\n`);
      process.stderr.write(more);
    }),
  );

  const info = program.command('info').description("show the app's name, description, mode and author");
  withCommonOptions(info).addHelpText('after', '\nExample:\n  difyrun info --local examples/workflows/review-triage.yml');
  info.action((flags: CommonFlags) =>
    runCommand('info', flags, async ({ client, baseURL }) => {
      const app = await client.app.info();
      if (flags.json) return void printJson(app);
      process.stdout.write(
        `${app.name} (${app.mode})\n${app.description ? `${app.description}\n` : ''}author: ${app.author_name || '-'}${app.tags.length ? `  tags: ${app.tags.join(', ')}` : ''}\nserver: ${baseURL}\n`,
      );
    }),
  );

  const params = program.command('params').description("show the workflow's input variables: type, required, options, limits");
  withCommonOptions(params).addHelpText('after', '\nExample:\n  difyrun params --local examples/workflows/review-triage.yml');
  params.action((flags: CommonFlags) =>
    runCommand('params', flags, async ({ client }) => {
      const parameters = await client.app.parameters();
      if (flags.json) return void printJson(parameters);
      const rows = inputVariables(parameters).map((variable) => [
        variable.variable,
        variable.type,
        variable.required ? 'yes' : 'no',
        [
          variable.options?.length ? `options: ${variable.options.join(' | ')}` : '',
          typeof variable.max_length === 'number' && variable.max_length > 0
            ? `max ${variable.max_length}${variable.type === 'file-list' ? ' files' : ' chars'}`
            : '',
          variable.default !== undefined && variable.default !== null && variable.default !== '' ? `default ${JSON.stringify(variable.default)}` : '',
          variable.allowed_file_types?.length ? `file types: ${variable.allowed_file_types.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        variable.label && variable.label !== variable.variable ? variable.label : '',
      ]);
      process.stdout.write(rows.length === 0 ? 'This workflow has no input variables.\n' : `${table(['INPUT', 'TYPE', 'REQUIRED', 'RULES', 'LABEL'], rows)}\n`);
      const limits = parameters.system_parameters;
      if (limits)
        process.stdout.write(
          `upload limits: file ${limits.file_size_limit} MB, image ${limits.image_file_size_limit} MB, audio ${limits.audio_file_size_limit} MB, video ${limits.video_file_size_limit} MB\n`,
        );
    }),
  );
}

/** An ISO time, or "30m"/"2h"/"7d" ago. */
function parseTime(text: string, option: string): Date {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(relative[1]) * unit * 1000);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new OptionError(`${option} must be an ISO time (2026-11-21T09:00:00Z) or a duration like 30m, 2h, 7d; got "${text}"`);
  return date;
}
