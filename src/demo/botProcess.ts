/**
 * The bot of the demo, run the way `npm start` runs it: the compiled app (dist/main.js) as a
 * child process, pointed at the emulator. The jobs CLI (dist/jobs/cli.js) runs the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface BotProcessOptions {
  /** the project's root folder (where dist/ is) */
  root: string;
  /** environment of the bot: BOT_TOKEN, TELEGRAM_API_ROOT, DATABASE_URL … */
  env: NodeJS.ProcessEnv;
  /** where the bot's log lines go */
  log: (line: string) => void;
}

export class BotProcess {
  private child: ChildProcess | null = null;

  constructor(private readonly options: BotProcessOptions) {}

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts dist/main.js; resolves once the process is spawned (readiness is the emulator's to see). */
  start(): void {
    if (this.child) return;
    const child = spawn(process.execPath, [path.join(this.options.root, 'dist', 'main.js')], {
      cwd: this.options.root,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.options.log(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.once('exit', (code, signal) => {
      if (this.child === child) {
        this.child = null;
        this.options.log(`the bot stopped (${signal ?? `exit code ${code}`})`);
      }
    });
    this.child = child;
  }

  /** Stops the bot as an operator would (SIGTERM: it finishes what it is doing); SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Runs `jobs all --at <at>` to its end; answers its output lines. */
  runJobs(at: Date): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(this.options.root, 'dist', 'jobs', 'cli.js'), 'all', '--at', at.toISOString()], {
        cwd: this.options.root,
        env: this.options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => {
        const lines = out.split('\n').filter((l) => l.trim() !== '');
        if (code === 0) resolve(lines);
        else reject(new Error(`jobs ended with exit code ${code}: ${lines.slice(-3).join(' / ')}`));
      });
    });
  }
}
