// Tiny DOM helpers. Text from MQTT only ever reaches the page through textContent or attribute
// values set with setAttribute on fixed attribute names; no string is ever parsed as HTML.

export const $ = (id) => document.getElementById(id);

// el('li', {class: 'x', title: name}, child, 'text', ...): strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function setText(node, text) {
  const t = String(text ?? '');
  if (node.textContent !== t) node.textContent = t;
}

// Keeps parent's children in step with items without re-creating the ones that stay: one node per key, made by
// create(item) once and brought up to date by update(node, item) on every call, in the order of items. A node
// that stays is never detached, so a click half-way through (mouse down, redraw, mouse up) or an open tooltip
// survives a redraw. Children without a key (from an earlier plain render) are dropped.
export function syncChildren(parent, items, keyOf, create, update) {
  const old = new Map();
  for (const n of parent.children) if (n.dataset.key !== undefined) old.set(n.dataset.key, n);
  const nodes = items.map((item) => {
    const key = String(keyOf(item));
    let n = old.get(key);
    if (!n) {
      n = create(item);
      n.dataset.key = key;
    }
    update(n, item);
    return n;
  });
  const kids = parent.children;
  if (nodes.length !== kids.length || nodes.some((n, i) => kids[i] !== n)) parent.replaceChildren(...nodes);
}

// Sets or removes an attribute (null/undefined/false remove it), only when it changes.
export function setAttr(node, name, value) {
  if (value === null || value === undefined || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) {
    node.setAttribute(name, String(value));
  }
}
