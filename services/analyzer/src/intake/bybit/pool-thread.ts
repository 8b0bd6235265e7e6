// The intake thread (worker_threads): runs the WebSocket pool and decodes its frames, so the main thread only applies
// events. Started by ThreadedWsPool (threaded-pool.ts); never run directly.
//
// Data events go to the main thread in batches (event-batch.ts): everything decoded in one turn of this thread's event
// loop is sent once the turn's I/O is done, so a batch adds no wait beyond that turn. Disconnects and reconnects are
// sent after the data that came before them, in order, on the same port.
import { parentPort, workerData } from 'node:worker_threads';
import type { LogLevel, LogMeta, Logger } from '@confluence/logger';
import { ConnectGate } from '../connect-gate';
import { EventBatchWriter } from './event-batch';
import { createNormalizer } from './normalize';
import type { FromPoolThread, PoolThreadData, PoolThreadState, ToPoolThread } from './pool-thread-protocol';
import { WsPool } from './ws-pool';

const data = workerData as PoolThreadData;
const parent = parentPort;
if (parent === null) throw new Error('pool-thread.ts runs only as a worker thread');
const port = parent;

function post(msg: FromPoolThread, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg, transfer);
}

/** A logger whose lines are written by the main thread's logger (its format, its transports, its child meta). */
function portLogger(bound: LogMeta): Logger {
  const log =
    (level: LogLevel) =>
    (message: string, meta?: LogMeta): void => {
      const merged = meta === undefined ? bound : { ...bound, ...meta };
      try {
        post({ t: 'log', level, message, meta: merged });
      } catch {
        // Meta that cannot be cloned (a function, a socket) is sent as text.
        post({ t: 'log', level, message, meta: { meta: String(JSON.stringify(merged)) } });
      }
    };
  return { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: (meta) => portLogger({ ...bound, ...meta }) };
}

const logger = portLogger({});
const normalizer = createNormalizer({ logger: logger.child({ component: 'normalizer' }) });
const writer = new EventBatchWriter();
const gate = new ConnectGate(data.connectsPerWindow, data.connectWindowMs);
gate.seed(data.connectTimes);
let frames = 0;
let lastRecvTs = 0;
let raw: [number, number, string][] | null = null;
let flushQueued = false;

function flush(): void {
  flushQueued = false;
  if (frames === 0) return;
  const batch = writer.take();
  post({ t: 'batch', batch, frames, lastRecvTs, raw }, batch === null ? undefined : [batch.nums.buffer as ArrayBuffer]);
  frames = 0;
  raw = null;
}

function queueFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(flush);
}

const pool = new WsPool({
  gate,
  url: data.url,
  logger: logger.child({ component: 'bybit-ws' }),
  timing: data.timing,
  maxTopicsPerConnection: data.maxTopicsPerConnection,
  decode: (text, recvTs) => {
    frames++;
    lastRecvTs = recvTs;
    queueFlush();
    return normalizer.normalize(text, recvTs);
  },
  onData: (ev) => writer.push(ev),
  onRaw: data.record
    ? (text, recvTs, connId) => {
        raw ??= [];
        raw.push([recvTs, connId, text]);
      }
    : undefined,
  onDisconnect: (info) => {
    flush();
    post({ t: 'disconnect', info });
  },
  onReconnect: (info) => {
    flush();
    post({ t: 'reconnect', info });
  },
});

function state(): PoolThreadState {
  const c = normalizer.counters;
  return {
    at: Date.now(),
    stats: pool.stats(),
    totals: pool.totals(),
    counters: {
      messages: c.messages,
      byTopic: { ...c.byTopic },
      malformed: { ...c.malformed },
      fastDecoded: c.fastDecoded,
      fastDecodeErrors: c.fastDecodeErrors,
    },
    connectAttempts: gate.granted,
    connectDeferred: gate.deferred,
    connectTimes: gate.recent(),
  };
}

// A report comes after the events of every frame it counts (the batch is flushed first).
const stateTimer = setInterval(() => {
  flush();
  post({ t: 'state', state: state() });
}, data.stateMs);

port.on('message', (msg: ToPoolThread) => {
  switch (msg.t) {
    case 'add':
      pool.addSymbol(msg.symbol, msg.topics);
      return;
    case 'remove':
      pool.removeSymbol(msg.symbol);
      return;
    case 'resubscribe':
      pool.resubscribe(msg.topic);
      return;
    case 'start':
      pool.start();
      return;
    case 'stop':
      clearInterval(stateTimer);
      void pool.stop().then(() => {
        flush();
        post({ t: 'state', state: state() });
        post({ t: 'stopped' });
        port.close();
      });
      return;
  }
});
