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

/** A 0–100 horizontal bar; the width is set through the CSSOM, which the page's CSP allows. */
export function setBarWidth(el: HTMLElement, pct: number): void {
  const w = `${Math.max(0, Math.min(100, pct)).toFixed(1)}%`;
  if (el.style.width !== w) el.style.width = w;
}

/** A bar that grows from the 50 mid-line towards `value` (0–100). */
export function setDivergingBar(el: HTMLElement, value: number): void {
  const v = Math.max(0, Math.min(100, value));
  const left = `${Math.min(v, 50).toFixed(1)}%`;
  const width = `${Math.abs(v - 50).toFixed(1)}%`;
  if (el.style.left !== left) el.style.left = left;
  if (el.style.width !== width) el.style.width = width;
}
