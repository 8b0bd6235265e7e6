// The contract's fixed name lists, apart from the zod schemas so the browser bundle can import them without zod.

export const COMPONENT_NAMES = ['technical', 'volume', 'orderflow', 'orderbook', 'structure', 'sentiment'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];
export const DIRECTIONS = ['Bullish', 'Bearish', 'Neutral'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * The engine's default direction thresholds (Bullish from 60, Bearish from 40). The dashboard colours a component
 * score, which has no label of its own, by them, and draws them on the score chart.
 */
export const BULLISH_AT = 60;
export const BEARISH_AT = 40;
