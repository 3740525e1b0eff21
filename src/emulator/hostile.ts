/**
 * Hostile network mode for the Bot API stand-in: what a bot meets on a bad day. Calls other
 * than getUpdates are answered 502 now and then, some connections drop mid-request (before
 * the call runs, or, when asked, after it ran: the message arrived but the bot cannot know),
 * and the counters the end-to-end tests assert on are kept here: answers that never arrived,
 * and calls that came back before a 429's retry_after was over. Flood limits themselves are
 * the stand-in's own (configure({ floodLimits: true })).
 */
import { Prng } from './limits.ts';

/** Rates of the hostile network; every field has a default, see {@link DEFAULT_HOSTILE}. */
export interface HostileOptions {
  /** Share of calls other than getUpdates answered 502 Bad Gateway without running. */
  badGatewayRate: number;
  /** Share of calls other than getUpdates whose connection drops before the call runs. */
  dropRate: number;
  /** Share of message-sending calls that run (the message arrives) and then lose their connection. */
  dropAfterDeliveryRate: number;
  /** Seed of the failure PRNG. */
  seed: number;
}

export const DEFAULT_HOSTILE: HostileOptions = {
  badGatewayRate: 0.1,
  dropRate: 0.05,
  dropAfterDeliveryRate: 0,
  seed: 7,
};

/** What the stand-in does with one call. */
export type HostileVerdict = 'pass' | 'bad_gateway' | 'drop' | 'drop_after';

export interface HostileCounters {
  calls: number;
  badGateway: number;
  dropped: number;
  droppedAfterDelivery: number;
  /** 429 answers seen */
  floods: number;
  /** message calls into a chat that started after a 429 for that chat and before its retry_after ended */
  ignoredRetryAfter: number;
}

/**
 * Methods Telegram flood-limits (the stand-in's SENDING_METHODS); kept here too so that this
 * file needs nothing from server.ts.
 */
const FLOOD_LIMITED = new Set([
  'sendmessage', 'sendphoto', 'senddocument', 'sendvoice', 'sendmediagroup', 'sendlocation',
  'copymessage', 'forwardmessage', 'editmessagetext', 'editmessagecaption', 'editmessagereplymarkup',
]);

/** Methods whose failed attempts must be followed by a successful one: the bot's answers. */
const ANSWERS = new Set([...FLOOD_LIMITED, 'answercallbackquery']);

/**
 * The hostile network's dice and bookkeeping. The stand-in calls {@link before} once a
 * request's parameters are read and {@link after} once the call ran.
 */
export class HostileNetwork {
  readonly options: HostileOptions;
  readonly counters: HostileCounters = { calls: 0, badGateway: 0, dropped: 0, droppedAfterDelivery: 0, floods: 0, ignoredRetryAfter: 0 };
  /** Human-readable list of the calls that ignored a retry_after. */
  readonly ignored: string[] = [];
  private readonly prng: Prng;
  /** chat -> { when the 429 was answered, until when it holds } (performance.now() ms) */
  private readonly floods = new Map<string, { answeredAt: number; until: number }>();
  /** answer key -> failed attempts not (yet) followed by a success */
  private readonly owed = new Map<string, number>();

  constructor(options: Partial<HostileOptions> = {}) {
    this.options = { ...DEFAULT_HOSTILE, ...options };
    this.prng = new Prng(this.options.seed);
  }

  /**
   * Decides what happens to a call. `startedAt` is when its request began to arrive
   * (performance.now()): a request already on its way when the 429 went out cannot have
   * ignored it.
   */
  before(method: string, values: Record<string, unknown>, startedAt: number): HostileVerdict {
    const key = method.toLowerCase();
    if (key === 'getupdates') return 'pass';
    this.counters.calls++;
    if (FLOOD_LIMITED.has(key)) this.checkRetryAfter(method, values, startedAt);
    const r = this.prng.next();
    const { badGatewayRate, dropRate, dropAfterDeliveryRate } = this.options;
    let verdict: HostileVerdict = 'pass';
    if (r < badGatewayRate) verdict = 'bad_gateway';
    else if (r < badGatewayRate + dropRate) verdict = 'drop';
    else if (FLOOD_LIMITED.has(key) && r < badGatewayRate + dropRate + dropAfterDeliveryRate) verdict = 'drop_after';
    if (verdict === 'bad_gateway') this.counters.badGateway++;
    if (verdict === 'drop') this.counters.dropped++;
    if (verdict === 'drop_after') this.counters.droppedAfterDelivery++;
    if ((verdict === 'bad_gateway' || verdict === 'drop') && ANSWERS.has(key)) this.owe(answerKey(key, values), 1);
    return verdict;
  }

  /** The call ran: `error` is its error answer, if any. */
  after(method: string, values: Record<string, unknown>, error?: { code: number; description?: string; retryAfter?: number | undefined }): void {
    const key = method.toLowerCase();
    if (!ANSWERS.has(key)) return;
    const answer = answerKey(key, values);
    // an edit that finds the message already as asked has arrived (an earlier copy did it)
    if (error === undefined || (error.code === 400 && /message is not modified/.test(error.description ?? ''))) {
      this.owed.delete(answer);
      return;
    }
    if (error.code === 429) {
      this.counters.floods++;
      this.owe(answer, 1);
      const now = performance.now();
      this.floods.set(chatKey(values), { answeredAt: now, until: now + (error.retryAfter ?? 0) * 1000 });
    }
  }

  /**
   * Answers the bot tried to give (a send, an edit, a callback answer) that failed on the
   * network or with a 429 and never went through afterwards. 400s and 403s are not counted:
   * Telegram refused those for good, and the bot's handling of them is tested elsewhere.
   */
  lostAnswers(): string[] {
    return [...this.owed.keys()];
  }

  private owe(answer: string, n: number): void {
    this.owed.set(answer, (this.owed.get(answer) ?? 0) + n);
  }

  private checkRetryAfter(method: string, values: Record<string, unknown>, startedAt: number): void {
    const flood = this.floods.get(chatKey(values));
    if (flood === undefined || startedAt <= flood.answeredAt || startedAt >= flood.until) return;
    this.counters.ignoredRetryAfter++;
    this.ignored.push(`${method} into chat ${chatKey(values)} ${Math.round(flood.until - startedAt)} ms before its retry_after ended`);
  }
}

function chatKey(values: Record<string, unknown>): string {
  return String(values['chat_id'] ?? '');
}

/** What makes two attempts the same answer: method, chat and content. */
function answerKey(method: string, values: Record<string, unknown>): string {
  if (method === 'answercallbackquery') return `${method}:${String(values['callback_query_id'])}`;
  const content = values['text'] ?? values['caption'] ?? values['message_id'] ?? '';
  return `${method}:${chatKey(values)}:${typeof content === 'string' ? content.slice(0, 80) : String(content)}`;
}
