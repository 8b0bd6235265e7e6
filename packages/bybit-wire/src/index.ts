// The Bybit v5 public linear wire contract: what the analyzer's intake reads, the simulator writes and a recording
// holds. Pure declarations and small helpers; no I/O.
export * from './messages';
export * from './topics';
export * from './limits';
