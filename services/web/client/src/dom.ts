// Tiny DOM helpers. Every piece of data reaches the page as text (textContent / text nodes), never as HTML.

export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title !== undefined) el.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

/** Sets text only when it changed, so unchanged cells cost nothing. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setTitle(el: HTMLElement, title: string): void {
  if (el.title !== title) el.title = title;
}

export function setClass(el: HTMLElement, cls: string): void {
  if (el.className !== cls) el.className = cls;
}

// Bars inside the table move by transform, not width: a transform needs no layout, so 500 rows stay cheap.

// The last transform written to each bar, kept in JS: reading el.style back costs a CSS serialisation.
const transforms = new WeakMap<HTMLElement, string>();

function setTransform(el: HTMLElement, t: string): void {
  if (transforms.get(el) === t) return;
  transforms.set(el, t);
  el.style.transform = t;
}

/** A 0–100 bar filling from the left. */
export function setBarFill(el: HTMLElement, pct: number): void {
  setTransform(el, `scaleX(${(Math.max(0, Math.min(100, pct)) / 100).toFixed(3)})`);
}

/** One segment of a stacked bar: starts at `startPct` and spans `widthPct` of the track (by transform, no layout). */
export function setSegment(el: HTMLElement, startPct: number, widthPct: number): void {
  const start = Math.max(0, Math.min(100, startPct));
  const w = Math.max(0, Math.min(100 - start, widthPct));
  setTransform(el, `translateX(${start.toFixed(1)}%) scaleX(${(w / 100).toFixed(4)})`);
}

/** A bar that grows from the 50 mid-line towards `value` (0–100). */
export function setDivergingBar(el: HTMLElement, value: number): void {
  const v = Math.max(0, Math.min(100, value));
  setTransform(el, `translateX(${Math.min(v, 50).toFixed(1)}%) scaleX(${(Math.abs(v - 50) / 100).toFixed(3)})`);
}

/** A text node whose value is remembered, so unchanged updates cost one string comparison. */
export class Txt {
  private readonly node: Text;
  private value = '';

  constructor(parent: HTMLElement, initial = '') {
    this.node = document.createTextNode(initial);
    this.value = initial;
    parent.appendChild(this.node);
  }

  set(value: string): void {
    if (value !== this.value) {
      this.value = value;
      this.node.data = value;
    }
  }

  get(): string {
    return this.value;
  }
}
